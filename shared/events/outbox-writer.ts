/**
 * The write side of the transactional outbox: its table, the NOTIFY that wakes
 * the relays, and `enqueueEvents` for use inside a service's transaction.
 * Kept apart from the relay (./outbox.ts), so functions and the migrator do
 * not carry the NATS client.
 */
import type { CloudEvent } from 'cloudevents';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../database.js';
import { encodeCloudEvent } from './types.js';

/**
 * Creates the `outbox` table in the current search_path: include it in a
 * service's migration (which runs with `set local search_path to "<schema>"`).
 * `payload` is the structured-mode CloudEvent.
 */
export const outboxTableSql = `
  -- CloudEvents committed with their data, until the relay has them on JetStream.
  create table outbox (
    seq bigint generated always as identity primary key,
    event_id text not null unique,
    type text not null,
    payload jsonb not null,
    created_at timestamptz not null default now(),
    attempts int not null default 0,
    last_error text
  );
`;

/**
 * Adds `events` to an `outbox` made by `outboxTableSql`: how many events a row
 * holds (a row listing events by id holds each of them), kept by PostgreSQL
 * as the payload is written or shortened. The relay plans its batches and the
 * backlog metric counts by it: computed from the payload, both read every
 * listed row's whole array (up to 80 KB out of TOAST for a batch of 2,000
 * events) only to count it, 2.3 ms a relay pass in batch ingest's backlog
 * (npm run bench, pg_stat_statements). Include it as a migration of its own
 * after `outboxTableSql`, in the same search_path. Adding it rewrites the
 * table under an exclusive lock: a moment for an outbox in normal running
 * (empty, or a few rows), longer for one holding a long NATS outage's backlog.
 */
export const outboxEventCountSql = `
  alter table outbox add column events int not null
    generated always as (case when jsonb_typeof(payload) = 'array' then jsonb_array_length(payload) else 1 end) stored;
`;

/** The channel an outbox insert notifies, with the schema as payload, so relays wake at once. */
export const outboxNotifyChannel = 'polaris_outbox';

/**
 * A statement-level trigger that NOTIFYs `polaris_outbox` with the schema's
 * name whenever rows are inserted into its `outbox` (delivered at commit).
 * Include it after `outboxTableSql`, in the same search_path.
 */
export const outboxNotifySql = `
  create function notify_outbox() returns trigger language plpgsql as $$
  begin
    perform pg_notify('${outboxNotifyChannel}', tg_table_schema);
    return null;
  end $$;
  create trigger outbox_notify after insert on outbox for each statement execute function notify_outbox();
`;

/**
 * Wakes the relays for outbox rows whose own transaction sent no NOTIFY, once
 * they are committed: ingest's. Two costs are kept off ingest's path this way.
 * A NOTIFY holds a database-wide lock from its transaction's commit until the
 * commit is flushed, so transactions that notify commit one at a time, and
 * ingest's commits are many and concurrent. And a relay woken at every commit
 * runs a pass (a transaction, a read of the events, JetStream's round trips)
 * for every few events; woken at most every `delayMs`, it publishes the same
 * events in fewer, larger passes (npm run bench: single-event ingest about a
 * sixth faster, scripts/bench/LOG.md).
 *
 * Commits within `delayMs` of the first share one NOTIFY, sent after all of
 * them, so none is announced before it is visible. It commits asynchronously:
 * it changes no data, and a lost one only leaves the rows to the relays' next
 * poll.
 */
export class OutboxAnnouncer {
  private scheduled: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
    private readonly delayMs = 100,
  ) {}

  /** Call once a transaction that wrote outbox rows has committed. */
  committed(): void {
    // A NOTIFY not yet sent goes out after this commit, so it covers it too.
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.sql`select set_config('synchronous_commit', 'off', true), pg_notify(${outboxNotifyChannel}, ${this.schema})`.catch(() => {
        // The relays find the rows at their next poll.
      });
    }, this.delayMs);
    // A NOTIFY is no reason to keep a stopping process alive.
    this.scheduled.unref();
  }
}

/**
 * Inserts events into `<schema>.outbox` in one statement. Pass the caller's
 * transaction (`sql.begin(async (tx) => …enqueueEvents(tx, …))`) so the events
 * commit or roll back with the data they describe; call the relay's `nudge()`
 * after the commit. An event id already in the outbox is skipped.
 *
 * @returns how many events were new.
 */
export async function enqueueEvents(sql: Sql | TransactionSql, schema: string, events: readonly CloudEvent<unknown>[]): Promise<number> {
  if (events.length === 0) return 0;
  const encoded = events.map(encodeCloudEvent);
  const result = await sql`
    insert into ${sql(schema)}.outbox (event_id, type, payload)
    select e.id, e.type, e.body::jsonb
    from unnest(${encoded.map((e) => e.id)}::text[], ${encoded.map((e) => e.type)}::text[], ${encoded.map((e) => e.body)}::text[])
      with ordinality as e (id, type, body, n)
    order by e.n
    on conflict (event_id) do nothing`;
  return result.count;
}
