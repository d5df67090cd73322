/**
 * Usage alerts: a budget on a metric's value in the billing period, or on
 * the draft invoice's amount, and the percentages of it to warn at. Each
 * threshold reached emits `dev.polaris.usage.threshold.crossed` once per
 * billing period (see CrossingStore), evaluated whenever billing reprices the
 * organization's drafts, and once when the alert is made. A value that later
 * drops (a void, a correction) un-crosses nothing.
 */
import type { TransactionSql } from 'postgres';
import { Decimal } from '../../../shared/decimal.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import { uuidv7 } from '../../../shared/uuid.js';
import type { RecordedCrossing, CrossingStore } from './crossing-store.js';
import type { Crossing } from './events.js';
import { currentFigures, type PeriodFigures, type UsageWatcher } from './period-figures.js';
import type { OrganizationCheck, UsageReader } from './other-services.js';
import type { BillingStore } from './store.js';
import type { UsageAlertRecord, UsageAlertStore } from './usage-alert-store.js';
import { watchLimits, type CreateUsageAlertInput, type DeleteUsageAlertInput } from './watch-inputs.js';

export interface UsageAlert extends UsageAlertRecord {
  /** Newest period first. */
  crossings: RecordedCrossing[];
}

export class UsageAlertNotFoundError extends NotFoundError {
  override name = 'UsageAlertNotFoundError';
  constructor(id: string) {
    super('usage_alert_not_found', `usage alert ${id} does not exist`);
  }
}

export class TooManyAlertsError extends ConflictError {
  override name = 'TooManyAlertsError';
  constructor() {
    super('too_many_usage_alerts', `an organization may have at most ${watchLimits.alertsPerOrganization} usage alerts; delete one first`);
  }
}

const hundredth = Decimal.of('0.01');

/** The value at which `percent` of `budget` is reached: budget × percent / 100, exactly. */
export function thresholdOf(budget: Decimal, percent: Decimal): Decimal {
  return budget.mul(percent).mul(hundredth);
}

export interface UsageAlertsOptions {
  billing: BillingStore;
  usage: UsageReader;
  requireOrganization: OrganizationCheck;
  now?: () => Date;
}

export class UsageAlerts implements UsageWatcher {
  private readonly now: () => Date;

  constructor(
    private readonly store: UsageAlertStore,
    private readonly crossings: CrossingStore,
    private readonly options: UsageAlertsOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Makes an alert and evaluates it on the current period at once: a budget already reached is announced now. */
  async create(input: CreateUsageAlertInput): Promise<UsageAlert> {
    await this.options.requireOrganization(input.orgId);
    return this.options.billing.withOrganization(input.orgId, async (tx) => {
      if ((await this.store.count(tx, input.orgId)) >= watchLimits.alertsPerOrganization) throw new TooManyAlertsError();
      const alert = await this.store.insert(tx, { id: uuidv7(), orgId: input.orgId, metric: input.metric, budget: input.budget, percentages: input.percentages });
      const figures = await currentFigures(tx, this.options.billing, this.options.usage, input.orgId, this.now());
      const crossed = await this.crossings.record(tx, await this.crossingsOf([alert], figures));
      return { ...alert, crossings: crossed.map((c) => ({ ...c, crossedAt: this.now() })) };
    });
  }

  /** The organization's alerts, oldest first, each with its crossings. */
  async list(orgId: string): Promise<UsageAlert[]> {
    const alerts = await this.store.ofOrganization(orgId);
    const crossings = await this.crossings.ofSources(alerts.map((alert) => alert.id));
    return alerts.map((alert) => ({ ...alert, crossings: crossings.filter((c) => c.sourceId === alert.id) }));
  }

  /** Deletes an alert and its crossings; an alert of another organization than `orgId` (when given) is as missing as an unknown one. */
  async delete(input: DeleteUsageAlertInput): Promise<UsageAlertRecord> {
    const found = await this.store.find(input.id);
    if (!found || (input.orgId && found.orgId !== input.orgId)) throw new UsageAlertNotFoundError(input.id);
    // Under the organization's lock, so no evaluation is writing a crossing of it meanwhile.
    const deleted = await this.options.billing.withOrganization(found.orgId, async (tx) => {
      const alert = await this.store.delete(tx, found.id);
      if (alert) await this.crossings.deleteOf(tx, alert.id);
      return alert;
    });
    if (!deleted) throw new UsageAlertNotFoundError(input.id);
    return deleted;
  }

  /** Records every threshold the organization's alerts have reached in the period, each once. */
  async evaluate(tx: TransactionSql, figures: PeriodFigures): Promise<void> {
    const alerts = await this.store.ofOrganization(figures.orgId, tx);
    await this.crossings.record(tx, await this.crossingsOf(alerts, figures));
  }

  private async crossingsOf(alerts: readonly UsageAlertRecord[], figures: PeriodFigures): Promise<Crossing[]> {
    const crossings: Crossing[] = [];
    for (const alert of alerts) {
      const value = alert.metric ? await figures.metricValue(alert.metric) : await figures.draftAmount();
      for (const percent of alert.percentages) {
        const threshold = thresholdOf(alert.budget, percent);
        if (value.cmp(threshold) < 0) break; // ascending: none further is reached either
        crossings.push({ source: 'alert', sourceId: alert.id, orgId: alert.orgId, metric: alert.metric, period: figures.period, threshold, percent, value });
      }
    }
    return crossings;
  }
}
