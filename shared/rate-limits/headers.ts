/**
 * The IETF RateLimit-Policy and RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers, structured-field form), e.g.
 * `RateLimit-Policy: "ingest-requests";q=1000;w=1` and
 * `RateLimit: "ingest-requests";r=0;t=1`: on a refusal (with `Retry-After`),
 * and on an accepted answer for each limit it took from, so a client can
 * slow down before it is refused.
 */
import type { RateLimitedError } from '../errors.js';
import type { LimitState } from './shared-buckets.js';

export function rateLimitHeaders(err: RateLimitedError): Record<string, string> {
  const headers: Record<string, string> = { 'retry-after': String(err.retryAfterSeconds) };
  const policy = err.policy;
  if (policy) {
    headers['ratelimit-policy'] = `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`;
    headers.ratelimit = `"${policy.name}";r=${policy.remaining};t=${err.retryAfterSeconds}`;
  }
  return headers;
}

/** An accepted answer's headers: every limit the request took from, in order; `t` is when each is full again. */
export function acceptedRateLimitHeaders(states: readonly (LimitState | undefined)[]): Record<string, string> {
  const taken = states.filter((state): state is LimitState => state !== undefined);
  if (taken.length === 0) return {};
  return {
    'ratelimit-policy': taken.map((state) => `"${state.name}";q=${state.quota};w=${state.windowSeconds}`).join(', '),
    ratelimit: taken.map((state) => `"${state.name}";r=${state.remaining};t=${state.fullInSeconds}`).join(', '),
  };
}
