/** Usage's SQL. Only this file touches the `usage` schema. */
import type { Sql } from '../../../shared/database.js';
import { enqueueEvents, EventType } from '../../../shared/events/index.js';
import { utcDate } from '../../../shared/periods.js';
import { aggregateUpdated, usageRecorded, type ChangedAggregate } from './events.js';
import type { UsageEventInput } from './inputs.js';

/** An event to insert, with the id it gets if it is new. */
export interface NewUsageEvent extends UsageEventInput {
  id: string;
  orgId: string;
}

export interface InsertResult {
  /** The event's id, or the first event's for a replayed idempotency key. */
  id: string;
  duplicate: boolean;
}

export interface DailyTotal {
  metric: string;
  day: Date;
  total: string;
}

/** The number of pending events and the age in seconds of the oldest one. */
export interface AggregationBacklog {
  events: number;
  oldestAgeSeconds: number;
}

const dedupeKey = (orgId: string, idempotencyKey: string) => `${orgId} ${idempotencyKey}`;

export class UsageStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts events atomically with their pending-aggregation rows and their
   * usage.recorded outbox rows. Replayed idempotency keys (within the batch or
   * against earlier commits) resolve to the first event's id.
   *
   * @returns each event's result, by the id it was given.
   */
  async insertEvents(events: readonly NewUsageEvent[]): Promise<Map<string, InsertResult>> {
    // Within the batch, the first event with a key wins; later ones are its duplicates.
    const firstByKey = new Map<string, NewUsageEvent>();
    const unique: NewUsageEvent[] = [];
    const copies: { event: NewUsageEvent; first: NewUsageEvent }[] = [];
    for (const event of events) {
      const key = event.idempotencyKey === undefined ? undefined : dedupeKey(event.orgId, event.idempotencyKey);
      const first = key === undefined ? undefined : firstByKey.get(key);
      if (first) {
        copies.push({ event, first });
        continue;
      }
      if (key !== undefined) firstByKey.set(key, event);
      unique.push(event);
    }
    // Taking unique-index locks in one order keeps concurrent batches from deadlocking.
    const rows = unique.sort(compareKeys);
    // One statement, so one round trip and one commit: the events, their
    // pending-aggregation rows and their usage.recorded outbox rows (for the
    // events that are new) commit together or not at all.
    const recorded = rows.map((event) => usageRecorded({ ...event, quantity: event.quantity.toString() }));
    const inserted = await this.sql<{ id: string }[]>`
      with input as (
        select * from unnest(
          ${rows.map((e) => e.id)}::uuid[], ${rows.map((e) => e.orgId)}::uuid[], ${rows.map((e) => e.metric)}::text[],
          ${rows.map((e) => e.quantity.toString())}::numeric[], ${rows.map((e) => e.occurredAt.toISOString())}::timestamptz[],
          ${rows.map((e) => e.idempotencyKey ?? null)}::text[], ${rows.map((e) => e.eventType ?? null)}::text[],
          ${recorded.map((e) => e.body)}::text[]
        ) as t(id, org_id, metric, quantity, occurred_at, idempotency_key, event_type, recorded_event)
      ),
      inserted as (
        insert into usage.usage_events (id, org_id, metric, quantity, occurred_at, idempotency_key, event_type)
        select id, org_id, metric, quantity, occurred_at, idempotency_key, event_type from input
        on conflict (org_id, idempotency_key) where idempotency_key is not null do nothing
        returning id, org_id, metric, quantity, occurred_at
      ),
      pending as (
        insert into usage.pending_aggregation (org_id, metric, day, quantity)
        select org_id, metric, (occurred_at at time zone 'UTC')::date, quantity from inserted
      ),
      outbox as (
        insert into usage.outbox (event_id, type, payload)
        select input.id::text, ${EventType.UsageRecorded}, input.recorded_event::jsonb from inserted join input using (id)
      )
      select id from inserted`;
    const results = new Map<string, InsertResult>(inserted.map((row) => [row.id, { id: row.id, duplicate: false }]));
    // A key that conflicted belongs to an event committed before (by this
    // statement's wait, at the latest): read its id in a statement of its own.
    const replayed = rows.filter((event) => !results.has(event.id));
    if (replayed.length > 0) {
      const existing = await this.sql<{ id: string; orgId: string; idempotencyKey: string }[]>`
        select e.id, e.org_id, e.idempotency_key from usage.usage_events e
        join unnest(${replayed.map((e) => e.orgId)}::uuid[], ${replayed.map((e) => e.idempotencyKey!)}::text[]) as k(org_id, idempotency_key)
          on e.org_id = k.org_id and e.idempotency_key = k.idempotency_key`;
      const firstIds = new Map(existing.map((row) => [dedupeKey(row.orgId, row.idempotencyKey), row.id]));
      for (const event of replayed) {
        const id = firstIds.get(dedupeKey(event.orgId, event.idempotencyKey!));
        if (!id) throw new Error('replayed idempotency key without its first event');
        results.set(event.id, { id, duplicate: true });
      }
    }
    // Every later copy of a key in the same batch is a duplicate of the first.
    for (const { event, first } of copies) results.set(event.id, { id: results.get(first.id)!.id, duplicate: true });
    return results;
  }

  /**
   * Moves up to `limit` pending events into the daily aggregates, in one
   * transaction that also enqueues an aggregate.updated event per changed
   * (organization, metric, day). Runs take turns on an advisory lock, and each
   * pending row is deleted by exactly the transaction that counts it.
   */
  async aggregateBatch(limit: number, orgId?: string): Promise<{ consumed: number; changed: ChangedAggregate[] }> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('polaris.usage.aggregate'))`;
      const rows = await tx<(ChangedAggregate & { count: number })[]>`
        with batch as (
          delete from usage.pending_aggregation
          where seq in (
            select seq from usage.pending_aggregation
            ${orgId ? tx`where org_id = ${orgId}` : tx``}
            order by seq limit ${limit}
            for update skip locked
          )
          returning org_id, metric, day, quantity
        ),
        sums as (
          select org_id, metric, day, sum(quantity) as total, count(*)::int as count
          from batch group by org_id, metric, day
        ),
        upserted as (
          insert into usage.usage_aggregates as a (org_id, metric, day, total)
          select org_id, metric, day, total from sums
          on conflict (org_id, metric, day) do update set total = a.total + excluded.total, updated_at = now()
          returning org_id, metric, day, total
        )
        select u.org_id, u.metric, u.day, trim_scale(u.total)::text as total, s.count
        from upserted u join sums s using (org_id, metric, day)`;
      await enqueueEvents(tx, 'usage', rows.map(aggregateUpdated));
      return { consumed: rows.reduce((sum, row) => sum + row.count, 0), changed: rows };
    });
  }

  /** Daily totals with `fromDay <= day < toDay`, by metric then day. */
  dailyTotals(orgId: string, metric: string | undefined, fromDay: Date, toDay: Date): Promise<DailyTotal[]> {
    return this.sql<DailyTotal[]>`
      select metric, day, trim_scale(total)::text as total from usage.usage_aggregates
      where org_id = ${orgId} ${metric ? this.sql`and metric = ${metric}` : this.sql``}
        and day >= ${utcDate(fromDay)}::date and day < ${utcDate(toDay)}::date
      order by metric, day`;
  }

  async aggregationBacklog(): Promise<AggregationBacklog> {
    const [row] = await this.sql<{ events: number; oldestAgeSeconds: number | null }[]>`
      select count(*)::int as events, extract(epoch from now() - min(received_at))::float8 as oldest_age_seconds
      from usage.pending_aggregation`;
    return { events: row?.events ?? 0, oldestAgeSeconds: row?.oldestAgeSeconds ?? 0 };
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }
}

function compareKeys(a: NewUsageEvent, b: NewUsageEvent): number {
  return a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : (a.idempotencyKey ?? '') < (b.idempotencyKey ?? '') ? -1 : 1;
}

