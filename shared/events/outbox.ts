/**
 * The transactional outbox: a service writes its CloudEvents into its own
 * schema's `outbox` table in the same transaction as the data they describe,
 * so an event exists exactly when its data was committed, even while NATS is
 * down. The {@link OutboxRelay} publishes them to JetStream and deletes each
 * row only after JetStream acknowledged it.
 *
 * Delivery is at least once from the relay's side and once on the stream:
 * a relay that crashes between JetStream's ack and its commit publishes those
 * rows again, and JetStream drops them by `Nats-Msg-Id` (the event id) within
 * the stream's duplicate window. Order on the stream follows `seq` within a
 * batch but is not guaranteed across relays or retries.
 */
import { ErrorCode, Events, NatsError, type JetStreamClient, type NatsConnection, type PubAck } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Sql } from '../database.js';
import type { Logger } from '../logger.js';
import { ensureEventStream, publishEncodedEvent, type EventStreamConfig } from './nats.js';


/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** The pool of the database that holds `<schema>.outbox`. */
  sql: Sql;
  /** The schema whose outbox this relay empties, e.g. `usage`. */
  schema: string;
  /**
   * The NATS connection, e.g. the runtime's `nats()`. It may take long to
   * resolve (NATS down at start-up); the relay waits without blocking `start()`.
   * A connection that reconnects for ever (`maxReconnectAttempts: -1`) lets the
   * relay resume as soon as NATS is back.
   */
  nats: () => Promise<NatsConnection>;
  stream: EventStreamConfig;
  logger: Logger;
  /** The registry the `polaris_outbox_*` metrics go to. */
  metrics: Registry;
  /** Rows per transaction, published concurrently. Default 500. */
  batchSize?: number;
  /** Milliseconds between passes when nothing nudges the relay. Default 2000. */
  pollIntervalMs?: number;
  /** Milliseconds to wait for each JetStream ack. Default 5000. */
  publishTimeoutMs?: number;
}

/** Retry delays after failed passes: doubling from `initialMs`, at most `maxMs`. */
export const relayBackoff = {
  initialMs: 500,
  maxMs: 30_000,
} as const;

const relayDefaults = {
  batchSize: 500,
  pollIntervalMs: 2_000,
  publishTimeoutMs: 5_000,
} as const;

/** Characters of an error message kept in `outbox.last_error`. */
const LAST_ERROR_MAX_LENGTH = 500;

/** NATS or JetStream was unavailable and acknowledged no event of a batch; the rows stay in the outbox. */
export class OutboxPublishError extends Error {
  override name = 'OutboxPublishError';
  constructor(
    readonly schema: string,
    /** Events of the failed batch. */
    readonly failed: number,
    /** Events this pass published before the failed batch. */
    readonly published: number,
    options: { cause: unknown },
  ) {
    super(`outbox ${schema}: JetStream acknowledged none of ${failed} events: ${errorText(options.cause)}`, options);
  }
}

/**
 * True when JetStream or the client refused this event itself (too large, a
 * type that is no subject, a stream API error other than 503), so retrying
 * soon will not help; false when NATS or JetStream is unavailable.
 */
function isRejection(err: unknown): boolean {
  if (!(err instanceof NatsError)) return true;
  if (err.api_error !== undefined) return err.api_error.code !== 503;
  return err.code === ErrorCode.MaxPayloadExceeded || err.code === ErrorCode.BadSubject || err.code === ErrorCode.BadPayload;
}

function errorText(err: unknown): string {
  const text = err instanceof NatsError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  return text.slice(0, LAST_ERROR_MAX_LENGTH);
}

interface OutboxRow {
  /** bigint, as postgres.js returns it. */
  seq: string;
  id: string;
  type: string;
  body: string;
  attempts: number;
}

interface BatchResult {
  selected: number;
  /** The highest seq selected (the cursor for the next batch). */
  lastSeq: string;
  /** Acknowledged, including duplicates. */
  published: number;
  duplicates: number;
  failed: number;
  /** The first error that says NATS or JetStream is unavailable (timeout, no responders, disconnected). */
  unavailable?: unknown;
  /** The first error rejecting an event that had not failed before (too large, bad subject, refused by the stream). */
  rejected?: unknown;
  newlyRejected: number;
}

/**
 * Publishes a schema's outbox to JetStream: `start()` runs passes until
 * `stop()`, each woken by `nudge()` or every `pollIntervalMs`, backing off
 * after failures. Several relays (processes) may share one outbox: rows are
 * claimed with `for update skip locked`, so no two publish the same row at once.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly publishTimeoutMs: number;
  private readonly metrics: OutboxMetrics;
  private readonly source: BacklogSource;

  private loop: Promise<void> | undefined;
  private stopRequested = false;
  private resolveStopped: (() => void) | undefined;
  private stopped: Promise<undefined> = Promise.resolve(undefined);
  private wake: (() => void) | undefined;
  private nudged = false;
  private consecutiveFailures = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Connections on which the stream was ensured since they last (re)connected. */
  private readonly streamReady = new WeakSet<NatsConnection>();
  /** Connections whose reconnects wake this relay; renewed at stop(). */
  private watched = new WeakSet<NatsConnection>();
  private readonly stopWatching: Array<() => void> = [];

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? relayDefaults.batchSize;
    this.pollIntervalMs = options.pollIntervalMs ?? relayDefaults.pollIntervalMs;
    this.publishTimeoutMs = options.publishTimeoutMs ?? relayDefaults.publishTimeoutMs;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error('OutboxRelay: batchSize must be a positive integer');
    this.metrics = outboxMetrics(options.metrics);
    this.source = { schema: options.schema, sql: options.sql, logger: options.logger };
    this.metrics.sources.add(this.source);
  }

  /** Starts relaying in the background; returns at once. A no-op while running. */
  start(): void {
    if (this.loop) return;
    this.stopRequested = false;
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = () => resolve(undefined);
    });
    if (!this.metrics.sources.has(this.source)) this.metrics.sources.add(this.source);
    this.loop = this.run();
  }

  /**
   * Wakes the relay for a pass now. Call it after committing events. While
   * backing off after failures it only marks work as pending: the backoff
   * protects NATS, and a reconnect wakes the relay anyway.
   */
  nudge(): void {
    this.nudged = true;
    if (this.consecutiveFailures === 0) this.wake?.();
  }

  /** Stops the loop, waits for passes in flight to end, and withdraws this outbox from the backlog metrics. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.resolveStopped?.();
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.loop = undefined;
    for (const stop of this.stopWatching.splice(0)) stop();
    this.watched = new WeakSet();
    this.metrics.sources.delete(this.source);
  }

  /**
   * One pass over the outbox (ends early after `stop()`). Each batch is one
   * transaction: claim up to `batchSize` rows in `seq` order (`for update skip
   * locked`), publish them all concurrently, delete the acknowledged rows, add
   * an attempt and the error to the others, commit. A batch with failures
   * still commits what was acknowledged. Rows JetStream rejects (e.g. too
   * large) stay with their `last_error` and are tried again next pass without
   * holding back the rows behind them.
   *
   * @returns events published (including ones JetStream already had).
   * @throws the NATS error when NATS is not connected, or OutboxPublishError
   *   when NATS was unavailable and acknowledged no event of a batch.
   */
  async relayOnce(): Promise<number> {
    const nc = await this.options.nats();
    return this.track(this.relay(nc));
  }

  private track<T>(pass: Promise<T>): Promise<T> {
    this.inFlight.add(pass);
    return pass.finally(() => this.inFlight.delete(pass));
  }

  private async run(): Promise<void> {
    while (!this.stopRequested) {
      this.nudged = false;
      let delayMs = this.pollIntervalMs;
      try {
        // Waiting for the first connection must not hold up stop().
        const nc = await Promise.race([this.options.nats(), this.stopped]);
        if (nc === undefined) break;
        await this.track(this.relay(nc));
        if (this.consecutiveFailures > 0) {
          this.options.logger.info({ schema: this.options.schema, failedPasses: this.consecutiveFailures }, 'outbox relay: publishing again');
        }
        this.consecutiveFailures = 0;
      } catch (err) {
        this.consecutiveFailures += 1;
        this.metrics.failures.inc({ schema: this.options.schema });
        delayMs = Math.min(relayBackoff.maxMs, relayBackoff.initialMs * 2 ** (this.consecutiveFailures - 1));
        // The error carries NATS/PostgreSQL codes and messages, never event payloads.
        this.options.logger.warn(
          { err, schema: this.options.schema, failedPasses: this.consecutiveFailures, retryInMs: delayMs },
          'outbox relay: publishing failed, events stay in the outbox',
        );
      }
      if (this.stopRequested) break;
      if (this.nudged && this.consecutiveFailures === 0) continue;
      await this.sleep(delayMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async relay(nc: NatsConnection): Promise<number> {
    if (nc.isClosed()) throw NatsError.errorForCode(ErrorCode.ConnectionClosed);
    // Fails fast while disconnected, instead of claiming rows and waiting for
    // publishes that the client would only buffer until they time out.
    await withTimeout(nc.rtt(), this.publishTimeoutMs, () => NatsError.errorForCode(ErrorCode.Timeout));
    this.watch(nc);
    if (!this.streamReady.has(nc)) {
      await ensureEventStream(nc, this.options.stream);
      this.streamReady.add(nc);
    }
    try {
      return await this.relayBatches(nc.jetstream({ timeout: this.publishTimeoutMs }));
    } catch (err) {
      // The stream may be gone (deleted, a new server): ensure it again next pass.
      this.streamReady.delete(nc);
      throw err;
    }
  }

  private async relayBatches(js: JetStreamClient): Promise<number> {
    let published = 0;
    // The cursor moves past rows JetStream rejected, so they cannot hold back
    // the rows behind them; the next pass tries them again.
    let afterSeq = '0';
    for (;;) {
      const batch = await this.relayBatch(js, afterSeq);
      published += batch.published;
      if (batch.duplicates > 0) {
        this.options.logger.info(
          { schema: this.options.schema, duplicates: batch.duplicates },
          'outbox relay: JetStream already had some events (published before an interrupted commit) and dropped them as duplicates',
        );
      }
      if (batch.unavailable !== undefined && batch.published === 0) {
        throw new OutboxPublishError(this.options.schema, batch.failed, published, { cause: batch.unavailable });
      }
      if (batch.rejected !== undefined) {
        this.options.logger.warn(
          { err: batch.rejected, schema: this.options.schema, rejected: batch.newlyRejected },
          'outbox relay: JetStream rejected events; they stay in the outbox with their error',
        );
      }
      if (batch.selected < this.batchSize || this.stopRequested) return published;
      afterSeq = batch.lastSeq;
    }
  }

  private async relayBatch(js: JetStreamClient, afterSeq: string): Promise<BatchResult> {
    const { schema, stream } = this.options;
    return this.options.sql.begin(async (tx) => {
      const rows = await tx<OutboxRow[]>`
        select seq, event_id as id, type, payload::text as body, attempts
        from ${tx(schema)}.outbox
        where seq > ${afterSeq}
        order by seq
        limit ${this.batchSize}
        for update skip locked`;
      const result: BatchResult = { selected: rows.length, lastSeq: rows.at(-1)?.seq ?? afterSeq, published: 0, duplicates: 0, failed: 0, newlyRejected: 0 };
      if (rows.length === 0) return result;

      // All publishes in flight at once: one round trip per batch, not per event.
      const settled = await Promise.allSettled(rows.map((row) => publishEncodedEvent(js, stream, row, this.publishTimeoutMs)));
      const acked: string[] = [];
      const failedSeqs: string[] = [];
      const failedErrors: string[] = [];
      settled.forEach((outcome: PromiseSettledResult<PubAck>, i) => {
        const row = rows[i]!;
        if (outcome.status === 'fulfilled') {
          acked.push(row.seq);
          if (outcome.value.duplicate) result.duplicates += 1;
          this.metrics.published.inc({ schema, type: row.type });
          return;
        }
        failedSeqs.push(row.seq);
        failedErrors.push(errorText(outcome.reason));
        if (isRejection(outcome.reason)) {
          result.rejected ??= outcome.reason;
          // Warn once per event, not on every pass that tries it again.
          if (row.attempts === 0) result.newlyRejected += 1;
        } else {
          result.unavailable ??= outcome.reason;
        }
      });
      if (result.newlyRejected === 0) result.rejected = undefined;
      result.published = acked.length;
      result.failed = failedSeqs.length;
      if (acked.length > 0) {
        await tx`delete from ${tx(schema)}.outbox where seq = any(${acked}::bigint[])`;
      }
      if (failedSeqs.length > 0) {
        await tx`
          update ${tx(schema)}.outbox o
          set attempts = o.attempts + 1, last_error = f.error
          from unnest(${failedSeqs}::bigint[], ${failedErrors}::text[]) as f (seq, error)
          where o.seq = f.seq`;
      }
      return result;
    });
  }

  /** After a reconnect the server may be a new one: ensure the stream again, and retry now rather than after the backoff. */
  private watch(nc: NatsConnection): void {
    if (this.watched.has(nc)) return;
    this.watched.add(nc);
    const statuses = nc.status();
    const stoppable = statuses as AsyncIterable<unknown> & { stop?: () => void };
    if (typeof stoppable.stop === 'function') this.stopWatching.push(() => stoppable.stop?.());
    void (async () => {
      for await (const status of statuses) {
        if (status.type !== Events.Reconnect) continue;
        this.streamReady.delete(nc);
        this.wake?.();
      }
    })().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

/** An outbox the backlog gauges report on. */
interface BacklogSource {
  schema: string;
  sql: Sql;
  logger: Logger;
}

interface OutboxMetrics {
  published: Counter<'schema' | 'type'>;
  failures: Counter<'schema'>;
  backlog: Gauge<'schema'>;
  oldestAge: Gauge<'schema'>;
  sources: Set<BacklogSource>;
}

/** Metrics are created once per registry, so relays for several schemas in one process share them. */
const metricsByRegistry = new WeakMap<Registry, OutboxMetrics>();

function outboxMetrics(registry: Registry): OutboxMetrics {
  const existing = metricsByRegistry.get(registry);
  if (existing) return existing;
  const sources = new Set<BacklogSource>();
  // Both gauges come from one query per outbox; a scrape collects them concurrently and shares it.
  let sampling: Promise<Map<string, { backlog: number; oldestAgeSeconds: number }>> | undefined;
  const sample = () => {
    sampling ??= sampleBacklogs(sources).finally(() => {
      sampling = undefined;
    });
    return sampling;
  };
  const collectInto = async (gauge: Gauge<'schema'>, pick: (s: { backlog: number; oldestAgeSeconds: number }) => number) => {
    gauge.reset();
    for (const [schema, sampled] of await sample()) gauge.set({ schema }, pick(sampled));
  };
  const metrics: OutboxMetrics = {
    sources,
    published: new Counter({
      name: 'polaris_outbox_published_total',
      help: 'Events the outbox relay published to JetStream (acknowledged), by schema and event type',
      labelNames: ['schema', 'type'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'polaris_outbox_publish_failures_total',
      help: 'Outbox relay passes that failed (NATS unreachable or no event acknowledged); each is retried with backoff',
      labelNames: ['schema'] as const,
      registers: [registry],
    }),
    backlog: new Gauge({
      name: 'polaris_outbox_backlog',
      help: 'Events waiting in the outbox, by schema',
      labelNames: ['schema'] as const,
      registers: [registry],
      async collect() {
        await collectInto(this, (s) => s.backlog);
      },
    }),
    oldestAge: new Gauge({
      name: 'polaris_outbox_oldest_age_seconds',
      help: 'Seconds the oldest event has waited in the outbox (0 when empty), by schema',
      labelNames: ['schema'] as const,
      registers: [registry],
      async collect() {
        await collectInto(this, (s) => s.oldestAgeSeconds);
      },
    }),
  };
  metricsByRegistry.set(registry, metrics);
  return metrics;
}

/** Backlog per schema; an outbox whose database does not answer is left out of this scrape. */
async function sampleBacklogs(sources: ReadonlySet<BacklogSource>): Promise<Map<string, { backlog: number; oldestAgeSeconds: number }>> {
  const sampled = new Map<string, { backlog: number; oldestAgeSeconds: number }>();
  await Promise.all(
    [...sources].map(async ({ schema, sql, logger }) => {
      try {
        const [row] = await sql<{ backlog: number; age: number }[]>`
          select count(*)::int as backlog, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
          from ${sql(schema)}.outbox`;
        sampled.set(schema, { backlog: row?.backlog ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) });
      } catch (err) {
        logger.debug({ err, schema }, 'outbox relay: could not measure the backlog');
      }
    }),
  );
  return sampled;
}
