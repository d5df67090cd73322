/**
 * Usage's SQL for reading meters: a window's value from the buckets that
 * cover it exactly (see buckets.ts), never from adding up smaller windows
 * where that would be wrong: MAX and LATEST combine their buckets' readings,
 * UNIQUE_COUNT counts distinct values across them.
 */
import type { Sql } from '../../../shared/database.js';
import { bucketValueSql } from './aggregation-store.js';
import type { BucketSpan } from './buckets.js';

/** The buckets of one window. */
export interface WindowSpans {
  windowStart: Date;
  spans: readonly BucketSpan[];
}

export interface WindowQuery {
  orgId: string;
  /** Undefined: every metric the organization has. */
  metric?: string;
  windows: readonly WindowSpans[];
  /** Group-by keys, in the order the answer lists their values. */
  groupBy: readonly string[];
  /** Keep events whose property `key` has one of `values`. */
  where: readonly { key: string; values: readonly string[] }[];
}

export interface WindowValue {
  windowStart: Date;
  metric: string;
  /** One per group-by key, in order; null when the events lack the key. */
  groups: (string | null)[];
  /** Exact decimal. */
  total: string;
}

export class SummaryStore {
  constructor(private readonly sql: Sql) {}

  async windowValues(query: WindowQuery): Promise<WindowValue[]> {
    const spans = query.windows.flatMap(({ windowStart, spans }) => spans.map((span) => ({ windowStart, ...span })));
    if (spans.length === 0) return [];
    const sql = this.sql;
    const where = JSON.stringify(Object.fromEntries(query.where.map(({ key, values }) => [key, values])));
    // Metrics by a loose index scan over the buckets' primary key: one probe per metric, not a scan of the organization's rows.
    const metrics = query.metric
      ? sql`select ${query.metric}::text as metric`
      : sql`
          with recursive found as (
            select min(metric) as metric from usage.meter_buckets where org_id = ${query.orgId}
            union all
            select (select min(metric) from usage.meter_buckets where org_id = ${query.orgId} and metric > found.metric)
            from found where found.metric is not null
          )
          select metric from found where metric is not null`;
    const groupsOf = (alias: string) =>
      query.groupBy.length === 0
        ? sql`'[]'::jsonb`
        : sql`(select jsonb_agg(${sql(alias)}.group_key -> k order by n) from unnest(${query.groupBy as string[]}::text[]) with ordinality as g(k, n))`;
    const kept = (alias: string) =>
      query.where.length === 0
        ? sql``
        : sql`and not exists (select 1 from jsonb_each(${where}::text::jsonb) as f(key, allowed)
                              where not coalesce(f.allowed ? (${sql(alias)}.group_key ->> f.key), false))`;
    return sql<WindowValue[]>`
      with spans as (
        select * from unnest(
          ${spans.map((s) => s.windowStart.toISOString())}::timestamptz[], ${spans.map((s) => s.widthMinutes)}::smallint[], ${spans.map((s) => s.start.toISOString())}::timestamptz[]
        ) as s(window_start, width_minutes, bucket_start)
      ),
      metrics as (${metrics}),
      rows as (
        select s.window_start, b.metric, ${groupsOf('b')} as groups, b.event_count, b.quantity_sum, b.quantity_max,
          b.latest_at, b.latest_id, b.latest_quantity
        from metrics join spans s on true
        join usage.meter_buckets b
          on (b.org_id, b.metric, b.width_minutes, b.bucket_start) = (${query.orgId}, metrics.metric, s.width_minutes, s.bucket_start)
        where true ${kept('b')}
      ),
      uniques as (
        select s.window_start, u.metric, ${groupsOf('u')} as groups, count(distinct u.value) as distinct_values
        from metrics join usage.meters m on m.metric = metrics.metric and m.aggregation = 'UNIQUE_COUNT'
        join spans s on true
        join usage.meter_unique_values u
          on (u.org_id, u.metric, u.width_minutes, u.bucket_start) = (${query.orgId}, metrics.metric, s.width_minutes, s.bucket_start)
        where true ${kept('u')}
        group by 1, 2, 3
      )
      select r.window_start, r.metric, r.groups,
        trim_scale(case when m.aggregation = 'UNIQUE_COUNT' then min(q.distinct_values) else ${sql.unsafe(bucketValueSql)} end)::text as total
      from rows r
      left join usage.meters m using (metric)
      left join uniques q using (window_start, metric, groups)
      group by r.window_start, r.metric, r.groups, m.aggregation
      order by r.metric, r.window_start, r.groups::text`;
  }
}
