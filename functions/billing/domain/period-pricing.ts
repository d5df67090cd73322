/**
 * What a billing period costs, and what settles a closed one. Pure and exact.
 *
 * A period's lines: one per price in effect for it (usage × its model), the
 * recurring fee, and a minimum top-up when those add up to less. Each line
 * has a key naming what it charges for, the same in every period, so a
 * closed period can be compared line by line with what its invoices billed.
 */
import { DateTime } from 'luxon';
import { Decimal } from '../../../shared/decimal.js';
import type { Period } from '../../../shared/periods.js';
import { charge, PricingModel, type Price } from './price-models.js';

export const LineKind = { Usage: 'usage', Fee: 'fee', Minimum: 'minimum', Adjustment: 'adjustment', Credit: 'credit' } as const;
export type LineKind = (typeof LineKind)[keyof typeof LineKind];

/** Keeps usage whose property `key` has one of `values`. */
export interface PropertyFilter {
  key: string;
  values: string[];
}

/** A price for a metric (and property filter) from one billing period on. */
export interface PlanVersion {
  id: string;
  orgId: string;
  name: string;
  metric: string;
  where: PropertyFilter[];
  price: Price;
  currency: string;
  effectiveFrom: Date;
  createdAt: Date;
}

/** How an organization is billed besides its plans, from one billing period on. */
export interface BillingTerms {
  orgId: string;
  /** The start of the first period these terms apply to. */
  effectiveFrom: Date;
  /** IANA; periods are calendar months there. */
  timeZone: string;
  recurringFee: Decimal;
  recurringFeeName: string;
  minimum: Decimal;
  /** Unset: its plans', or USD. */
  currency?: string;
}

export const defaultTerms = (orgId: string): BillingTerms => ({
  orgId,
  effectiveFrom: new Date(0),
  timeZone: 'UTC',
  recurringFee: Decimal.zero,
  recurringFeeName: 'Subscription',
  minimum: Decimal.zero,
});

export interface InvoiceLine {
  kind: LineKind;
  /** What the line charges for, the same in every period: `usage:<metric>:<filter>`, `fee`, `minimum`. */
  key: string;
  metric?: string;
  where: PropertyFilter[];
  description: string;
  quantity: Decimal;
  freeQuota: Decimal;
  billableQuantity: Decimal;
  /** The unit price (PER_UNIT), the package price (PACKAGE); for tiers, 0: the tiers are the price. */
  unitPrice: Decimal;
  /** Rounded to the currency's minor unit. */
  amount: Decimal;
  /** For adjustments and credits: the closed period the line belongs to. */
  forPeriod?: Period;
  /** For credits: the voided invoice. */
  forInvoiceId?: string;
}

/** The billing period (a calendar month in `timeZone`) that holds `at`. */
export function billingPeriodOf(at: Date, timeZone: string): Period {
  const start = DateTime.fromJSDate(at, { zone: timeZone }).startOf('month');
  return { start: start.toJSDate(), end: start.plus({ months: 1 }).toJSDate() };
}

/** "December 2026", as lines name the period they belong to. */
export function periodName(period: Period, timeZone: string): string {
  return DateTime.fromJSDate(period.start, { zone: timeZone }).toFormat('LLLL yyyy');
}

/** A filter in one canonical form (keys and values sorted), as plans are keyed by it. */
export function canonicalWhere(where: readonly PropertyFilter[]): PropertyFilter[] {
  return [...where]
    .map(({ key, values }) => ({ key, values: [...new Set(values)].sort() }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function whereKey(where: readonly PropertyFilter[]): string {
  return JSON.stringify(Object.fromEntries(canonicalWhere(where).map(({ key, values }) => [key, values])));
}

export const usageLineKey = (metric: string, where: readonly PropertyFilter[]) => `usage:${metric}:${whereKey(where)}`;

/** The terms in effect for a period: the latest version starting at or before it. */
export function termsInEffect(history: readonly BillingTerms[], period: Period, orgId: string): BillingTerms {
  let current: BillingTerms | undefined;
  for (const terms of history) if (terms.effectiveFrom <= period.start && (!current || terms.effectiveFrom > current.effectiveFrom)) current = terms;
  return current ?? { ...defaultTerms(orgId), timeZone: history.at(-1)?.timeZone ?? 'UTC', currency: history.at(-1)?.currency };
}

/** For each metric and filter, the version with the latest start at or before the period's start. */
export function versionsInEffect(versions: readonly PlanVersion[], period: Period): PlanVersion[] {
  const latest = new Map<string, PlanVersion>();
  for (const version of versions) {
    if (version.effectiveFrom > period.start) continue;
    const key = usageLineKey(version.metric, version.where);
    const current = latest.get(key);
    if (!current || version.effectiveFrom > current.effectiveFrom) latest.set(key, version);
  }
  return [...latest.values()].sort((a, b) => (usageLineKey(a.metric, a.where) < usageLineKey(b.metric, b.where) ? -1 : 1));
}

/**
 * The lines of a period: its usage under each price, its fee, and the
 * minimum's top-up. `usage` holds each price's period value by its line key.
 */
export function pricePeriod(plans: readonly PlanVersion[], usage: ReadonlyMap<string, Decimal>, terms: BillingTerms, minorUnits: number): InvoiceLine[] {
  const lines = plans.map((plan): InvoiceLine => {
    const key = usageLineKey(plan.metric, plan.where);
    const quantity = usage.get(key) ?? Decimal.zero;
    const { billableQuantity, amount } = charge(plan.price, quantity);
    const price = plan.price;
    return {
      kind: LineKind.Usage,
      key,
      metric: plan.metric,
      where: plan.where,
      description: plan.where.length === 0 ? plan.name : `${plan.name} (${plan.where.map((f) => `${f.key}: ${f.values.join(', ')}`).join('; ')})`,
      quantity,
      freeQuota: 'freeQuota' in price ? price.freeQuota : Decimal.zero,
      billableQuantity,
      unitPrice: price.model === PricingModel.PerUnit ? price.unitPrice : price.model === PricingModel.Package ? price.packagePrice : Decimal.zero,
      amount: amount.roundHalfUp(minorUnits),
    };
  });
  if (!terms.recurringFee.isZero()) lines.push(flatLine(LineKind.Fee, 'fee', terms.recurringFeeName, terms.recurringFee.roundHalfUp(minorUnits)));
  const subtotal = sum(lines);
  if (subtotal.cmp(terms.minimum) < 0) lines.push(flatLine(LineKind.Minimum, 'minimum', 'Minimum commitment top-up', terms.minimum.sub(subtotal).roundHalfUp(minorUnits)));
  return lines;
}

/** A line attributed to a closed period, as its invoices billed it. */
export interface BilledLine {
  key: string;
  amount: Decimal;
}

/**
 * The lines that make a closed period's invoices add up to what it costs
 * now: `target` (its lines priced today) minus what finalized and voided
 * invoices billed for it, minus the credits already on the open invoice.
 * One adjustment per line key that differs.
 */
export function settlePeriod(
  period: Period,
  target: readonly InvoiceLine[],
  billed: readonly BilledLine[],
  credits: readonly InvoiceLine[],
  name: string,
): InvoiceLine[] {
  const owed = new Map<string, { line?: InvoiceLine; amount: Decimal }>();
  const add = (key: string, amount: Decimal, line?: InvoiceLine) => {
    const entry = owed.get(key) ?? { amount: Decimal.zero };
    owed.set(key, { line: entry.line ?? line, amount: entry.amount.add(amount) });
  };
  for (const line of target) add(line.key, line.amount, line);
  for (const line of billed) add(line.key, line.amount.negate());
  for (const line of credits) add(line.key, line.amount.negate(), line);
  return [...owed]
    .filter(([, { amount }]) => !amount.isZero())
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, { line, amount }]) => ({
      kind: LineKind.Adjustment,
      key,
      metric: line?.metric,
      where: line?.where ?? [],
      description: `${line?.description ?? key}, ${name}`,
      quantity: line?.kind === LineKind.Usage ? line.quantity : Decimal.zero,
      freeQuota: Decimal.zero,
      billableQuantity: Decimal.zero,
      unitPrice: Decimal.zero,
      amount,
      forPeriod: period,
    }));
}

/** The credit note for a voided invoice: each of its lines that charged something, negated, for the period it belonged to. */
export function creditLines(invoice: { id: string; number?: string; period: Period; lines: readonly InvoiceLine[] }): InvoiceLine[] {
  return invoice.lines.filter((line) => !line.amount.isZero()).map((line) => ({
    ...line,
    kind: LineKind.Credit,
    description: `Credit for invoice ${invoice.number ?? invoice.id}: ${line.description}`,
    amount: line.amount.negate(),
    forPeriod: line.forPeriod ?? invoice.period,
    forInvoiceId: invoice.id,
  }));
}

export function sum(lines: readonly { amount: Decimal }[]): Decimal {
  return lines.reduce((total, line) => total.add(line.amount), Decimal.zero);
}

function flatLine(kind: LineKind, key: string, description: string, amount: Decimal): InvoiceLine {
  return { kind, key, where: [], description, quantity: Decimal.of(1), freeQuota: Decimal.zero, billableQuantity: Decimal.of(1), unitPrice: amount, amount };
}
