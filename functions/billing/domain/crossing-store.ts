/** The SQL of threshold crossings: each written once, with its event, in the caller's transaction. */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { Decimal } from '../../../shared/decimal.js';
import { enqueueEvents } from '../../../shared/events/index.js';
import type { Period } from '../../../shared/periods.js';
import { thresholdCrossedEvent, type Crossing } from './events.js';

/** A crossing as it is listed. */
export interface RecordedCrossing {
  sourceId: string;
  period: Period;
  threshold: Decimal;
  percent: Decimal;
  value: Decimal;
  crossedAt: Date;
}

interface CrossingRow {
  sourceId: string;
  periodStart: Date;
  periodEnd: Date;
  threshold: string;
  percent: string;
  value: string;
  crossedAt: Date;
}

export class CrossingStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Writes the crossings not written before and enqueues one
   * `dev.polaris.usage.threshold.crossed` for each, in `tx`: the row's key
   * (source, period, threshold) lets a crossing in only once, however many
   * evaluations see it, so its event is written once too.
   *
   * @returns the crossings that were new.
   */
  async record(tx: TransactionSql, crossings: readonly Crossing[]): Promise<Crossing[]> {
    if (crossings.length === 0) return [];
    const rows = await tx<{ sourceId: string; periodStart: Date; threshold: string }[]>`
      insert into billing.threshold_crossings (source, source_id, org_id, period_start, period_end, threshold, percent, value)
      select * from unnest(
        ${crossings.map((c) => c.source)}::text[], ${crossings.map((c) => c.sourceId)}::uuid[], ${crossings.map((c) => c.orgId)}::uuid[],
        ${crossings.map((c) => c.period.start.toISOString())}::timestamptz[], ${crossings.map((c) => c.period.end.toISOString())}::timestamptz[],
        ${crossings.map((c) => c.threshold.toString())}::numeric[], ${crossings.map((c) => c.percent.toString())}::numeric[],
        ${crossings.map((c) => c.value.toString())}::numeric[])
      on conflict do nothing
      returning source_id, period_start, threshold::text`;
    const inserted = new Set(rows.map((row) => crossingKey(row.sourceId, row.periodStart, Decimal.of(row.threshold))));
    const fresh = crossings.filter((c) => inserted.has(crossingKey(c.sourceId, c.period.start, c.threshold)));
    await enqueueEvents(tx, 'billing', fresh.map(thresholdCrossedEvent));
    return fresh;
  }

  /** The crossings of alerts or entitlements, newest period first, then by threshold. */
  async ofSources(sourceIds: readonly string[]): Promise<RecordedCrossing[]> {
    if (sourceIds.length === 0) return [];
    const rows = await this.sql<CrossingRow[]>`
      select c.source_id, c.period_start, c.period_end, c.threshold::text, c.percent::text, c.value::text, c.crossed_at
      from billing.threshold_crossings c where c.source_id = any(${sourceIds}::uuid[])
      -- By the numbers, not by the text the select answers.
      order by c.period_start desc, c.threshold`;
    return rows.map((row) => ({
      sourceId: row.sourceId,
      period: { start: row.periodStart, end: row.periodEnd },
      threshold: Decimal.of(row.threshold),
      percent: Decimal.of(row.percent),
      value: Decimal.of(row.value),
      crossedAt: row.crossedAt,
    }));
  }

  async deleteOf(tx: TransactionSql, sourceId: string): Promise<void> {
    await tx`delete from billing.threshold_crossings where source_id = ${sourceId}`;
  }
}

/** PostgreSQL answers a numeric at its own scale (`80.00`); through Decimal both sides read alike (`80`). */
function crossingKey(sourceId: string, periodStart: Date, threshold: Decimal): string {
  return `${sourceId} ${periodStart.toISOString()} ${threshold.toString()}`;
}
