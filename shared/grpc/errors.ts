/**
 * Errors across gRPC: a PolarisError becomes a status code with its stable code,
 * field problems and seconds to wait in trailing metadata, and becomes the same
 * PolarisError again in the client, so a caller (the gateway) sees what the
 * callee threw.
 */
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import {
  PolarisError,
  RateLimitedError,
  ValidationError,
  grpcStatusByKind,
  kindFromGrpcStatus,
  toPublicError,
  type FieldProblem,
} from '../errors.js';

const codeKey = 'polaris-error-code';
const problemsKey = 'polaris-field-problems-bin';
/** Whole seconds, as HTTP's Retry-After. */
const retryAfterKey = 'retry-after';

/** The status a server answers for any thrown value; never carries SQL or stacks. */
export function toGrpcStatus(err: unknown): Partial<StatusObject> {
  const error = toPublicError(err);
  const metadata = new Metadata();
  metadata.set(codeKey, error.code);
  if (error instanceof ValidationError) {
    metadata.set(problemsKey, Buffer.from(JSON.stringify(error.problems)));
  }
  if (error instanceof RateLimitedError) metadata.set(retryAfterKey, String(error.retryAfterSeconds));
  return { code: grpcStatusByKind[error.kind], details: error.message, metadata };
}

/** The PolarisError a client call failed with. */
export function fromGrpcError(err: ServiceError): PolarisError {
  const metadata = err.metadata ?? new Metadata();
  const problemsValue = metadata.get(problemsKey)[0];
  if (err.code === status.INVALID_ARGUMENT && Buffer.isBuffer(problemsValue)) {
    return new ValidationError(JSON.parse(problemsValue.toString()) as FieldProblem[]);
  }
  const code = metadata.get(codeKey)[0];
  const retryAfter = Number(metadata.get(retryAfterKey)[0]);
  if (err.code === status.RESOURCE_EXHAUSTED && Number.isInteger(retryAfter) && retryAfter > 0) {
    return new RateLimitedError(retryAfter, { message: err.details || err.message, code: typeof code === 'string' ? code : undefined });
  }
  const kind = kindFromGrpcStatus(err.code);
  return new PolarisError(kind, typeof code === 'string' ? code : kind.toLowerCase(), err.details || err.message, { cause: err });
}
