/**
 * Per-organization token buckets that hold across every pod of every function
 * enforcing them, without a round trip per request.
 *
 * The bucket itself lives in PostgreSQL (`rate_limits.buckets`), refilled by
 * the database's clock. A pod leases tokens from it in chunks, one UPDATE per
 * lease, and serves requests from its lease. A token is taken from the shared
 * bucket before any pod spends it, so all pods together never accept more
 * than the allowance (rate × time + burst); what a pod leased but did not
 * spend before its lease lapsed is lost, at most one chunk per pod per lease
 * lifetime, so the slack is on the safe side.
 *
 * A refused request costs no round trip either: the pod remembers what the
 * shared bucket held at its last lease, and refuses locally until the refill
 * could cover the request. A request that would be refused before the
 * Retry-After of the bucket's last refusal (its client, or another of the
 * organization's, did not wait) is held until the refill covers it after
 * those held before it, at most a second, and looked at again: a client that
 * ignores Retry-After keeps its connections waiting, not a core busy refusing
 * it, and is served at the organization's rate, a lease's worth at a time,
 * rather than in one burst each second that would crowd out everyone else.
 *
 * Beside the buckets, each pod gives each organization a share of its
 * requests in flight while others are using it (in-flight-shares.ts).
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { isEndedPoolError, type Sql } from '../database.js';
import { RateLimitedError, withoutStack, type RateLimitPolicy } from '../errors.js';
import { oncePerRegistry } from '../metrics.js';
import { InFlightShares, inFlightShare } from './in-flight-shares.js';
import { burstFactor, effectiveLimits, limitField, type OrganizationLimitOverrides, type OrganizationLimits, type RateLimitName } from './policies.js';

/** What one lease took from a shared bucket. */
export interface Lease {
  /** Tokens granted: 0, or between `need` and `want`. */
  granted: number;
  /** Tokens left in the shared bucket after the lease. */
  remaining: number;
}

/** A limit after a request took from it: the RateLimit headers of an accepted answer. */
export interface LimitState extends RateLimitPolicy {
  /** Whole seconds until the bucket is full again at its rate. */
  fullInSeconds: number;
}

/** Where the shared buckets are kept. */
export interface BucketStore {
  /**
   * Refills the bucket `key` by the time since it was last touched (at
   * `perSecond`, up to `burst`; a new bucket starts full), then takes up to
   * `want` tokens when it holds at least `need`, none otherwise.
   */
  lease(key: string, perSecond: number, burst: number, need: number, want: number): Promise<Lease>;
}

/** The buckets in PostgreSQL: one upsert per lease, atomic under concurrent pods by the row's lock. */
export class PostgresBucketStore implements BucketStore {
  /** `sql` is called at the first lease: a function that never leases opens no pool. */
  constructor(private readonly sql: () => Sql) {}

  async lease(key: string, perSecond: number, burst: number, need: number, want: number): Promise<Lease> {
    const sql = this.sql();
    const available = sql`least(${burst}::float8, b.tokens + ${perSecond}::float8 * greatest(0, extract(epoch from now() - b.updated_at)::float8))`;
    const granted = sql`case when ${available} >= ${need}::float8 then least(${want}::float8, ${available}) else 0 end`;
    const grantedWhenNew = need <= burst ? Math.min(want, burst) : 0;
    const [row] = await sql<{ lastGranted: number; tokens: number }[]>`
      insert into rate_limits.buckets as b (key, tokens, updated_at, last_granted)
      values (${key}, ${burst - grantedWhenNew}::float8, now(), ${grantedWhenNew}::float8)
      on conflict (key) do update set
        last_granted = ${granted},
        tokens = ${available} - ${granted},
        updated_at = now()
      returning last_granted, tokens`;
    return { granted: row!.lastGranted, remaining: row!.tokens };
  }
}

export interface OrganizationRateLimiterOptions {
  /** The limits of an organization the operator set none for. */
  defaults: OrganizationLimits;
  /** Seconds of its rate a pod leases at once. Default 0.05 (50 ms): 50 tokens of a 1 000/s limit. */
  leaseSeconds?: number;
  /** Milliseconds a pod keeps leased tokens; unspent ones then lapse. Default 1 000. */
  leaseLifetimeMs?: number;
  /** Buckets a pod remembers at most; the least recently used go first. Default 10 000. */
  maxBuckets?: number;
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
  /** How a refusal is held (see {@link OrganizationRateLimiter.take}); tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
  /** Where the count of requests that waited for their in-flight share goes. */
  metrics?: Registry;
}

/** An HTTP response, as far as a share needs it: `close` once it is answered or its connection is gone, and whether that happened. */
export interface ClosingResponse {
  readonly closed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** A pod's view of one shared bucket. */
interface LocalBucket {
  /** Tokens leased and not yet spent. */
  leased: number;
  leaseExpiresAt: number;
  /** Tokens the shared bucket held at `sharedAt` (after this pod's last lease); -1 before any. */
  shared: number;
  sharedAt: number;
  /** The lease under way, which other requests for the bucket wait for rather than leasing too. */
  pending?: Promise<void>;
  /** Tokens the requests waiting for `pending` need: the next lease takes them all at once. */
  waiting: number;
  /** When the last refusal said the organization may try again; a refusal before then is held. */
  retryAt: number;
  /** Tokens the held requests will take when they wake: a request held now waits for the refill to cover these first. */
  held: number;
  /** The held requests' groups, by when they wake. */
  wakeUps: Map<number, Promise<void>>;
}

/** Leases a request may make before it is refused: other requests may spend what its lease brought. */
const maxLeaseAttempts = 3;

/** The longest a request is held, in all, for a client that did not wait its Retry-After. */
const maxRefusalHoldMs = 1_000;

/** Times a request is held at most: its first hold and two more should its group wake a fraction short. */
const maxHolds = 3;

/**
 * Held requests wake in groups this far apart: each group takes one lease,
 * and is small enough (10 requests at 1 000 a second) that answering it at
 * once delays another organization's request by little; a second's refill
 * released at once would hold the pod for a quarter of a second.
 */
const holdStepMs = 10;

/**
 * Enforces each organization's limits across pods. `take` resolves when the
 * request may go on, and throws a RateLimitedError (with its RateLimit policy)
 * when the organization's bucket cannot cover it.
 */
export class OrganizationRateLimiter {
  private readonly buckets = new Map<string, LocalBucket>();
  private readonly shares = new Map<RateLimitName, InFlightShares>();
  private readonly now: () => number;
  private readonly leaseSeconds: number;
  private readonly leaseLifetimeMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private storeFailureLoggedAt = -Infinity;

  constructor(
    private readonly store: BucketStore,
    private readonly options: OrganizationRateLimiterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.leaseSeconds = options.leaseSeconds ?? 0.05;
    this.leaseLifetimeMs = options.leaseLifetimeMs ?? 1_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The limits that apply to an organization with these overrides. */
  limitsOf(overrides: OrganizationLimitOverrides | undefined): OrganizationLimits {
    return effectiveLimits(this.options.defaults, overrides);
  }

  /**
   * Waits for the request's place among its organization's requests in flight
   * in this pod, its share sized from `limit` (see in-flight-shares.ts), and
   * gives the place back when `response` closes: answered, or its client gone.
   */
  async waitForShare(response: ClosingResponse, organizationId: string, overrides: OrganizationLimitOverrides | undefined, limit: RateLimitName): Promise<void> {
    let shares = this.shares.get(limit);
    if (!shares) {
      const waits = this.options.metrics ? shareWaitMetric(this.options.metrics).labels(limit) : undefined;
      shares = new InFlightShares({ now: this.now, onWait: () => waits?.inc() });
      this.shares.set(limit, shares);
    }
    // A client gone while its request waited (for a held refusal, say) has
    // closed already: a place taken now would never be given back.
    if (response.closed) return;
    const place = shares.enter(organizationId, inFlightShare(this.limitsOf(overrides)[limitField[limit]]));
    response.once('close', place.done);
    await place.admitted;
  }

  /**
   * Takes `cost` units of the organization's `limit`. A cost above the whole
   * burst takes the whole burst, so a request the limit can never cover at
   * once still goes through when the bucket is full. A request that would be
   * refused before the last refusal's Retry-After waits until the refill
   * covers it after the requests held before it (a second at most in all) and
   * is looked at again: it goes through if the refill covers it by then, and
   * is refused otherwise, with the headers of that moment.
   */
  async take(organizationId: string, overrides: OrganizationLimitOverrides | undefined, limit: RateLimitName, cost = 1): Promise<LimitState | undefined> {
    if (cost <= 0) return undefined;
    const perSecond = this.limitsOf(overrides)[limitField[limit]];
    const burst = perSecond * burstFactor;
    const need = Math.min(cost, burst);
    const bucket = this.bucket(`${limit}:${organizationId}`);
    // Set once the request is first held: it may be held again (woken with a
    // group that the refill covered but for a fraction) until then.
    let holdUntil: number | undefined;
    for (let leases = 0, holds = 0; ; ) {
      const now = this.now();
      if (now >= bucket.leaseExpiresAt) bucket.leased = 0;
      if (bucket.leased >= need) {
        bucket.leased -= need;
        // What is left as far as this pod knows: its lease, and the shared bucket as last seen plus its refill since.
        const remaining = Math.floor(bucket.leased + sharedLevel(bucket, now, perSecond, burst));
        return { name: limit, quota: perSecond, windowSeconds: 1, remaining, fullInSeconds: Math.max(0, Math.ceil((burst - remaining) / perSecond)) };
      }
      if (bucket.pending) {
        bucket.waiting += need;
        try {
          await bucket.pending;
        } finally {
          bucket.waiting -= need;
        }
        continue;
      }
      const missing = need - bucket.leased;
      const sharedNow = sharedLevel(bucket, now, perSecond, burst);
      // A request not yet held comes after those that are: the refill is theirs first.
      const short = (holds === 0 ? bucket.held : 0) + missing - sharedNow;
      if (short > 0 || leases >= maxLeaseAttempts) {
        if (holdUntil === undefined ? now < bucket.retryAt : now < holdUntil && holds < maxHolds) {
          holdUntil ??= now + maxRefusalHoldMs;
          holds += 1;
          leases = 0;
          // Until the refill covers this request after those held before it.
          await this.holdInLine(bucket, need, now + ((bucket.held + missing - sharedNow) / perSecond) * 1000, holdUntil, now);
          continue;
        }
        const retryAfterSeconds = Math.max(1, Math.ceil(short / perSecond));
        bucket.retryAt = Math.max(bucket.retryAt, now + retryAfterSeconds * 1000);
        throw withoutStack(
          () =>
            new RateLimitedError(retryAfterSeconds, {
              code: 'rate_limited',
              message: `the organization's ${limit} limit (${perSecond} a second) is exhausted: retry after ${retryAfterSeconds} s`,
              policy: { name: limit, quota: perSecond, windowSeconds: 1, remaining: Math.max(0, Math.floor(bucket.leased + sharedNow)) },
            }),
        );
      }
      // A chunk, or what every request waiting meanwhile needs too, within the burst.
      const want = Math.max(missing, Math.min(burst, Math.max(missing + bucket.waiting, Math.ceil(perSecond * this.leaseSeconds))));
      leases += 1;
      bucket.pending = this.lease(bucket, `${limit}:${organizationId}`, perSecond, burst, missing, want).finally(() => {
        bucket.pending = undefined;
      });
      await bucket.pending;
    }
  }

  /**
   * Holds a request of `need` tokens until `coveredAt` rounded up to the
   * clock's next step, or `holdUntil` if that is sooner. The requests held
   * until the same step share one timer, so they resume together and the
   * first one's lease serves the rest; meanwhile their tokens count as held,
   * ahead of any request that comes later.
   */
  private async holdInLine(bucket: LocalBucket, need: number, coveredAt: number, holdUntil: number, now: number): Promise<void> {
    const wakeAt = Math.ceil(coveredAt / holdStepMs) * holdStepMs;
    let woken = wakeAt > holdUntil ? this.sleep(holdUntil - now) : bucket.wakeUps.get(wakeAt);
    if (!woken) {
      woken = this.sleep(wakeAt - now).finally(() => bucket.wakeUps.delete(wakeAt));
      bucket.wakeUps.set(wakeAt, woken);
    }
    bucket.held += need;
    try {
      await woken;
    } finally {
      bucket.held -= need;
    }
  }

  private async lease(bucket: LocalBucket, key: string, perSecond: number, burst: number, need: number, want: number): Promise<void> {
    let lease: Lease;
    try {
      lease = await this.store.lease(key, perSecond, burst, need, want);
    } catch (err) {
      // Fail open: a database that cannot lease tokens cannot store the
      // request's work either, and the request will say so; the limit must
      // not turn a short outage into refusals for everyone. The pod serves a
      // chunk from a lease of its own meanwhile, so it does not retry per request.
      // A pool this process has ended is no outage: a request held in line
      // woke after shutdown closed the pool (its client gone, or the grace
      // period over), and a warning at every rollout would cry wolf.
      if (!isEndedPoolError(err) && this.now() - this.storeFailureLoggedAt > 10_000) {
        this.storeFailureLoggedAt = this.now();
        this.options.logger?.warn({ err }, 'could not lease rate-limit tokens: serving from a local lease meanwhile');
      }
      lease = { granted: want, remaining: bucket.shared < 0 ? burst : bucket.shared };
    }
    const now = this.now();
    if (now >= bucket.leaseExpiresAt) bucket.leased = 0;
    bucket.leased += lease.granted;
    if (lease.granted > 0) bucket.leaseExpiresAt = now + this.leaseLifetimeMs;
    bucket.shared = lease.remaining;
    bucket.sharedAt = now;
  }

  private bucket(key: string): LocalBucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Most recently used last, so the first is the one to forget.
      this.buckets.delete(key);
    } else {
      bucket = { leased: 0, leaseExpiresAt: 0, shared: -1, sharedAt: 0, waiting: 0, retryAt: 0, held: 0, wakeUps: new Map() };
      if (this.buckets.size >= (this.options.maxBuckets ?? 10_000)) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, bucket);
    return bucket;
  }
}

/** A limiter over the shared buckets in `sql`, or undefined when the settings turn every limit off. */
export function organizationRateLimiterFrom(
  config: { rateLimits?: OrganizationLimits },
  sql: () => Sql,
  runtime: { logger?: Pick<Logger, 'warn'>; metrics?: Registry } = {},
): OrganizationRateLimiter | undefined {
  if (!config.rateLimits) return undefined;
  return new OrganizationRateLimiter(new PostgresBucketStore(sql), { defaults: config.rateLimits, ...runtime });
}

const shareWaitMetric = oncePerRegistry(
  (registry) =>
    new Counter({
      name: 'polaris_rate_limit_share_waits_total',
      help: "Requests that waited for their organization's share of the pod's requests in flight, by limit",
      labelNames: ['limit'],
      registers: [registry],
    }),
);

/** The shared bucket's level at `now`, from what the last lease saw and the refill since (full when never seen). */
function sharedLevel(bucket: LocalBucket, now: number, perSecond: number, burst: number): number {
  return bucket.shared < 0 ? burst : Math.min(burst, bucket.shared + ((now - bucket.sharedAt) / 1000) * perSecond);
}
