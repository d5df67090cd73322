/**
 * A billing period's figures as alerts and entitlements read them when usage
 * changes: each metric's value (from Usage, asked once however many alerts
 * and entitlements read it) and the draft invoice's amount.
 */
import type { TransactionSql } from 'postgres';
import { Decimal } from '../../../shared/decimal.js';
import type { Period } from '../../../shared/periods.js';
import { billingPeriodOf } from './period-pricing.js';
import type { MetricTotal, UsageReader } from './other-services.js';
import type { BillingStore } from './store.js';

/** Something evaluated whenever an organization's usage (or invoice) changes, inside billing's transaction for it. */
export interface UsageWatcher {
  evaluate(tx: TransactionSql, figures: PeriodFigures): Promise<void>;
}

export class PeriodFigures {
  private amount?: Promise<Decimal>;

  constructor(
    readonly orgId: string,
    readonly period: Period,
    /** True for the billing period holding now: the one entitlements count. */
    readonly isCurrent: boolean,
    private readonly usage: UsageReader,
    private readonly loadAmount: () => Promise<Decimal>,
  ) {}

  /** The metric's value over the period, as its meter measures it; 0 without usage. */
  async metricValue(metric: string): Promise<Decimal> {
    const values = await this.usage.periodValues(this.orgId, this.period);
    return values.find((value) => value.metric === metric)?.total ?? Decimal.zero;
  }

  /** The amount of the period's invoice as billing last wrote it; 0 when it has none. */
  draftAmount(): Promise<Decimal> {
    return (this.amount ??= this.loadAmount());
  }
}

/** The figures of `period` for `orgId`, read in `tx`. */
export function periodFigures(tx: TransactionSql, store: BillingStore, usage: UsageReader, orgId: string, period: Period, now: Date, timeZone: string): PeriodFigures {
  const current = billingPeriodOf(now, timeZone);
  return new PeriodFigures(orgId, period, current.start.getTime() === period.start.getTime(), usage, async () => (await store.invoiceAmount(tx, orgId, period)) ?? Decimal.zero);
}

/** The figures of the billing period holding `now`, in the organization's billing time zone. */
export async function currentFigures(tx: TransactionSql, store: BillingStore, usage: UsageReader, orgId: string, now: Date): Promise<PeriodFigures> {
  const timeZone = await store.timeZoneOf(tx, orgId);
  return periodFigures(tx, store, memoizedUsage(usage), orgId, billingPeriodOf(now, timeZone), now, timeZone);
}

/**
 * A reader that asks Usage for each (organization, period) once: repricing a
 * draft and evaluating its alerts then share one GetUsageSummary. Live for
 * one evaluation only, so it never serves stale figures.
 */
export function memoizedUsage(usage: UsageReader): UsageReader {
  const periodValues = new Map<string, Promise<MetricTotal[]>>();
  return {
    periodValues(orgId, period) {
      const key = `${orgId} ${period.start.toISOString()} ${period.end.toISOString()}`;
      let values = periodValues.get(key);
      if (!values) {
        values = usage.periodValues(orgId, period);
        // A failure is not kept: a retry asks again.
        values.catch(() => periodValues.delete(key));
        periodValues.set(key, values);
      }
      return values;
    },
    filteredValue: (orgId, metric, where, period) => usage.filteredValue(orgId, metric, where, period),
  };
}
