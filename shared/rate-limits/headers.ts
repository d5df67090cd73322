/**
 * A refusal's HTTP headers: `Retry-After`, and the IETF RateLimit-Policy and
 * RateLimit fields (draft-ietf-httpapi-ratelimit-headers, structured-field
 * form), e.g. `RateLimit-Policy: "ingest-requests";q=1000;w=1` and
 * `RateLimit: "ingest-requests";r=0;t=1`.
 */
import type { RateLimitedError } from '../errors.js';

export function rateLimitHeaders(err: RateLimitedError): Record<string, string> {
  const headers: Record<string, string> = { 'retry-after': String(err.retryAfterSeconds) };
  const policy = err.policy;
  if (policy) {
    headers['ratelimit-policy'] = `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`;
    headers.ratelimit = `"${policy.name}";r=${policy.remaining};t=${err.retryAfterSeconds}`;
  }
  return headers;
}
