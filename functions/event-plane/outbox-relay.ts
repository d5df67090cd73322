/**
 * The transactional outbox: a service writes its CloudEvents into its own
 * schema's `outbox` table in the same transaction as the data they describe,
 * so an event exists exactly when its data was committed, even while NATS is
 * down. The {@link OutboxRelay} publishes them, to JetStream (`npm start`,
 * compose) or to an HTTP CloudEvents sink (the Knative Broker in the cluster,
 * `K_SINK`), and deletes each row only after JetStream acknowledged it or the
 * sink answered 2xx.
 *
 * Delivery is at least once from the relay's side and once on the stream:
 * a relay that crashes between the ack and its commit publishes those rows
 * again with the same event id. JetStream drops them by `Nats-Msg-Id` (the
 * event id) within the stream's duplicate window; so does the Broker's
 * NatsJetStreamChannel, which publishes with the event id as `Nats-Msg-Id`
 * too. Order follows `seq` within a batch but is not guaranteed across relays
 * or retries.
 *
 * A row holds one event (its CloudEvent as JSON), or lists several by id (a
 * JSON array of ids, one row per group of events committed together, so a
 * busy service writes one outbox row per commit rather than per event): the
 * relay builds those events with the schema's {@link ListedEventsReader} and
 * publishes each on its own, with its own id. A listed row is deleted once
 * all its events are acknowledged; until then it keeps the ids not yet
 * acknowledged.
 */
import { ErrorCode, NatsError, type NatsConnection } from 'nats';
import type { TransactionSql } from 'postgres';
import type { Registry } from 'prom-client';
import type { Sql } from '../../shared/database.js';
import { CloudEventsMediaType } from '../../shared/cloudevents.js';
import { eventStreamSpec, publishEncodedEvents, type EncodedEvent, type EventStreamConfig, type PublishOutcome } from '../../shared/events/index.js';
import type { Logger } from '../../shared/logger.js';
import { NatsWorker, backoffDelay, type NatsWorkerOptions } from './nats-worker.js';
import { outboxMetrics, type BacklogSource, type OutboxMetrics } from './outbox-metrics.js';
import { EventPostError, postEvent } from './post-event.js';

/**
 * Where a relay publishes: JetStream (`nats` and `stream`), or an HTTP
 * CloudEvents sink (`sink`, e.g. a Knative Broker's address), POSTed in
 * structured mode, the outbox row's JSON as it is.
 */
export type OutboxTarget = (NatsWorkerOptions & { stream: EventStreamConfig; sink?: undefined }) | { sink: string; logger: Logger };

/** How a relay runs, wherever it publishes. */
export interface OutboxRelaySettings {
  /** The registry the `polaris_outbox_*` metrics go to. */
  metrics: Registry;
  /** Events per transaction (a row listing more is still taken whole), published concurrently. Default 500. */
  batchSize?: number;
  /** Milliseconds between passes when nothing nudges the relay. Default 2000. */
  pollIntervalMs?: number;
  /** Milliseconds to wait for each JetStream ack or sink answer. Default 5000. */
  publishTimeoutMs?: number;
}

/**
 * Builds the events of one type that outbox rows list by id, from the
 * service's own tables, inside the relay's transaction. An id it returns no
 * event for is reported as rejected and stays in its row.
 */
export type ListedEventsReader = (tx: TransactionSql, type: string, ids: readonly string[]) => Promise<EncodedEvent[]>;

/** Options of {@link OutboxRelay}. */
export type OutboxRelayOptions = OutboxTarget &
  OutboxRelaySettings & {
    /** The pool of the database that holds `<schema>.outbox`. */
    sql: Sql;
    /** The schema whose outbox this relay empties, e.g. `usage`. */
    schema: string;
    /** How the schema's rows that list events by id become events; without it such rows are rejected. */
    listedEvents?: ListedEventsReader;
  };

/** Retry delays after failed passes: doubling from `initialMs`, at most `maxMs`. */
const relayBackoff = {
  initialMs: 500,
  maxMs: 30_000,
} as const;

const relayDefaults = {
  batchSize: 500,
  pollIntervalMs: 2_000,
  publishTimeoutMs: 5_000,
} as const;

/** POSTs in flight at once per batch to an HTTP sink: JetStream takes a whole batch at once, a Broker's ingress is kinder to fewer. */
const SINK_CONCURRENCY = 32;

/** Characters of an error message kept in `outbox.last_error`. */
const LAST_ERROR_MAX_LENGTH = 500;

/** NATS or JetStream (or the sink) was unavailable and acknowledged no event of a batch; the rows stay in the outbox. */
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
    super(`outbox ${schema}: none of ${failed} events was acknowledged: ${errorText(options.cause)}`, options);
  }
}

/**
 * True when JetStream, the client or the sink refused this event itself (too
 * large, a type that is no subject, an id no header can carry, a stream API
 * error other than 503, a 4xx other than 408 and 429), so retrying soon will
 * not help; false when NATS, JetStream or the sink is unavailable.
 */
function isRejection(err: unknown): boolean {
  if (err instanceof EventPostError) return err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
  if (!(err instanceof NatsError)) return true;
  if (err.api_error !== undefined) return err.api_error.code !== 503;
  return err.code === ErrorCode.MaxPayloadExceeded || err.code === ErrorCode.BadSubject || err.code === ErrorCode.BadPayload || err.code === ErrorCode.BadHeader;
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
  /** The event's JSON, or (`listed`) a JSON array of the ids of the events it lists. */
  body: string;
  listed: boolean;
  attempts: number;
}

/** One event of a batch: from its own row, or one of the events a row lists. */
interface BatchItem {
  row: OutboxRow;
  /** The listed event's id; undefined for a row holding its event. */
  listedId?: string;
  event?: EncodedEvent;
}

/** A listed event the schema's reader had no event for. */
class UnlistableEventError extends Error {
  override name = 'UnlistableEventError';
}

interface BatchResult {
  /** Whether rows may be left after this batch's (it took as many as it may). */
  full: boolean;
  /** The highest seq taken (the cursor for the next batch). */
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
 * Publishes a schema's outbox to JetStream or a sink: `start()` runs passes until
 * `stop()`, each woken by `nudge()` or every `pollIntervalMs`, backing off
 * after failures. Several relays (processes) may share one outbox: rows are
 * claimed with `for update skip locked`, so no two publish the same row at once.
 */
export class OutboxRelay extends NatsWorker {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly publishTimeoutMs: number;
  private readonly metrics: OutboxMetrics;
  private readonly source: BacklogSource;

  private loop: Promise<void> | undefined;
  private nudged = false;
  private consecutiveFailures = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: OutboxRelayOptions) {
    super(
      options.sink === undefined ? options : { logger: options.logger, nats: () => Promise.reject(new Error('this relay posts to a sink, not to NATS')) },
      options.sink === undefined ? [eventStreamSpec(options.stream)] : [],
    );
    this.batchSize = options.batchSize ?? relayDefaults.batchSize;
    this.pollIntervalMs = options.pollIntervalMs ?? relayDefaults.pollIntervalMs;
    this.publishTimeoutMs = options.publishTimeoutMs ?? relayDefaults.publishTimeoutMs;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error('OutboxRelay: batchSize must be a positive integer');
    this.metrics = outboxMetrics(options.metrics);
    this.source = { schema: options.schema, sql: options.sql, logger: options.logger };
    this.metrics.sources.add(this.source);
  }

  /** Starts relaying in the background; returns at once. A no-op while running, and after `stop()`. */
  start(): void {
    if (this.loop || this.stopping) return;
    this.loop = this.run();
  }

  /**
   * Wakes the relay for a pass now. Call it after committing events. While
   * backing off after failures it only marks work as pending: the backoff
   * protects NATS, and a reconnect wakes the relay anyway.
   */
  nudge(): void {
    this.nudged = true;
    if (this.consecutiveFailures === 0) this.wake();
  }

  /** Stops the loop for good, waits for passes in flight to end, and withdraws this outbox from the backlog metrics. */
  async stop(): Promise<void> {
    this.signalStopping();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.metrics.sources.delete(this.source);
  }

  /**
   * One pass over the outbox, the loop's unit of work (ends early after
   * `stop()`). Each batch is one transaction: claim the first rows in `seq`
   * order that hold up to `batchSize` events (`for update skip locked`),
   * publish their events concurrently,
   * delete the acknowledged rows, add an attempt and the error to the others,
   * commit. A batch with failures still commits what was acknowledged. Rows
   * JetStream rejects (e.g. too large) stay with their `last_error` and are
   * tried again next pass without holding back the rows behind them.
   *
   * @returns events published (including ones JetStream already had).
   * @throws WorkerStoppedError when stopped while waiting for the connection;
   *   the NATS error when NATS is not connected; OutboxPublishError when NATS
   *   or the sink was unavailable and acknowledged no event of a batch.
   */
  async relayOnce(): Promise<number> {
    const { sink } = this.options;
    const pass =
      sink === undefined
        ? this.connection().then((nc) => this.relay(nc))
        : this.relayBatches((events) => settleAll(events, SINK_CONCURRENCY, (event) => postToSink(sink, event, this.publishTimeoutMs)));
    this.inFlight.add(pass);
    return pass.finally(() => this.inFlight.delete(pass));
  }

  protected override reconnected(): void {
    // Retry now rather than after the backoff.
    this.wake();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.nudged = false;
      let delayMs = this.pollIntervalMs;
      try {
        await this.relayOnce();
        if (this.consecutiveFailures > 0) {
          this.logger.info({ schema: this.options.schema, failedPasses: this.consecutiveFailures }, 'outbox relay: publishing again');
        }
        this.consecutiveFailures = 0;
      } catch (err) {
        if (this.stopping) break;
        this.consecutiveFailures += 1;
        this.metrics.failures.inc({ schema: this.options.schema });
        delayMs = backoffDelay(relayBackoff, this.consecutiveFailures);
        // The error carries NATS/PostgreSQL codes and messages, never event payloads.
        this.logger.warn(
          { err, schema: this.options.schema, failedPasses: this.consecutiveFailures, retryInMs: delayMs },
          'outbox relay: publishing failed, events stay in the outbox',
        );
      }
      if (this.stopping) break;
      if (this.nudged && this.consecutiveFailures === 0) continue;
      await this.pause(delayMs);
    }
  }

  private async relay(nc: NatsConnection): Promise<number> {
    // Fails fast while disconnected, instead of claiming rows and waiting for
    // publishes that the client would only buffer until they time out.
    await withTimeout(nc.rtt(), this.publishTimeoutMs, () => NatsError.errorForCode(ErrorCode.Timeout));
    await this.ensureStreams(nc);
    const stream = (this.options as { stream: EventStreamConfig }).stream;
    try {
      return await this.relayBatches((events) => publishEncodedEvents(nc, stream, events, this.publishTimeoutMs));
    } catch (err) {
      // The stream may be gone (deleted, a new server): ensure it again next pass.
      this.streamsLost();
      throw err;
    }
  }

  private async relayBatches(publish: PublishEvents): Promise<number> {
    let published = 0;
    // The cursor moves past rows JetStream rejected, so they cannot hold back
    // the rows behind them; the next pass tries them again.
    let afterSeq = '0';
    for (;;) {
      const batch = await this.relayBatch(publish, afterSeq);
      published += batch.published;
      if (batch.duplicates > 0) {
        this.logger.info(
          { schema: this.options.schema, duplicates: batch.duplicates },
          'outbox relay: JetStream already had some events (published before an interrupted commit) and dropped them as duplicates',
        );
      }
      if (batch.unavailable !== undefined && batch.published === 0) {
        throw new OutboxPublishError(this.options.schema, batch.failed, published, { cause: batch.unavailable });
      }
      if (batch.rejected !== undefined) {
        this.logger.warn(
          { err: batch.rejected, schema: this.options.schema, rejected: batch.newlyRejected },
          'outbox relay: events were rejected; they stay in the outbox with their error',
        );
      }
      if (!batch.full || this.stopping) return published;
      afterSeq = batch.lastSeq;
    }
  }

  private async relayBatch(publish: PublishEvents, afterSeq: string): Promise<BatchResult> {
    const { schema } = this.options;
    return this.options.sql.begin(async (tx) => {
      // At most `batchSize` events at once (at least one row): planned by the
      // rows' event counts, so that only the rows taken are locked and read
      // whole. A listed row holds a commit's ids (8 KB for 200 events), and
      // reading every row of a backlog to take its first few read the backlog
      // again at every pass (3 KB an event in batch ingest's allocation profile).
      const planned = await tx<{ seq: string; events: number }[]>`
        select seq, events
        from ${tx(schema)}.outbox
        where seq > ${afterSeq}
        order by seq
        limit ${this.batchSize}`;
      let taken = 0;
      for (let events = 0; taken < planned.length; taken++) {
        events += planned[taken]!.events;
        if (taken > 0 && events > this.batchSize) break;
      }
      const seqs = planned.slice(0, taken).map((row) => row.seq);
      // Another relay may hold some of them, or have published them since: those are its own.
      const rows = seqs.length === 0 ? [] : await tx<OutboxRow[]>`
        select seq, event_id as id, type, payload::text as body, jsonb_typeof(payload) = 'array' as listed, attempts
        from ${tx(schema)}.outbox
        where seq = any(${seqs}::bigint[])
        order by seq
        for update skip locked`;
      const items = rows.flatMap((row): BatchItem[] =>
        row.listed ? (JSON.parse(row.body) as string[]).map((listedId) => ({ row, listedId })) : [{ row, event: { id: row.id, type: row.type, body: row.body } }],
      );
      const result: BatchResult = {
        full: taken < planned.length || planned.length === this.batchSize,
        lastSeq: seqs.at(-1) ?? afterSeq,
        published: 0,
        duplicates: 0,
        failed: 0,
        newlyRejected: 0,
      };
      if (rows.length === 0) return result;
      await this.readListedEvents(tx, items);

      // JetStream: all publishes in flight at once, one round trip per batch, not per event. A sink: a few at a time.
      const settled = await publishItems(publish, items);
      const unacknowledged = new Map<OutboxRow, { ids: string[]; error: string }>();
      // Counted by type, then added once each: a batch holds up to 500 events, mostly of one type.
      const publishedByType = new Map<string, number>();
      settled.forEach((outcome, i) => {
        const { row, listedId } = items[i]!;
        if (outcome.status === 'fulfilled') {
          result.published += 1;
          if (outcome.value.duplicate) result.duplicates += 1;
          publishedByType.set(row.type, (publishedByType.get(row.type) ?? 0) + 1);
          return;
        }
        result.failed += 1;
        const left = unacknowledged.get(row) ?? { ids: [], error: errorText(outcome.reason) };
        if (listedId !== undefined) left.ids.push(listedId);
        unacknowledged.set(row, left);
        if (isRejection(outcome.reason)) {
          result.rejected ??= outcome.reason;
          // Warn once per event, not on every pass that tries it again.
          if (row.attempts === 0) result.newlyRejected += 1;
        } else {
          result.unavailable ??= outcome.reason;
        }
      });
      for (const [type, count] of publishedByType) this.metrics.published.inc({ schema, type }, count);
      if (result.newlyRejected === 0) result.rejected = undefined;
      const acked = rows.filter((row) => !unacknowledged.has(row)).map((row) => row.seq);
      if (acked.length > 0) {
        await tx`delete from ${tx(schema)}.outbox where seq = any(${acked}::bigint[])`;
      }
      if (unacknowledged.size > 0) {
        const failed = [...unacknowledged];
        // A listed row keeps only the events not yet acknowledged.
        await tx`
          update ${tx(schema)}.outbox o
          set attempts = o.attempts + 1, last_error = f.error, payload = coalesce(f.ids::jsonb, o.payload)
          from unnest(${failed.map(([row]) => row.seq)}::bigint[], ${failed.map(([, left]) => left.error)}::text[],
            ${failed.map(([row, left]) => (row.listed ? JSON.stringify(left.ids) : null))}::text[]) as f (seq, error, ids)
          where o.seq = f.seq`;
      }
      return result;
    });
  }

  /** Builds the events the batch's rows list by id, one read per type. */
  private async readListedEvents(tx: TransactionSql, items: BatchItem[]): Promise<void> {
    const idsByType = new Map<string, string[]>();
    for (const item of items) {
      if (item.listedId === undefined) continue;
      const ids = idsByType.get(item.row.type) ?? [];
      ids.push(item.listedId);
      idsByType.set(item.row.type, ids);
    }
    if (idsByType.size === 0 || !this.options.listedEvents) return;
    const events = new Map<string, EncodedEvent>();
    for (const [type, ids] of idsByType) {
      for (const event of await this.options.listedEvents(tx, type, ids)) events.set(event.id, event);
    }
    for (const item of items) if (item.listedId !== undefined) item.event = events.get(item.listedId);
  }
}

/** Publishes events; resolves with each one's outcome, in order, once each was taken (`duplicate`: the target already had its id) or failed. */
type PublishEvents = (events: EncodedEvent[]) => Promise<PublishOutcome[]>;

/** Each item's outcome: an item whose event the schema's reader did not build fails without being published. */
async function publishItems(publish: PublishEvents, items: readonly BatchItem[]): Promise<PublishOutcome[]> {
  const published = await publish(items.flatMap((item) => (item.event ? [item.event] : [])));
  let next = 0;
  return items.map((item) =>
    item.event ? published[next++]! : { status: 'rejected', reason: new UnlistableEventError(`no ${item.row.type} event ${item.listedId} to build`) },
  );
}

/** Runs `task` over `items`, at most `concurrency` at a time, and settles each. */
async function settleAll<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index]!) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * POSTs an outbox row to a CloudEvents sink in structured mode: the row's
 * JSON as the body, so the event keeps its id and every attribute. Only a 2xx
 * answer counts; a Knative Broker answers 202 once its channel has the event.
 */
async function postToSink(sink: string, event: EncodedEvent, timeoutMs: number): Promise<{ duplicate: boolean }> {
  await postEvent('the sink', sink, { 'content-type': CloudEventsMediaType.structured }, event.body, timeoutMs);
  return { duplicate: false };
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
