/** Billing's domain values in their protobuf form: decimals as exact strings, money to the currency's minor unit. */
import type { Invoice as InvoiceMessage, Plan as PlanMessage } from '../../proto/gen/polaris/billing/v1/billing.js';
import { minorUnits, type Invoice, type Plan } from './domain/index.js';

export const planMessage = (plan: Plan): PlanMessage => ({
  id: plan.id,
  organizationId: plan.orgId,
  name: plan.name,
  metric: plan.metric,
  unitPrice: plan.unitPrice.toString(),
  freeQuota: plan.freeQuota.toString(),
  currency: plan.currency,
});

export function invoiceMessage(invoice: Invoice): InvoiceMessage {
  const places = minorUnits(invoice.currency);
  return {
    id: invoice.id,
    organizationId: invoice.orgId,
    periodStart: invoice.periodStart.toISOString(),
    periodEnd: invoice.periodEnd.toISOString(),
    status: invoice.status,
    amount: invoice.amount.toFixed(places),
    currency: invoice.currency,
    lineItems: invoice.lines.map((line) => ({
      metric: line.metric,
      quantity: line.quantity.toString(),
      freeQuota: line.freeQuota.toString(),
      billableQuantity: line.billableQuantity.toString(),
      unitPrice: line.unitPrice.toString(),
      amount: line.amount.toFixed(places),
    })),
    updatedAt: invoice.updatedAt.toISOString(),
  };
}
