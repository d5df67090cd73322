/**
 * Usage's SQL for aggregation: pending events into meter buckets, exactly
 * once. Each pending row lists events committed together and is deleted by
 * exactly the transaction that counts them; a transaction that commits late
 * simply shows up pending later.
 */
import type { Sql } from '../../../shared/database.js';
import { enqueueEvents } from '../../../shared/events/index.js';
import { aggregateUpdated, aggregationCompleted, type ChangedAggregate } from './events.js';

/** The number of pending events and the age in seconds of the oldest one. */
export interface AggregationBacklog {
  events: number;
  oldestAgeSeconds: number;
}

/**
 * Runs take turns on this lock, and so does anything that rewrites a metric's
 * buckets (a meter's new group-by keys).
 */
export const aggregationLockSql = `select pg_advisory_xact_lock(hashtext('polaris.usage.aggregate'))`;

/** A window's value from the bucket rows it covers, by the meter's aggregation (no meter: SUM). */
export const bucketValueSql = `
  case coalesce(m.aggregation, 'SUM')
    when 'COUNT' then sum(r.event_count)
    when 'MAX' then max(r.quantity_max)
    when 'LATEST' then (array_agg(r.latest_quantity order by r.latest_at desc, r.latest_id desc))[1]
    else sum(r.quantity_sum)
  end`;

export class AggregationStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Moves pending events into the 15-, 60- and 1440-minute buckets of their
   * meters, whole pending rows at a time until `limit` events (at least one
   * row, so a row larger than `limit` is not stuck), in one transaction that
   * also enqueues an aggregate.updated event per changed (organization,
   * metric, UTC day).
   *
   * @returns `consumed` below `limit` once nothing (of the organization) is pending.
   */
  async aggregateBatch(limit: number, orgId?: string): Promise<{ consumed: number; changed: ChangedAggregate[] }> {
    return this.sql.begin(async (tx) => {
      // Runs take turns on this lock, so rows are claimed without skip locked:
      // ingest only adds rows, and only a run or a regroup removes them.
      await tx.unsafe(aggregationLockSql);
      // Every read below is by key, so it goes through the index whatever the
      // statistics say: a month's partition filled faster than autovacuum
      // analyzed it looks empty to the planner (and a cached plan keeps what
      // it saw), and a plan that scans it whole compares every row with each
      // of the batch's ids, since an array from a subquery is searched, not
      // hashed. A run over a million events in such a partition took 647 s
      // instead of 7. Where the statistics are right this costs a batch about
      // a tenth (the meters are then looked up by index per event, not hashed).
      // JIT goes off with it: a scan the planner cannot avoid is then costed
      // beyond JIT's threshold, and compiling took a second per statement,
      // empty runs included (seen with the meters read through a CTE).
      await tx`select set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)`;
      const days = await tx<{ orgId: string; metric: string; day: Date; consumed: number }[]>`
        with claimed as (
          -- The rows claimed are the first in line: a range of seq whose end is
          -- worked out once. (Claimed as "seq in (the line)", a planner whose
          -- statistics took the table for empty, as they often do after a run
          -- has emptied it, worked the line out again for every pending row:
          -- a million events took minutes instead of seconds.)
          delete from usage.pending_event_groups
          where seq <= (
            select max(seq) from (
              select seq, sum(cardinality(event_ids)) over (order by seq) - cardinality(event_ids) as before
              from usage.pending_event_groups
              ${orgId ? tx`where org_id = ${orgId}` : tx``}
              order by seq
              -- Every row lists at least one event, so no more rows than this can be within the limit.
              limit ${limit}
            ) as queue
            where before < ${limit}
          )
          ${orgId ? tx`and org_id = ${orgId}` : tx``}
          returning event_ids
        ),
        batch as (
          -- One lookup of all the claimed ids, not one per claimed row: the
          -- same statistics made that a read of the month's events per row.
          select e.id as event_id, e.org_id, e.metric, e.quantity, e.occurred_at, e.properties, m.aggregation, m.value_property,
            coalesce((select jsonb_object_agg(k, e.properties ->> k) from unnest(m.group_by) as k where e.properties ? k), '{}'::jsonb) as group_key,
            date_bin(interval '15 minutes', e.occurred_at, timestamptz '1970-01-01 00:00:00+00') as quarter_start
          from usage.usage_events e left join usage.meters m using (metric)
          where e.id = any(array(select unnest(event_ids) from claimed))
        ),
        -- The events are grouped once, into 15-minute buckets, and the hour's
        -- and the day's buckets are rolled up from those (all UTC-aligned, and
        -- 15 minutes divide both): grouping the events at each width sorted
        -- three times the rows. A quarter's latest event lies inside it, so
        -- quarters never tie on latest_at.
        quarters as (
          select org_id, metric, 15::smallint as width_minutes, quarter_start as bucket_start, group_key,
            count(*) as event_count, sum(quantity) as quantity_sum, max(quantity) as quantity_max,
            (array_agg(occurred_at order by occurred_at desc, event_id desc))[1] as latest_at,
            (array_agg(event_id order by occurred_at desc, event_id desc))[1] as latest_id,
            (array_agg(quantity order by occurred_at desc, event_id desc))[1] as latest_quantity
          from batch group by org_id, metric, quarter_start, group_key
        ),
        stats as (
          select * from quarters
          union all
          select q.org_id, q.metric, w.width_minutes, date_bin(make_interval(mins => w.width_minutes), q.bucket_start, timestamptz '1970-01-01 00:00:00+00'),
            q.group_key, sum(q.event_count)::bigint, sum(q.quantity_sum), max(q.quantity_max),
            (array_agg(q.latest_at order by q.latest_at desc, q.latest_id desc))[1],
            (array_agg(q.latest_id order by q.latest_at desc, q.latest_id desc))[1],
            (array_agg(q.latest_quantity order by q.latest_at desc, q.latest_id desc))[1]
          from quarters q cross join (values (60::smallint), (1440::smallint)) as w(width_minutes)
          group by 1, 2, 3, 4, 5
        ),
        buckets as (
          insert into usage.meter_buckets as b (org_id, metric, width_minutes, bucket_start, group_key,
            event_count, quantity_sum, quantity_max, latest_at, latest_id, latest_quantity)
          select * from stats
          on conflict (org_id, metric, width_minutes, bucket_start, group_key) do update set
            event_count = b.event_count + excluded.event_count,
            quantity_sum = b.quantity_sum + excluded.quantity_sum,
            quantity_max = greatest(b.quantity_max, excluded.quantity_max),
            (latest_at, latest_id, latest_quantity) = (
              select * from (values (b.latest_at, b.latest_id, b.latest_quantity), (excluded.latest_at, excluded.latest_id, excluded.latest_quantity)) as v(at, id, q)
              order by at desc, id desc limit 1)
        ),
        quarter_values as (
          select distinct org_id, metric, quarter_start as bucket_start, group_key, properties ->> value_property as value
          from batch where aggregation = 'UNIQUE_COUNT' and properties ? value_property
        ),
        unique_values as (
          insert into usage.meter_unique_values (org_id, metric, width_minutes, bucket_start, group_key, value)
          select org_id, metric, 15::smallint, bucket_start, group_key, value from quarter_values
          union all
          select distinct q.org_id, q.metric, w.width_minutes, date_bin(make_interval(mins => w.width_minutes), q.bucket_start, timestamptz '1970-01-01 00:00:00+00'),
            q.group_key, q.value
          from quarter_values q cross join (values (60::smallint), (1440::smallint)) as w(width_minutes)
          on conflict do nothing
        ),
        counted as (
          insert into usage.counted_metrics (metric) select distinct metric from batch on conflict do nothing
        )
        select org_id, metric, bucket_start as day, (select count(*) from batch)::int as consumed
        from stats where width_minutes = 1440 group by org_id, metric, bucket_start`;
      if (days.length === 0) return { consumed: 0, changed: [] };
      // A later statement of the transaction sees the buckets the first one wrote.
      const changed = await tx<ChangedAggregate[]>`
        with days as (
          select * from unnest(${days.map((d) => d.orgId)}::uuid[], ${days.map((d) => d.metric)}::text[], ${days.map((d) => d.day.toISOString())}::timestamptz[])
            as d(org_id, metric, day)
        )
        select d.org_id, d.metric, d.day, trim_scale(case
            when m.aggregation = 'UNIQUE_COUNT' then (
              select count(distinct u.value) from usage.meter_unique_values u
              where (u.org_id, u.metric, u.width_minutes, u.bucket_start) = (d.org_id, d.metric, 1440, d.day))
            else (select ${tx.unsafe(bucketValueSql)} from usage.meter_buckets r
                  where (r.org_id, r.metric, r.width_minutes, r.bucket_start) = (d.org_id, d.metric, 1440, d.day))
          end)::text as total
        from days d left join usage.meters m using (metric)`;
      await enqueueEvents(tx, 'usage', changed.map(aggregateUpdated));
      return { consumed: days[0]!.consumed, changed };
    });
  }

  /** Announces a finished run. */
  async completed(run: { orgId?: string; events: number }): Promise<void> {
    await enqueueEvents(this.sql, 'usage', [aggregationCompleted(run)]);
  }

  async aggregationBacklog(): Promise<AggregationBacklog> {
    const [row] = await this.sql<{ events: number; oldestAgeSeconds: number | null }[]>`
      select coalesce(sum(cardinality(event_ids)), 0)::int as events, extract(epoch from now() - min(received_at))::float8 as oldest_age_seconds
      from usage.pending_event_groups`;
    return { events: row?.events ?? 0, oldestAgeSeconds: row?.oldestAgeSeconds ?? 0 };
  }
}
