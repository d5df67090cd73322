/**
 * A token bucket per credential: `perSecond` requests a second on average,
 * bursts of up to `burst`. Each process keeps its own buckets, so with N
 * instances of a function a credential gets up to N times the rate; the limit
 * protects each instance, and Knative's concurrency target spreads the load.
 */
import { createHash } from 'node:crypto';
import { RateLimitedError } from './errors.js';

export interface RateLimiterOptions {
  /** Average requests per second per credential. */
  perSecond: number;
  /** Requests a credential may make at once after being idle. */
  burst: number;
  /** Buckets kept at most; the least recently used go first. Default 10 000. */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes one request from the credential's bucket; throws RateLimitedError when it is empty. */
  take(credential: string): void {
    // Buckets are keyed by a hash, so the limiter never holds a credential.
    const key = createHash('sha256').update(credential).digest('base64url');
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updatedAt: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.options.perSecond);
    bucket.updatedAt = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > (this.options.maxKeys ?? 10_000)) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens < 1) throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / this.options.perSecond)));
    bucket.tokens -= 1;
  }
}

/** A limiter from the runtime settings, or undefined when rate limiting is off (perSecond 0). */
export function rateLimiterFrom(config: { rateLimitPerSecond: number; rateLimitBurst: number }): RateLimiter | undefined {
  if (config.rateLimitPerSecond <= 0) return undefined;
  return new RateLimiter({ perSecond: config.rateLimitPerSecond, burst: Math.max(1, config.rateLimitBurst || config.rateLimitPerSecond * 2) });
}
