/**
 * Pricing, pure and exact. Per plan (metric) and billing period:
 * billable = max(0, usage − free quota); line amount = billable × unit price,
 * rounded half-up to the currency's minor unit; the invoice amount is the sum
 * of its lines. Usage of a metric without a plan makes no line.
 */
import { Decimal } from '../../../shared/decimal.js';

export interface PlanPrice {
  metric: string;
  unitPrice: Decimal;
  freeQuota: Decimal;
}

export interface PricedLine {
  metric: string;
  quantity: Decimal;
  freeQuota: Decimal;
  billableQuantity: Decimal;
  unitPrice: Decimal;
  amount: Decimal;
}

/** A metric's value over a whole period, as its meter measures it. */
export interface MetricTotal {
  metric: string;
  total: Decimal;
}

export interface PricedInvoice {
  lines: PricedLine[];
  amount: Decimal;
}

/**
 * Prices `usage` (total per metric for the period) under `plans`. Lines come
 * in metric order, one per plan, including plans with no usage.
 */
export function priceUsage(plans: readonly PlanPrice[], usage: ReadonlyMap<string, Decimal>, minorUnits: number): PricedInvoice {
  const lines = [...plans]
    .sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0))
    .map((plan): PricedLine => {
      const quantity = usage.get(plan.metric) ?? Decimal.zero;
      const billableQuantity = Decimal.max(Decimal.zero, quantity.sub(plan.freeQuota));
      return {
        metric: plan.metric,
        quantity,
        freeQuota: plan.freeQuota,
        billableQuantity,
        unitPrice: plan.unitPrice,
        amount: billableQuantity.mul(plan.unitPrice).roundHalfUp(minorUnits),
      };
    });
  return { lines, amount: lines.reduce((sum, line) => sum.add(line.amount), Decimal.zero) };
}
