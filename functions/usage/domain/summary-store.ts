/**
 * Usage's SQL for reading meters: a window's value from the buckets that
 * cover it exactly (see buckets.ts), never from adding up smaller windows
 * where that would be wrong: MAX and LATEST combine their buckets' readings,
 * UNIQUE_COUNT counts distinct values across them.
 */
import type { PendingQuery, Row } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { bucketValueSql } from './aggregation-store.js';
import type { BucketSpan } from './buckets.js';
import { MeterAggregation } from './meters.js';

export interface WindowQuery {
  orgId: string;
  /** A metric and its meter's aggregation; undefined: every metric the organization has, each by its own meter, ungrouped. */
  meter?: { metric: string; aggregation: MeterAggregation };
  /** Each window's buckets, windows in time order; an answer names its window by its index here. */
  windows: readonly (readonly BucketSpan[])[];
  /** Group-by keys, in the order the answer lists their values. */
  groupBy: readonly string[];
  /** Keep events whose property `key` has one of `values`. */
  where: readonly { key: string; values: readonly string[] }[];
}

export interface WindowValue {
  /** Its window's index in the query's `windows`. */
  windowIndex: number;
  metric: string;
  /** One per group-by key, in order; null when the events lack the key. */
  groups: (string | null)[];
  /** Exact decimal. */
  total: string;
}

/** A window's value from its bucket rows `b`, for one aggregation other than UNIQUE_COUNT. */
const bucketValueByAggregation: Record<Exclude<MeterAggregation, 'UNIQUE_COUNT'>, string> = {
  SUM: 'sum(b.quantity_sum)',
  COUNT: 'sum(b.event_count)',
  MAX: 'max(b.quantity_max)',
  LATEST: '(array_agg(b.latest_quantity order by b.latest_at desc, b.latest_id desc))[1]',
};

/**
 * `alias.group_key`'s values of `groupBy`, each a text column after the
 * window and the total (null where the events lack the key), and their
 * positions for GROUP BY and ORDER BY. Text, because PostgreSQL sends it as
 * it is: a JSON array of them was parsed again for every row of a grouped
 * answer (30,000 rows for a month by day and 1,000 customers).
 */
function groupColumns(sql: Sql, groupBy: readonly string[], alias: string): { columns: PendingQuery<Row[]>; positions: PendingQuery<Row[]> } {
  return {
    columns: groupBy.map((key) => sql`, ${sql(alias)}.group_key ->> ${key}::text`).reduce((all, one) => sql`${all}${one}`, sql``),
    positions: sql.unsafe(groupBy.map((_, i) => `, ${i + 3}`).join('')),
  };
}

/** A row as `windowValues` reads it: its window's index, the total, then one value per group-by key. */
type ValueRow = [windowIndex: number, total: string, ...groups: (string | null)[]];

/** `and …` for each of `where`'s filters on `alias.group_key`. */
function filtersOn(sql: Sql, where: WindowQuery['where'], alias: string): PendingQuery<Row[]> {
  return where.map(({ key, values }) => sql`and (${sql(alias)}.group_key ->> ${key}::text) = any(${values as string[]}::text[])`).reduce((all, one) => sql`${all} ${one}`, sql``);
}

export class SummaryStore {
  constructor(private readonly sql: Sql) {}

  async windowValues(query: WindowQuery): Promise<WindowValue[]> {
    const spanRows = query.windows.flatMap((spans, windowIndex) => spans.map((span) => ({ windowIndex, ...span })));
    if (spanRows.length === 0) return [];
    const sql = this.sql;
    // A window by its index rather than its start: a grouped answer has a
    // row per window and group (30,000 for a month by day and 1,000
    // customers), and a timestamp read back is a Date parsed for each.
    const spans = sql`
      select * from unnest(
        ${spanRows.map((s) => s.windowIndex)}::int[], ${spanRows.map((s) => s.widthMinutes)}::smallint[],
        ${spanRows.map((s) => s.start.toISOString())}::text[]::timestamptz[]
      ) as s(window_index, width_minutes, bucket_start)`;
    if (!query.meter) return this.everyMetric(query.orgId, spans);

    const { metric, aggregation } = query.meter;
    const unique = aggregation === MeterAggregation.UniqueCount;
    const groups = groupColumns(sql, query.groupBy, unique ? 'u' : 'b');
    const rows = unique
      ? sql`
          select s.window_index, count(distinct u.value)::text${groups.columns}
          from (${spans}) s join usage.meter_unique_values u
            on (u.org_id, u.metric, u.width_minutes, u.bucket_start) = (${query.orgId}, ${metric}, s.width_minutes, s.bucket_start)
          where true ${filtersOn(sql, query.where, 'u')}
          group by 1${groups.positions}
          order by 1${groups.positions}`
      : sql`
          select s.window_index, trim_scale(${sql.unsafe(bucketValueByAggregation[aggregation])})::text${groups.columns}
          from (${spans}) s join usage.meter_buckets b
            on (b.org_id, b.metric, b.width_minutes, b.bucket_start) = (${query.orgId}, ${metric}, s.width_minutes, s.bucket_start)
          where true ${filtersOn(sql, query.where, 'b')}
          group by 1${groups.positions}
          order by 1${groups.positions}`;
    // Rows as arrays: no object per row to name its columns.
    return ((await rows.values()) as unknown as ValueRow[]).map(([windowIndex, total, ...groupValues]) => ({ windowIndex, metric, total, groups: groupValues }));
  }

  /**
   * Every metric of an organization, ungrouped, each by its own meter (what
   * billing asks for a period). Metrics come from a loose index scan over the
   * buckets' primary key: one probe per metric, not a scan of the organization's rows.
   */
  private everyMetric(orgId: string, spans: PendingQuery<Row[]>): Promise<WindowValue[]> {
    return this.sql<WindowValue[]>`
      with recursive found as (
        select min(metric) as metric from usage.meter_buckets where org_id = ${orgId}
        union all
        select (select min(metric) from usage.meter_buckets where org_id = ${orgId} and metric > found.metric)
        from found where found.metric is not null
      ),
      spans as (${spans}),
      rows as (
        select s.window_index, b.metric, b.event_count, b.quantity_sum, b.quantity_max, b.latest_at, b.latest_id, b.latest_quantity
        from found join spans s on true
        join usage.meter_buckets b
          on (b.org_id, b.metric, b.width_minutes, b.bucket_start) = (${orgId}, found.metric, s.width_minutes, s.bucket_start)
      ),
      uniques as (
        select s.window_index, u.metric, count(distinct u.value) as distinct_values
        from found join usage.meters m on m.metric = found.metric and m.aggregation = 'UNIQUE_COUNT'
        join spans s on true
        join usage.meter_unique_values u
          on (u.org_id, u.metric, u.width_minutes, u.bucket_start) = (${orgId}, found.metric, s.width_minutes, s.bucket_start)
        group by 1, 2
      )
      select r.window_index, r.metric, '[]'::jsonb as groups,
        trim_scale(case when m.aggregation = 'UNIQUE_COUNT' then min(q.distinct_values) else ${this.sql.unsafe(bucketValueSql)} end)::text as total
      from rows r
      left join usage.meters m using (metric)
      left join uniques q using (window_index, metric)
      group by r.window_index, r.metric, m.aggregation
      order by r.metric, r.window_index`;
  }
}
