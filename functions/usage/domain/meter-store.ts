/** Usage's SQL for meters. */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { ValidationError } from '../../../shared/errors.js';
import { aggregationLockSql } from './aggregation-store.js';
import { usageLimits } from './inputs.js';
import { MeterAggregation, type Meter } from './meters.js';

interface MeterRow {
  metric: string;
  name: string;
  aggregation: MeterAggregation;
  valueProperty: string | null;
  groupBy: string[];
}

const fromRow = (row: MeterRow): Meter => ({
  metric: row.metric,
  name: row.name,
  aggregation: row.aggregation,
  valueProperty: row.valueProperty ?? undefined,
  groupBy: row.groupBy,
});

const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((key, i) => key === b[i]);

export class MeterStore {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<Meter[]> {
    const rows = await this.sql<MeterRow[]>`select metric, name, aggregation, value_property, group_by from usage.meters order by metric`;
    return rows.map(fromRow);
  }

  /**
   * Defines a metric's meter, or changes its name and group-by keys. How it
   * aggregates never changes once the metric has events. New group-by keys
   * regroup the metric's history: its buckets are dropped and its events
   * queued again, under the aggregation lock, so no run sees half of it.
   */
  async save(meter: Meter): Promise<Meter> {
    return this.sql.begin(async (tx) => {
      await tx.unsafe(aggregationLockSql);
      const [existing] = await tx<MeterRow[]>`
        select metric, name, aggregation, value_property, group_by from usage.meters where metric = ${meter.metric} for update`;
      const [{ hasEvents }] = await tx<[{ hasEvents: boolean }]>`
        select exists (select 1 from usage.counted_metrics where metric = ${meter.metric})
            or exists (select 1 from usage.pending_event_groups where ${meter.metric} = any(metrics)) as has_events`;
      const current = existing ? fromRow(existing) : undefined;
      // A metric's events without a meter were measured as SUM.
      const was = current?.aggregation ?? (hasEvents ? MeterAggregation.Sum : undefined);
      if (was !== undefined && was !== meter.aggregation) {
        throw new ValidationError([{ field: 'aggregation', message: `${meter.metric} is already measured as ${was}; a meter's aggregation never changes` }]);
      }
      if (current && hasEvents && (current.valueProperty ?? '') !== (meter.valueProperty ?? '')) {
        throw new ValidationError([{ field: 'value_property', message: `${meter.metric} already has events counted by ${current.valueProperty}` }]);
      }
      const [saved] = await tx<MeterRow[]>`
        insert into usage.meters (metric, name, aggregation, value_property, group_by)
        values (${meter.metric}, ${meter.name}, ${meter.aggregation}, ${meter.valueProperty ?? null}, ${meter.groupBy as string[]}::text[])
        on conflict (metric) do update set name = excluded.name, aggregation = excluded.aggregation,
          value_property = excluded.value_property, group_by = excluded.group_by, updated_at = now()
        returning metric, name, aggregation, value_property, group_by`;
      if (hasEvents && !sameKeys(current?.groupBy ?? [], meter.groupBy)) await regroup(tx, meter.metric);
      return fromRow(saved!);
    });
  }
}

/**
 * Drops a metric's buckets and queues its counted events again, a thousand
 * to a pending row. Events still pending are already queued; one committing
 * concurrently brings its own pending row.
 *
 * Once retention has dropped events, only the days it cannot have touched
 * are rebuilt: from the first whole UTC day whose events were all received
 * since the cut (an event lies at most the future tolerance ahead of its
 * receipt). Earlier buckets keep the groups they were counted under, since
 * their events are gone.
 */
async function regroup(tx: TransactionSql, metric: string): Promise<void> {
  const from = tx`
    coalesce((
      select date_bin('1 day', received_since + make_interval(secs => ${usageLimits.futureToleranceMs / 1000}) + interval '1 day' - interval '1 microsecond',
                      timestamptz '1970-01-01 00:00:00+00')
      from usage.retained_events
    ), '-infinity')`;
  await tx`delete from usage.meter_buckets where metric = ${metric} and bucket_start >= ${from}`;
  await tx`delete from usage.meter_unique_values where metric = ${metric} and bucket_start >= ${from}`;
  await tx`delete from usage.daily_groups where metric = ${metric} and day >= (${from} at time zone 'UTC')::date`;
  await tx`
    with queued as (
      select listed.id from usage.pending_event_groups p cross join unnest(p.event_ids) as listed(id) where ${metric} = any(p.metrics)
    ),
    counted as (
      select e.id, e.org_id, e.occurred_at, (row_number() over (partition by e.org_id order by e.occurred_at, e.id) - 1) / 1000 as chunk
      from usage.usage_events e
      where e.metric = ${metric} and e.occurred_at >= ${from} and e.id not in (select id from queued)
    )
    insert into usage.pending_event_groups (org_id, event_ids, metrics)
    select org_id, array_agg(id order by occurred_at, id), array[${metric}] from counted
    group by org_id, chunk
    order by min(occurred_at)`;
}
