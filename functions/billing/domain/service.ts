/**
 * Billing's logic: plans, and invoices priced from each metric's period value.
 * Billing reads no usage table: it asks Usage over gRPC (`UsageReader`).
 */
import type { Logger } from '../../../shared/logger.js';
import { defaultCurrency, minorUnits } from './currency.js';
import { CurrencyMismatchError, InvoiceNotFoundError } from './errors.js';
import { periodOf, PeriodUnit, type Period } from '../../../shared/periods.js';
import type { SetPlanInput } from './inputs.js';
import { priceUsage, type MetricTotal } from './pricing.js';
import { InvoiceStatus, type BillingStore, type Invoice, type InvoiceWrite, type Plan } from './store.js';

/** Usage's figures for a period, from the Usage service. */
export interface UsageReader {
  /**
   * Every metric's value over the whole period, by its meter: the sum for
   * SUM and COUNT, the greatest reading for MAX, the latest for LATEST, the
   * distinct values for UNIQUE_COUNT.
   */
  periodValues(orgId: string, period: Period): Promise<MetricTotal[]>;
}

/** Confirms an organization exists (through Identity); throws NotFound otherwise. */
export type OrganizationCheck = (orgId: string) => Promise<void>;

export interface BillingServiceOptions {
  usage: UsageReader;
  requireOrganization: OrganizationCheck;
  logger: Logger;
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

  /** Replaces the organization's plan for the metric, and reprices its open draft. */
  async setPlan(input: SetPlanInput): Promise<Plan> {
    await this.options.requireOrganization(input.organizationId);
    const { plan, conflictingCurrency } = await this.store.upsertPlan(input);
    if (!plan) throw new CurrencyMismatchError(conflictingCurrency!, input.currency);
    try {
      await this.writeInvoice(input.organizationId, periodOf(PeriodUnit.Month, this.now()));
    } catch (err) {
      // The plan is saved; the next aggregate update reprices the draft.
      this.options.logger.warn({ err, orgId: input.organizationId }, 'draft invoice not repriced after plan change');
    }
    return plan;
  }

  listPlans(orgId: string): Promise<Plan[]> {
    return this.store.listPlans(orgId);
  }

  /** Computes the invoice for any period from current aggregates and stores it; the same invoice for the same period. */
  async generateInvoice(orgId: string, period: Period): Promise<Invoice> {
    await this.options.requireOrganization(orgId);
    return (await this.writeInvoice(orgId, period)).invoice;
  }

  /**
   * Brings the draft of the month holding `at` up to date, as aggregates
   * change. Finalized invoices stay as they are.
   */
  async onUsageChanged(orgId: string, at: Date): Promise<InvoiceWrite> {
    return this.writeInvoice(orgId, periodOf(PeriodUnit.Month, at));
  }

  /** Prices the invoice once more from current usage, then freezes it for good. */
  async finalizeInvoice(id: string): Promise<Invoice> {
    const invoice = await this.store.findInvoice(id);
    if (!invoice) throw new InvoiceNotFoundError(id);
    if (invoice.status === InvoiceStatus.Draft) {
      await this.writeInvoice(invoice.orgId, { start: invoice.periodStart, end: invoice.periodEnd });
    }
    return (await this.store.finalizeInvoice(id))!.invoice;
  }

  listInvoices(orgId: string): Promise<Invoice[]> {
    return this.store.listInvoices(orgId);
  }

  ready(): Promise<void> {
    return this.store.ping();
  }

  private async writeInvoice(orgId: string, period: Period): Promise<InvoiceWrite> {
    const [plans, values] = await Promise.all([this.store.listPlans(orgId), this.options.usage.periodValues(orgId, period)]);
    const currency = plans[0]?.currency ?? defaultCurrency;
    const priced = priceUsage(plans, new Map(values.map(({ metric, total }) => [metric, total])), minorUnits(currency));
    return this.store.writeInvoice(orgId, period, currency, priced);
  }
}
