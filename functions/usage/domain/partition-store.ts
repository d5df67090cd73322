/**
 * Usage's SQL for the monthly partitions of usage_events (migration
 * 0006_events_by_month): months made before the events that need them, and,
 * with a retention setting, months past it dropped whole once nothing still
 * needs their events.
 */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { EventType } from '../../../shared/events/index.js';
import { aggregationLockSql } from './aggregation-store.js';

/** One month of receipt's partition. */
export interface EventMonth {
  /** YYYY-MM, UTC. */
  month: string;
  /** PostgreSQL's estimate from its statistics; 0 before the month is first analyzed. */
  approximateEvents: number;
  /** On disk, indexes included. */
  bytes: number;
}

/** What one upkeep did. */
export interface PartitionUpkeep {
  /** Months created ahead. */
  created: number;
  /** Partitions dropped by retention, oldest first. */
  dropped: string[];
  /** The oldest month due to be dropped but kept for now, and why. */
  heldBack?: { partition: string; reason: 'events_pending' | 'locked' };
}

/** Partitions are named by their UTC month. */
const partitionName = /^usage_events_\d{4}_\d{2}$/;

/** PostgreSQL's lock_not_available, which `lock_timeout` raises. */
const isLockTimeout = (error: unknown) => (error as { code?: string }).code === '55P03';

/**
 * Creates the months from `first`'s to `last`'s (UTC) that do not exist yet,
 * waiting for the table's lock as long as it takes: an insert needs them.
 * Concurrent callers take turns, so each month is created once.
 */
export async function ensureEventMonths(sql: Sql, first: Date, last: Date): Promise<number> {
  const [row] = await sql<{ created: number }[]>`select usage.ensure_event_partitions(${first}, ${last}) as created`;
  return row!.created;
}

export class EventPartitionStore {
  constructor(
    private readonly sql: Sql,
    /** How long upkeep waits for usage_events' lock before leaving the step to the next run. */
    private readonly lockTimeoutMs = 2_000,
  ) {}

  /**
   * Makes this month and the next two if they are missing, so ingest never
   * waits to create one. With `retentionMonths` above 0, drops each month
   * that ended at least that many whole months before this one began, oldest
   * first, unless events of it still wait for aggregation or for the outbox
   * relay (a later run drops it), then forgets the idempotency keys of the
   * events dropped. Creating or dropping a partition locks the whole table,
   * so each step gives up after `lockTimeoutMs` rather than hold ingest in
   * the lock's queue behind a long transaction.
   */
  async upkeep(retentionMonths: number): Promise<PartitionUpkeep> {
    const result: PartitionUpkeep = { created: 0, dropped: [] };
    try {
      await this.lockingBriefly(async (tx) => {
        const [row] = await tx<{ created: number }[]>`select usage.ensure_event_partitions(now(), now() + interval '2 months') as created`;
        result.created = row!.created;
      });
    } catch (error) {
      // Two months ahead: the next run makes them.
      if (!isLockTimeout(error)) throw error;
    }
    if (retentionMonths === 0) return result;

    const expired = await this.sql<{ partition: string; endsAt: Date }[]>`
      select partition, (month + interval '1 month') at time zone 'UTC' as ends_at
      from (
        -- Null, so never expired, for a partition not named by its month (none is made so).
        select c.relname as partition, to_date(case when c.relname ~ ${partitionName.source} then right(c.relname, 7) end, 'YYYY_MM')::timestamp as month
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'usage.usage_events'::regclass
      ) as months
      where month + interval '1 month' <= date_trunc('month', now() at time zone 'UTC') - make_interval(months => ${retentionMonths})
      order by month`;
    for (const { partition, endsAt } of expired) {
      let dropped: boolean;
      try {
        dropped = await this.dropIfDone(partition, endsAt);
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        result.heldBack = { partition, reason: 'locked' };
        break;
      }
      if (!dropped) {
        result.heldBack = { partition, reason: 'events_pending' };
        break;
      }
      result.dropped.push(partition);
      await this.forgetKeys(endsAt);
    }
    return result;
  }

  /** The months kept, oldest first, and where retention last cut the history (undefined while it has not). */
  async storage(): Promise<{ months: EventMonth[]; retainedSince?: Date }> {
    const months = await this.sql<EventMonth[]>`
      select replace(right(c.relname, 7), '_', '-') as month, greatest(c.reltuples, 0)::float8 as approximate_events,
        pg_total_relation_size(c.oid)::float8 as bytes
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'usage.usage_events'::regclass
      order by c.relname`;
    const [retained] = await this.sql<{ receivedSince: Date }[]>`select received_since from usage.retained_events`;
    return { months: [...months], retainedSince: retained?.receivedSince };
  }

  /**
   * Drops the month ending at `endsAt` unless events of it still wait for
   * aggregation or the relay, and records where the history now begins.
   */
  private dropIfDone(partition: string, endsAt: Date): Promise<boolean> {
    return this.lockingBriefly(async (tx) => {
      // Aggregation runs and regroups (which queue kept events again) wait
      // meanwhile. Nothing else lists an old month's events: ingest lists the
      // ids it makes now, and the relay only takes rows away. So the check
      // holds until the drop without locking the table while it reads.
      await tx.unsafe(aggregationLockSql);
      const [waiting] = await tx<{ pending: boolean }[]>`
        select exists (
            select 1 from usage.pending_event_groups p cross join unnest(p.event_ids) as listed(id)
            where listed.id < usage.event_id_floor(${endsAt})
          ) or exists (
            select 1 from usage.outbox o
            cross join jsonb_array_elements_text(case when o.type = ${EventType.UsageRecorded} and jsonb_typeof(o.payload) = 'array' then o.payload else '[]' end) as listed(id)
            where listed.id::uuid < usage.event_id_floor(${endsAt})
          ) as pending`;
      if (waiting!.pending) return false;
      // Waits for transactions still reading the month (the relay's, a summary's).
      await tx`lock table usage.usage_events in access exclusive mode`;
      await tx.unsafe(`drop table usage.${partition}`);
      await tx`
        insert into usage.retained_events (received_since) values (${endsAt})
        on conflict (singleton) do update set received_since = greatest(usage.retained_events.received_since, excluded.received_since)`;
      return true;
    });
  }

  /**
   * Deletes the idempotency keys of the month ending at `endsAt`, a day at a
   * time: outside the drop's lock, and in statements of bounded size, since
   * a month's keys can be many. Keys a run left behind (it stopped between
   * the drop and here) are still correct: their replays are duplicates.
   */
  private async forgetKeys(endsAt: Date): Promise<void> {
    const end = endsAt.getTime();
    const start = Date.UTC(endsAt.getUTCFullYear(), endsAt.getUTCMonth() - 1, 1);
    for (let day = start; day < end; day += 86_400_000) {
      await this.sql`
        delete from usage.idempotency_keys
        where event_id >= usage.event_id_floor(${new Date(day)}) and event_id < usage.event_id_floor(${new Date(Math.min(day + 86_400_000, end))})`;
    }
  }

  /** A transaction that waits at most `lockTimeoutMs` for any lock. */
  private lockingBriefly<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin(async (tx) => {
      await tx`select set_config('lock_timeout', ${`${this.lockTimeoutMs}ms`}, true)`;
      return work(tx);
    }) as Promise<T>;
  }
}
