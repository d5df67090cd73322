import { describe, expect, it } from 'vitest';
import { RateLimitedError } from './errors.js';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then the rate, and says when to come back', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3, now: () => now });
    for (let i = 0; i < 3; i++) limiter.take('key-a');
    expect(() => limiter.take('key-a')).toThrow(RateLimitedError);
    try {
      limiter.take('key-a');
    } catch (err) {
      expect((err as RateLimitedError).retryAfterSeconds).toBe(1);
    }
    limiter.take('key-b'); // another credential has its own bucket
    now += 500; // one token back at 2 a second
    limiter.take('key-a');
    expect(() => limiter.take('key-a')).toThrow(RateLimitedError);
  });
});
