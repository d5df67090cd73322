/** Usage's SQL for recording events. Only the domain's `*store.ts` files touch the `usage` schema. */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { EventType, OutboxAnnouncer, type EncodedEvent } from '../../../shared/events/index.js';
import { utcDate } from '../../../shared/periods.js';
import { uuidTime } from '../../../shared/uuid.js';
import { usageRecorded, type RecordedEvent } from './events.js';
import type { UsageEventInput } from './inputs.js';
import { ensureEventMonths } from './partition-store.js';
import { propertiesJson } from './properties.js';

/** An event to insert, with the id it gets if it is new. */
export interface NewUsageEvent extends UsageEventInput {
  id: string;
  orgId: string;
  /** Its meter's group-by properties as a JSON object; undefined when the meter has no group-by keys. */
  groupKey?: string;
}

/**
 * The event to insert for a validated input. Its own keys come before the
 * input's: on Node 20, an object literal that adds keys after a spread gets a
 * hidden class of its own each time it is made (scripts/bench/LOG.md), and
 * ingest makes one per event.
 */
export function newUsageEvent(input: UsageEventInput, id: string, orgId: string): NewUsageEvent {
  return { id, orgId, ...input };
}

/** One (organization, metric, UTC day, group) an event would add to. */
export interface GroupSlot {
  orgId: string;
  metric: string;
  day: Date;
  groupKey: string;
}

/** What the day already holds: how many groups, and whether the slot's group is one of them. */
export interface GroupSlotState {
  known: boolean;
  groups: number;
}

export interface InsertResult {
  /** The event's id, or the first event's for a replayed idempotency key. */
  id: string;
  duplicate: boolean;
}

/** The most months one insert makes partitions for. */
const maxMonthsMade = 3;

const dedupeKey = (orgId: string, idempotencyKey: string) => `${orgId} ${idempotencyKey}`;

export class UsageStore {
  /** Ingest's outbox rows wake the relays once committed (migration 0008_usage_recorded_announced_after_commit). */
  private readonly announcer: OutboxAnnouncer;

  constructor(private readonly sql: Sql) {
    this.announcer = new OutboxAnnouncer(sql, 'usage');
  }

  /**
   * Inserts events atomically with what aggregates and publishes them: per
   * organization one pending row listing the new events' ids, and one
   * usage.recorded outbox row listing them all (the relay builds one
   * CloudEvent per event from the event rows). Replayed idempotency keys
   * (within the batch or against earlier commits) resolve to the first
   * event's id.
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
    let inserted: { id: string }[];
    try {
      inserted = await this.insertNew(rows);
    } catch (error) {
      // Upkeep makes months ahead; this is the rare event whose month it has
      // not made yet (upkeep not run for two months, or a clock far ahead).
      // Ingest makes a batch's ids at its receipt, moments apart; ids months
      // apart were made some other way, and make no partitions.
      const times = rows.map((event) => uuidTime(event.id));
      const [first, last] = [Math.min(...times), Math.max(...times)];
      if (!isMissingPartition(error) || last - first > maxMonthsMade * 31 * 86_400_000) throw error;
      await ensureEventMonths(this.sql, new Date(first), new Date(last));
      inserted = await this.insertNew(rows);
    }
    if (inserted.length > 0) this.announcer.committed();
    const results = new Map<string, InsertResult>(inserted.map((row) => [row.id, { id: row.id, duplicate: false }]));
    // A key that conflicted belongs to an event committed before (by this
    // statement's wait, at the latest): read its id in a statement of its own.
    const replayed = rows.filter((event) => !results.has(event.id));
    if (replayed.length > 0) {
      const existing = await this.sql<{ id: string; orgId: string; idempotencyKey: string }[]>`
        select e.event_id as id, e.org_id, e.idempotency_key from usage.idempotency_keys e
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
   * One statement, so one round trip and one commit: the events, their keys,
   * their pending rows and their outbox row commit together or not at all. A
   * row per group rather than per event: the event rows are a third of what
   * PostgreSQL would otherwise write (npm run bench, section capacity). An
   * event whose key is taken (by an earlier commit, or one this statement
   * waits for) is not inserted.
   *
   * @returns the events inserted.
   */
  private insertNew(rows: readonly NewUsageEvent[]): Promise<{ id: string }[]> {
    return this.sql<{ id: string }[]>`
      with input as (
        select * from unnest(
          ${rows.map((e) => e.id)}::uuid[], ${rows.map((e) => e.orgId)}::uuid[], ${rows.map((e) => e.metric)}::text[],
          ${rows.map((e) => e.quantity.toString())}::numeric[], ${rows.map((e) => e.occurredAt.toISOString())}::text[]::timestamptz[],
          ${rows.map((e) => e.idempotencyKey ?? null)}::text[], ${rows.map((e) => e.eventType ?? null)}::text[],
          ${rows.map((e) => propertiesJson(e.properties))}::text[], ${rows.map((e) => e.groupKey ?? null)}::text[]
        ) with ordinality as t(id, org_id, metric, quantity, occurred_at, idempotency_key, event_type, properties_json, group_key_json, n)
      ),
      keyed as (
        insert into usage.idempotency_keys (org_id, idempotency_key, event_id)
        select org_id, idempotency_key, id from input where idempotency_key is not null order by n
        on conflict do nothing
        returning event_id
      ),
      inserted as (
        insert into usage.usage_events (id, org_id, metric, quantity, occurred_at, idempotency_key, event_type, properties)
        select id, org_id, metric, quantity, occurred_at, idempotency_key, event_type, properties_json::jsonb from input
        where idempotency_key is null or id in (select event_id from keyed)
        returning id, org_id, metric
      ),
      pending as (
        insert into usage.pending_event_groups (org_id, event_ids, metrics)
        select org_id, array_agg(id), array_agg(distinct metric) from inserted group by org_id
      ),
      groups as (
        insert into usage.daily_groups (org_id, metric, day, group_key)
        select distinct input.org_id, input.metric, (input.occurred_at at time zone 'UTC')::date, input.group_key_json::jsonb
        from inserted join input using (id) where input.group_key_json is not null
        on conflict do nothing
      ),
      outbox as (
        insert into usage.outbox (event_id, type, payload)
        select ids[1], ${EventType.UsageRecorded}, to_jsonb(ids)
        from (select array_agg(input.id::text order by input.n) as ids from inserted join input using (id)) as listed
        where ids is not null
      )
      select id from inserted`;
  }

  /** For each slot, in order: whether its group exists on its day, and how many groups the day has. */
  async groupSlots(slots: readonly GroupSlot[]): Promise<GroupSlotState[]> {
    const rows = await this.sql<{ n: number; known: boolean; groups: number }[]>`
      select w.n::int, exists (
          select 1 from usage.daily_groups g
          where (g.org_id, g.metric, g.day, g.group_key) = (w.org_id, w.metric, w.day, w.group_key_json::jsonb)
        ) as known,
        (select count(*) from usage.daily_groups g where (g.org_id, g.metric, g.day) = (w.org_id, w.metric, w.day))::int as groups
      from unnest(
        ${slots.map((s) => s.orgId)}::uuid[], ${slots.map((s) => s.metric)}::text[],
        ${slots.map((s) => utcDate(s.day))}::date[], ${slots.map((s) => s.groupKey)}::text[]
      ) with ordinality as w(org_id, metric, day, group_key_json, n)
      order by w.n`;
    return rows.map(({ known, groups }) => ({ known, groups }));
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }
}

/**
 * The usage.recorded events that Usage's outbox rows list by id, built from
 * the event rows as ingest would have built them (the event plane's relay
 * reads them in its transaction).
 */
export async function listedUsageEvents(tx: TransactionSql, type: string, ids: readonly string[]): Promise<EncodedEvent[]> {
  if (type !== EventType.UsageRecorded) return [];
  // trim_scale gives the quantity as Decimal writes it (`1.50` as `1.5`), without parsing it here for every event.
  const rows = await tx<RecordedEvent[]>`
    select id, org_id, metric, trim_scale(quantity)::text as quantity, occurred_at from usage.usage_events where id = any(${ids as string[]}::uuid[])`;
  return rows.map(usageRecorded);
}

/** PostgreSQL's answer to a row whose month has no partition. */
function isMissingPartition(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === '23514' && (message ?? '').startsWith('no partition of relation');
}

function compareKeys(a: NewUsageEvent, b: NewUsageEvent): number {
  return a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : (a.idempotencyKey ?? '') < (b.idempotencyKey ?? '') ? -1 : 1;
}

