/**
 * The closed set of error kinds every boundary understands. Domain code throws
 * these; each transport maps them once (HTTP status, gRPC code, GraphQL code).
 * Anything else is an internal error and reaches no client in detail.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

export const ErrorKind = {
  Validation: 'VALIDATION',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  Unavailable: 'UNAVAILABLE',
  RateLimited: 'RATE_LIMITED',
  Internal: 'INTERNAL',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** One problem with one input field. `field` is the wire name (`organization_id`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Base class of every error a client may see. `code` is stable; the message is for people. */
export class PolarisError extends Error {
  override name = 'PolarisError';
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code, e.g. `invalid_argument`, `organization_not_found`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad input. Lists every problem found, not just the first. */
export class ValidationError extends PolarisError {
  override name = 'ValidationError';
  constructor(readonly problems: readonly FieldProblem[]) {
    super(ErrorKind.Validation, 'invalid_argument', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

export class NotFoundError extends PolarisError {
  override name = 'NotFoundError';
  constructor(code: string, message: string) {
    super(ErrorKind.NotFound, code, message);
  }
}

export class ConflictError extends PolarisError {
  override name = 'ConflictError';
  constructor(code: string, message: string) {
    super(ErrorKind.Conflict, code, message);
  }
}

export class UnauthenticatedError extends PolarisError {
  override name = 'UnauthenticatedError';
  constructor(message = 'missing or invalid credentials', code = 'unauthenticated') {
    super(ErrorKind.Unauthenticated, code, message);
  }
}

export class ForbiddenError extends PolarisError {
  override name = 'ForbiddenError';
  constructor(message = 'not allowed', code = 'forbidden') {
    super(ErrorKind.Forbidden, code, message);
  }
}

/** A dependency (database, NATS, another function) is down; the caller may retry. */
export class UnavailableError extends PolarisError {
  override name = 'UnavailableError';
  constructor(message = 'temporarily unavailable, retry later', options?: { cause?: unknown }) {
    super(ErrorKind.Unavailable, 'unavailable', message, options);
  }
}

/**
 * Too many requests or attempts (for a credential, an account, an address);
 * `retryAfterSeconds` says when to come back. Transports pass it on: HTTP's
 * `retry-after` header, gRPC's `retry-after` trailing metadata.
 */
export class RateLimitedError extends PolarisError {
  override name = 'RateLimitedError';
  /** The limit that refused, when it is a quota the client may read about (HTTP's RateLimit headers). */
  readonly policy?: RateLimitPolicy;
  constructor(
    /** Whole seconds, at least 1. */
    readonly retryAfterSeconds: number,
    options: { message?: string; code?: string; policy?: RateLimitPolicy } = {},
  ) {
    super(ErrorKind.RateLimited, options.code ?? 'rate_limited', options.message ?? `rate limit exceeded, retry after ${retryAfterSeconds} s`);
    if (options.policy) this.policy = options.policy;
  }
}

/**
 * Runs `create` without capturing a stack trace for any error made meanwhile.
 * For refusals: a refusal is an answer, not a fault, nothing logs its stack,
 * and under a flood capturing one for each was a twentieth of the refusing
 * thread's time. And for a gRPC call, whose client makes an error on every
 * call in case it fails (see GrpcClients.call).
 */
export function withoutStack<T>(create: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return create();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A quota as the RateLimit-Policy and RateLimit headers state it. */
export interface RateLimitPolicy {
  /** The policy's name, e.g. `ingest-requests`. */
  name: string;
  /** Units allowed per window. */
  quota: number;
  /** The window, in seconds. */
  windowSeconds: number;
  /** Units left now, whole. */
  remaining: number;
}

/**
 * Collects field problems so a validator can report all of them at once.
 * `check(cond, field, message)` records a problem when `cond` is false.
 */
export class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  check(ok: boolean, field: string, message: string): boolean {
    if (!ok) this.add(field, message);
    return ok;
  }
  /** Throws a ValidationError when any problem was recorded. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}

export const httpStatusByKind: Record<ErrorKind, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

export const grpcStatusByKind: Record<ErrorKind, GrpcStatus> = {
  VALIDATION: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  FORBIDDEN: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  CONFLICT: GrpcStatus.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  INTERNAL: GrpcStatus.INTERNAL,
};

export const graphqlCodeByKind: Record<ErrorKind, string> = {
  VALIDATION: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'BAD_USER_INPUT',
  UNAVAILABLE: 'INTERNAL',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
};

/** The reverse of grpcStatusByKind, for errors that come back over a gRPC client. */
export function kindFromGrpcStatus(code: number): ErrorKind {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return ErrorKind.Validation;
    case GrpcStatus.UNAUTHENTICATED:
      return ErrorKind.Unauthenticated;
    case GrpcStatus.PERMISSION_DENIED:
      return ErrorKind.Forbidden;
    case GrpcStatus.NOT_FOUND:
      return ErrorKind.NotFound;
    case GrpcStatus.FAILED_PRECONDITION:
    case GrpcStatus.ALREADY_EXISTS:
      return ErrorKind.Conflict;
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return ErrorKind.Unavailable;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return ErrorKind.RateLimited;
    default:
      return ErrorKind.Internal;
  }
}

/** PostgreSQL and network failures that a retry may cure, as opposed to bugs. */
const transientErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * What a client may see of any thrown value: PolarisErrors as they are,
 * transient infrastructure failures as Unavailable, everything else as a
 * generic internal error (the original stays in `cause` for the logs).
 */
export function toPublicError(err: unknown): PolarisError {
  if (err instanceof PolarisError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && transientErrorCodes.has(code)) {
    return new UnavailableError(undefined, { cause: err });
  }
  return new PolarisError(ErrorKind.Internal, 'internal', 'internal error', { cause: err });
}
