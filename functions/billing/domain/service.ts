/**
 * Billing's logic: versioned prices, billing terms, and invoices that follow
 * usage while their period is open, close after a grace time, and settle
 * whatever changes after they closed on the next open invoice.
 *
 * The invariant every step keeps: for each period, what its finalized and
 * voided invoices billed, plus the adjustments and credits on the open
 * invoice that carries them, equals what the period costs now. Nothing
 * unbilled, nothing twice.
 *
 * Billing reads no usage table: it asks Usage over gRPC (`UsageReader`).
 */
import type { TransactionSql } from 'postgres';
import type { Decimal } from '../../../shared/decimal.js';
import { ValidationError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { Period } from '../../../shared/periods.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { defaultCurrency, minorUnits } from './currency.js';
import { CurrencyMismatchError, InvoiceIsDraftError, InvoiceNotFinalizedError, InvoiceNotFoundError } from './errors.js';
import { paymentStatusMoves, type PaymentStatus } from './payment-status.js';
import type { SetPlanInput, SetTermsInput } from './inputs.js';
import {
  billingPeriodOf,
  creditLines,
  periodName,
  pricePeriod,
  settlePeriod,
  termsInEffect,
  usageLineKey,
  versionsInEffect,
  type BillingTerms,
  type InvoiceLine,
  type PlanVersion,
} from './period-pricing.js';
import type { OrganizationCheck, UsageReader } from './other-services.js';
import { memoizedUsage, periodFigures, type UsageWatcher } from './period-figures.js';
import { InvoiceStatus, type BillingStore, type Invoice } from './store.js';

export interface BillingServiceOptions {
  usage: UsageReader;
  requireOrganization: OrganizationCheck;
  logger: Logger;
  /** Hours after its period ends that a draft is finalized by the scheduled run. */
  graceHours: number;
  /** Evaluated after usage changed and the drafts were repriced (usage alerts, entitlements). */
  watchers?: readonly UsageWatcher[];
  now?: () => Date;
}

export class BillingService {
  private readonly now: () => Date;

  constructor(
    private readonly store: BillingStore,
    private readonly options: BillingServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Sets a metric's price (for a property filter, if any) from the start of
   * the billing period holding `effectiveFrom` (default: now) on. Closed
   * periods it reaches are settled on the next open invoice.
   */
  async setPlan(input: SetPlanInput): Promise<PlanVersion> {
    await this.options.requireOrganization(input.organizationId);
    if (input.where.length > 0) await this.checkFilter(input);
    return this.store.withOrganization(input.organizationId, async (tx) => {
      const history = await this.store.termsHistory(input.organizationId, tx);
      const existing = await this.store.currencyOf(tx, input.organizationId);
      const currency = input.currency ?? existing ?? defaultCurrency;
      if (existing && existing !== currency) throw new CurrencyMismatchError(existing, currency);
      const period = billingPeriodOf(input.effectiveFrom ?? this.now(), zoneOf(history));
      const version = await this.store.saveVersion(tx, {
        id: uuidv7(),
        orgId: input.organizationId,
        name: input.name,
        metric: input.metric,
        where: input.where,
        price: input.price,
        currency,
        effectiveFrom: period.start,
        createdAt: this.now(),
      });
      await this.store.flagForSettlement(tx, input.organizationId, await this.store.closedPeriodsFrom(tx, input.organizationId, period.start));
      await this.refresh(tx, input.organizationId, history, [this.currentPeriod(history)]);
      return version;
    });
  }

  /** The prices in effect in the current billing period. */
  async listPlans(orgId: string): Promise<PlanVersion[]> {
    const history = await this.store.termsHistory(orgId);
    return versionsInEffect(await this.store.listVersions(orgId), this.currentPeriod(history));
  }

  /** Every price version, by metric and filter, newest first. */
  listPlanVersions(orgId: string): Promise<PlanVersion[]> {
    return this.store.listVersions(orgId);
  }

  /** The terms in effect in the current billing period. */
  async terms(orgId: string): Promise<BillingTerms> {
    const history = await this.store.termsHistory(orgId);
    return termsInEffect(history, this.currentPeriod(history), orgId);
  }

  /**
   * Sets the organization's recurring fee and minimum from the current
   * billing period on (a closed period keeps its own), and its time zone,
   * which decides where periods start, so it changes only before the first invoice.
   */
  async setTerms(input: SetTermsInput): Promise<BillingTerms> {
    await this.options.requireOrganization(input.orgId);
    return this.store.withOrganization(input.orgId, async (tx) => {
      const zone = zoneOf(await this.store.termsHistory(input.orgId, tx));
      if (input.timeZone !== zone && (await this.store.hasInvoices(tx, input.orgId))) {
        throw new ValidationError([{ field: 'time_zone', message: `is ${zone}, and the organization has invoices: its periods cannot move` }]);
      }
      const currency = await this.store.currencyOf(tx, input.orgId);
      if (input.currency && currency && currency !== input.currency) throw new CurrencyMismatchError(currency, input.currency);
      const terms: BillingTerms = { ...input, effectiveFrom: billingPeriodOf(this.now(), input.timeZone).start, currency: input.currency ?? currency };
      await this.store.saveTerms(tx, terms);
      const history = await this.store.termsHistory(input.orgId, tx);
      await this.refresh(tx, input.orgId, history, [this.currentPeriod(history)]);
      return terms;
    });
  }

  /** Computes and stores the invoice for any period; the same invoice for the same period. */
  async generateInvoice(orgId: string, period: Period): Promise<Invoice> {
    await this.options.requireOrganization(orgId);
    return this.store.withOrganization(orgId, async (tx) => {
      await this.refresh(tx, orgId, await this.store.termsHistory(orgId, tx), [period]);
      return (await this.store.invoiceFor(tx, orgId, period))!;
    });
  }

  /**
   * Usage of [start, end) changed: the drafts of the periods it touches
   * follow; a closed period it touches is settled on the next open invoice.
   */
  async onUsageChanged(orgId: string, start: Date, end: Date): Promise<void> {
    // Repricing and the watchers read the same period values: one question to Usage for both.
    const usage = memoizedUsage(this.options.usage);
    await this.store.withOrganization(orgId, async (tx) => {
      const history = await this.store.termsHistory(orgId, tx);
      const zone = zoneOf(history);
      const touched = uniquePeriods([billingPeriodOf(start, zone), billingPeriodOf(new Date(end.getTime() - 1), zone)]);
      const open: Period[] = [];
      for (const period of touched) {
        const invoice = await this.store.invoiceFor(tx, orgId, period);
        if (invoice && invoice.status !== InvoiceStatus.Draft) await this.store.flagForSettlement(tx, orgId, [period]);
        else open.push(period);
      }
      const repriced = open.length > 0 ? open : [this.currentPeriod(history)];
      await this.refresh(tx, orgId, history, repriced, usage);
      for (const period of repriced) {
        const figures = periodFigures(tx, this.store, usage, orgId, period, this.now(), zone);
        for (const watcher of this.options.watchers ?? []) await watcher.evaluate(tx, figures);
      }
    });
  }

  /** Prices a draft once more from current usage, then freezes and numbers it. */
  async finalizeInvoice(id: string): Promise<Invoice> {
    const found = await this.store.findInvoice(id);
    if (!found) throw new InvoiceNotFoundError(id);
    return this.store.withOrganization(found.orgId, (tx) => this.finalizeLocked(tx, id));
  }

  /**
   * The scheduled run: finalizes every draft whose period ended more than
   * the grace time ago, oldest first per organization, and opens the current
   * period's draft for every organization billed, so a period without usage
   * still bills its fee and minimum.
   */
  async closeDue(): Promise<Invoice[]> {
    const cutoff = new Date(this.now().getTime() - this.options.graceHours * 3_600_000);
    const finalized: Invoice[] = [];
    for (const { id, orgId } of await this.store.draftsEndedBy(cutoff)) {
      try {
        finalized.push(await this.store.withOrganization(orgId, (tx) => this.finalizeLocked(tx, id)));
      } catch (err) {
        // One organization's failure (its usage unreachable) must not hold up the others; the next run retries.
        this.options.logger.warn({ err, orgId, invoiceId: id }, 'invoice not closed');
      }
    }
    for (const orgId of await this.store.billedOrganizationsWithoutInvoiceAt(this.now())) {
      try {
        await this.store.withOrganization(orgId, async (tx) => {
          const history = await this.store.termsHistory(orgId, tx);
          await this.refresh(tx, orgId, history, [this.currentPeriod(history)]);
        });
      } catch (err) {
        this.options.logger.warn({ err, orgId }, 'current draft not opened');
      }
    }
    return finalized;
  }

  /** Voids a finalized invoice: the next open invoice credits it and bills its period again at today's figures. */
  async voidInvoice(id: string, reason: string): Promise<Invoice> {
    const found = await this.store.findInvoice(id);
    if (!found) throw new InvoiceNotFoundError(id);
    return this.store.withOrganization(found.orgId, async (tx) => {
      const invoice = (await this.store.findInvoice(id, tx))!;
      if (invoice.status !== InvoiceStatus.Finalized) throw new InvoiceNotFinalizedError(id, invoice.status);
      const voided = await this.store.void(tx, invoice, reason);
      const periods = uniquePeriods([{ start: invoice.periodStart, end: invoice.periodEnd }, ...invoice.lines.flatMap((line) => (line.forPeriod ? [line.forPeriod] : []))]);
      await this.store.flagForSettlement(tx, invoice.orgId, periods);
      const history = await this.store.termsHistory(invoice.orgId, tx);
      await this.refresh(tx, invoice.orgId, history, [this.currentPeriod(history)]);
      return voided;
    });
  }

  /**
   * Records what a payment provider reports of an issued invoice, and
   * announces it, when it moves the payment status forward (see
   * payment-status.ts); a report that says nothing new changes nothing.
   */
  async setPaymentStatus(id: string, paymentStatus: PaymentStatus): Promise<{ invoice: Invoice; changed: boolean }> {
    const found = await this.store.findInvoice(id);
    if (!found) throw new InvoiceNotFoundError(id);
    return this.store.withOrganization(found.orgId, async (tx) => {
      const invoice = (await this.store.findInvoice(id, tx))!;
      if (invoice.status === InvoiceStatus.Draft) throw new InvoiceIsDraftError(id);
      if (!paymentStatusMoves(invoice.paymentStatus, paymentStatus)) return { invoice, changed: false };
      return { invoice: await this.store.setPaymentStatus(tx, invoice, paymentStatus), changed: true };
    });
  }

  async findInvoice(id: string): Promise<Invoice> {
    const invoice = await this.store.findInvoice(id);
    if (!invoice) throw new InvoiceNotFoundError(id);
    return invoice;
  }

  listInvoices(orgId: string): Promise<Invoice[]> {
    return this.store.listInvoices(orgId);
  }

  ready(): Promise<void> {
    return this.store.ping();
  }

  private async finalizeLocked(tx: TransactionSql, id: string): Promise<Invoice> {
    const invoice = (await this.store.findInvoice(id, tx))!;
    if (invoice.status !== InvoiceStatus.Draft) return invoice;
    const history = await this.store.termsHistory(invoice.orgId, tx);
    const period = { start: invoice.periodStart, end: invoice.periodEnd };
    const carried = await this.refresh(tx, invoice.orgId, history, [period]);
    const finalized = await this.store.finalize(tx, (await this.store.findInvoice(id, tx))!);
    if (carried.carrierId === id) await this.store.settled(tx, invoice.orgId, carried.settled);
    // The next open invoice (if any) now carries what is left to settle.
    await this.refresh(tx, invoice.orgId, history, []);
    return finalized;
  }

  /**
   * Writes the drafts of `periods` and every other draft of the
   * organization. The oldest draft carries the settlement of closed periods
   * and the credits of voided invoices; when settlement is due and no draft
   * exists, the current period's draft is made to carry it.
   */
  private async refresh(
    tx: TransactionSql,
    orgId: string,
    history: readonly BillingTerms[],
    periods: readonly Period[],
    usage: UsageReader = this.options.usage,
  ): Promise<{ carrierId?: string; settled: Period[] }> {
    const versions = await this.store.listVersions(orgId, tx);
    const currency = (await this.store.currencyOf(tx, orgId)) ?? defaultCurrency;
    const places = minorUnits(currency);
    const drafts = await this.store.drafts(tx, orgId);
    const toSettle = await this.store.periodsToSettle(tx, orgId);
    const voids = await this.store.uncreditedVoids(tx, orgId);
    const wanted = uniquePeriods([...drafts.map((d) => ({ start: d.periodStart, end: d.periodEnd })), ...periods]);
    if (wanted.length === 0 && (toSettle.length > 0 || voids.length > 0)) wanted.push(this.currentPeriod(history));
    const open: Period[] = [];
    for (const period of wanted) {
      const invoice = await this.store.invoiceFor(tx, orgId, period);
      if (!invoice || invoice.status === InvoiceStatus.Draft) open.push(period);
    }
    open.sort((a, b) => a.start.getTime() - b.start.getTime() || a.end.getTime() - b.end.getTime());

    let carrier: { carrierId?: string; settled: Period[] } = { settled: [] };
    for (const [index, period] of open.entries()) {
      const lines = await this.periodLines(orgId, period, versions, termsInEffect(history, period, orgId), places, usage);
      if (index === 0) {
        const credits = voids.flatMap((invoice) => creditLines({ id: invoice.id, number: invoice.number, period: { start: invoice.periodStart, end: invoice.periodEnd }, lines: invoice.lines }));
        lines.push(...credits);
        for (const closed of toSettle) {
          const target = await this.periodLines(orgId, closed, versions, termsInEffect(history, closed, orgId), places, usage);
          const billed = await this.store.billedFor(tx, orgId, closed);
          const creditsForIt = credits.filter((line) => line.forPeriod!.start.getTime() === closed.start.getTime());
          lines.push(...settlePeriod(closed, target, billed, creditsForIt, periodName(closed, zoneOf(history))));
        }
      }
      const { invoice } = await this.store.writeDraft(tx, orgId, period, currency, lines);
      if (index === 0) carrier = { carrierId: invoice.id, settled: toSettle };
    }
    return carrier;
  }

  /** A period's own lines, priced with the versions in effect for it and its usage now. */
  private async periodLines(
    orgId: string,
    period: Period,
    versions: readonly PlanVersion[],
    terms: BillingTerms,
    places: number,
    usage: UsageReader,
  ): Promise<InvoiceLine[]> {
    const plans = versionsInEffect(versions, period);
    const values = new Map<string, Decimal>();
    if (plans.some((plan) => plan.where.length === 0)) {
      for (const { metric, total } of await usage.periodValues(orgId, period)) values.set(usageLineKey(metric, []), total);
    }
    for (const plan of plans.filter((p) => p.where.length > 0)) {
      values.set(usageLineKey(plan.metric, plan.where), await usage.filteredValue(orgId, plan.metric, plan.where, period));
    }
    return pricePeriod(plans, values, terms, places);
  }

  /** A filter the metric's meter cannot apply is refused now, not at the next invoice. */
  private async checkFilter(input: SetPlanInput): Promise<void> {
    try {
      await this.options.usage.filteredValue(input.organizationId, input.metric, input.where, billingPeriodOf(this.now(), 'UTC'));
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError(err.problems.map((p) => ({ field: 'where', message: p.message })));
      throw err;
    }
  }

  private currentPeriod(history: readonly BillingTerms[]): Period {
    return billingPeriodOf(this.now(), zoneOf(history));
  }
}

/** The organization's billing time zone: its terms' (the same in every version), else UTC. */
function zoneOf(history: readonly BillingTerms[]): string {
  return history.at(-1)?.timeZone ?? 'UTC';
}

function uniquePeriods(periods: readonly Period[]): Period[] {
  const seen = new Map<string, Period>();
  for (const period of periods) seen.set(`${period.start.toISOString()} ${period.end.toISOString()}`, period);
  return [...seen.values()];
}
