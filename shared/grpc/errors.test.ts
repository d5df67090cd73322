import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ErrorKind, RateLimitedError } from '../errors.js';
import { fromGrpcError, toGrpcStatus } from './errors.js';

/** What a client receives for a status the server answered. */
const received = (answer: ReturnType<typeof toGrpcStatus>): ServiceError =>
  Object.assign(new Error(answer.details), { code: answer.code!, details: answer.details!, metadata: answer.metadata ?? new Metadata() });

describe('rate limits across gRPC', () => {
  it('answer RESOURCE_EXHAUSTED with the seconds to wait in `retry-after`, and come back as the same error', () => {
    const answer = toGrpcStatus(new RateLimitedError(8, { message: 'too many failed sign-ins: retry after 8 s', code: 'sign_in_locked' }));
    expect(answer.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.metadata!.get('retry-after')).toEqual(['8']);
    const error = fromGrpcError(received(answer));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ kind: ErrorKind.RateLimited, code: 'sign_in_locked', retryAfterSeconds: 8, message: 'too many failed sign-ins: retry after 8 s' });
  });

  it('keeps the default message and code of a plain rate limit', () => {
    const error = fromGrpcError(received(toGrpcStatus(new RateLimitedError(2))));
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 2, message: 'rate limit exceeded, retry after 2 s' });
  });
});
