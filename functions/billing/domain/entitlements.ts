/**
 * Entitlements: what an organization may use. A BOOLEAN feature is on or
 * off; a METERED one limits a metric's value per billing period, hard
 * (refused at the limit) or soft (only reported). Billing keeps each metered
 * entitlement's usage in the current period as usage changes (`evaluate`),
 * and reaching the limit is a threshold crossing like an alert's at 100%.
 * `check` answers from that state through a cache of at most a second, so a
 * backend's hot path costs no query per call; how fresh the answer is also
 * depends on how often usage is aggregated.
 */
import type { TransactionSql } from 'postgres';
import { Decimal } from '../../../shared/decimal.js';
import { ConflictError } from '../../../shared/errors.js';
import { ExpiringCache } from '../../../shared/expiring-cache.js';
import { uuidv7 } from '../../../shared/uuid.js';
import type { CrossingStore } from './crossing-store.js';
import type { Entitlement, EntitlementSnapshot, EntitlementStore } from './entitlement-store.js';
import type { Crossing } from './events.js';
import { currentFigures, type PeriodFigures, type UsageWatcher } from './period-figures.js';
import { billingPeriodOf } from './period-pricing.js';
import type { OrganizationCheck, UsageReader } from './other-services.js';
import type { BillingStore } from './store.js';
import { EntitlementKind, watchLimits, type SetEntitlementInput } from './watch-inputs.js';

/** How long a check's answer is reused: a limit crossed turns the answer within this much of billing seeing it. */
export const entitlementCacheMs = 1000;

/** May the organization use the feature now, and how much of it is left. */
export interface EntitlementAnswer {
  hasAccess: boolean;
  /** Undefined: the organization has no entitlement to the feature. */
  kind?: EntitlementKind;
  /** METERED: the usage in the current billing period, and the limit. */
  usage?: Decimal;
  limit?: Decimal;
  soft: boolean;
  /** METERED: usage ≥ limit. */
  overLimit: boolean;
  /** METERED: the end of the current billing period, when the usage starts from 0 again. */
  resetsAt?: Date;
}

export class TooManyEntitlementsError extends ConflictError {
  override name = 'TooManyEntitlementsError';
  constructor() {
    super('too_many_entitlements', `an organization may have at most ${watchLimits.entitlementsPerOrganization} entitlements; delete one first`);
  }
}

const hundred = Decimal.of(100);

export interface EntitlementsOptions {
  billing: BillingStore;
  usage: UsageReader;
  requireOrganization: OrganizationCheck;
  now?: () => Date;
}

export class Entitlements implements UsageWatcher {
  private readonly now: () => Date;
  private readonly answers = new ExpiringCache<string, EntitlementAnswer>({ maxEntries: 10_000 });

  constructor(
    private readonly store: EntitlementStore,
    private readonly crossings: CrossingStore,
    private readonly options: EntitlementsOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Sets the organization's entitlement to a feature; a metered one counts the current period's usage at once. */
  async set(input: SetEntitlementInput): Promise<Entitlement> {
    await this.options.requireOrganization(input.orgId);
    const set = await this.options.billing.withOrganization(input.orgId, async (tx) => {
      const { count, exists } = await this.store.census(tx, input.orgId, input.feature);
      if (!exists && count >= watchLimits.entitlementsPerOrganization) throw new TooManyEntitlementsError();
      const entitlement = await this.store.upsert(tx, uuidv7(), input);
      if (entitlement.kind === EntitlementKind.Metered) await this.evaluate(tx, await currentFigures(tx, this.options.billing, this.options.usage, input.orgId, this.now()));
      return entitlement;
    });
    // Once committed: this process answers the new entitlement at once (others within the cache time).
    this.answers.delete(answerKey(input.orgId, input.feature));
    return set;
  }

  list(orgId: string): Promise<Entitlement[]> {
    return this.store.ofOrganization(orgId);
  }

  /** Deletes the entitlement and its crossings; false when the organization had none to the feature. */
  async delete(orgId: string, feature: string): Promise<boolean> {
    const deleted = await this.options.billing.withOrganization(orgId, async (tx) => {
      const id = await this.store.delete(tx, orgId, feature);
      if (id) await this.crossings.deleteOf(tx, id);
      return id !== undefined;
    });
    this.answers.delete(answerKey(orgId, feature));
    return deleted;
  }

  /** The answer for the feature now, from billing's state, reused for up to {@link entitlementCacheMs}. */
  check(orgId: string, feature: string): Promise<EntitlementAnswer> {
    return this.answers.get(
      answerKey(orgId, feature),
      async () => this.answer(await this.store.snapshot(orgId, feature)),
      () => entitlementCacheMs,
    );
  }

  /** Counts each metered entitlement's usage in the current period, and records the limits reached, each once per period. */
  async evaluate(tx: TransactionSql, figures: PeriodFigures): Promise<void> {
    // Earlier periods (a draft still open after its month) no longer decide access.
    if (!figures.isCurrent) return;
    const metered = await this.store.ofOrganization(figures.orgId, { meteredOnly: true, sql: tx });
    if (metered.length === 0) return;
    const usage = await Promise.all(metered.map(async (entitlement) => ({ entitlement, usage: await figures.metricValue(entitlement.metric!) })));
    await this.store.saveUsage(
      tx,
      figures.period,
      usage.map((u) => ({ entitlementId: u.entitlement.id, usage: u.usage })),
    );
    const crossings: Crossing[] = usage
      .filter(({ entitlement, usage }) => usage.cmp(entitlement.limit!) >= 0)
      .map(({ entitlement, usage }) => ({
        source: 'entitlement',
        sourceId: entitlement.id,
        orgId: entitlement.orgId,
        feature: entitlement.feature,
        metric: entitlement.metric,
        period: figures.period,
        threshold: entitlement.limit!,
        percent: hundred,
        value: usage,
      }));
    await this.crossings.record(tx, crossings);
  }

  private answer(snapshot: EntitlementSnapshot | undefined): EntitlementAnswer {
    if (!snapshot) return { hasAccess: false, soft: false, overLimit: false };
    const { entitlement, state, timeZone } = snapshot;
    if (entitlement.kind === EntitlementKind.Boolean) return { hasAccess: entitlement.enabled, kind: entitlement.kind, soft: false, overLimit: false };
    const period = billingPeriodOf(this.now(), timeZone);
    // Usage counted for an earlier period is not this one's: a new period starts from 0.
    const usage = state && state.period.start.getTime() === period.start.getTime() ? state.usage : Decimal.zero;
    const limit = entitlement.limit!;
    const overLimit = usage.cmp(limit) >= 0;
    return { hasAccess: entitlement.soft || !overLimit, kind: entitlement.kind, usage, limit, soft: entitlement.soft, overLimit, resetsAt: period.end };
  }
}

const answerKey = (orgId: string, feature: string) => `${orgId} ${feature}`;
