/** How resolver errors reach clients: coded, with the seconds to wait when rate limited, and nothing internal. */
import { Metadata, status } from '@grpc/grpc-js';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../shared/errors.js';
import { fromGrpcError } from '../../shared/grpc/errors.js';
import { createLogger } from '../../shared/logger.js';
import { formatError } from './errors.js';

const logger = createLogger({ service: 'test', revision: 'test', level: 'silent' });
const formatted = (original: Error) => formatError(new GraphQLError(original.message, { originalError: original, path: ['signIn'] }), logger);

describe('formatError', () => {
  it("answers RATE_LIMITED with the gateway limiter's seconds to wait", () => {
    expect(formatted(new RateLimitedError(7)).extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 7 });
  });

  it("answers RATE_LIMITED with the seconds a service's RESOURCE_EXHAUSTED carried", () => {
    const metadata = new Metadata();
    metadata.set('retry-after', '32');
    const error = fromGrpcError(Object.assign(new Error('8 RESOURCE_EXHAUSTED: locked'), { code: status.RESOURCE_EXHAUSTED, details: 'too many failed sign-ins, retry after 32 s', metadata }));
    expect(formatted(error)).toMatchObject({ message: 'too many failed sign-ins, retry after 32 s', extensions: { code: 'RATE_LIMITED', retryAfter: 32 } });
  });

  it("answers RATE_LIMITED for a hook's refusal that Mercurius wrapped in its own GraphQLError", () => {
    const refusal = new GraphQLError('exhausted', { originalError: new RateLimitedError(3) });
    expect(formatError(new GraphQLError(refusal.message, { originalError: refusal }), logger).extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 3 });
  });

  it('shows nothing of an internal error', () => {
    const answer = formatted(new Error('select * from identity.users where password_hash = $1'));
    expect(answer).toEqual({ message: 'internal error', path: ['signIn'], extensions: { code: 'INTERNAL' } });
  });
});
