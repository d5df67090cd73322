/** The CloudEvents Billing emits. */
import type { CloudEvent } from 'cloudevents';
import type { Decimal } from '../../../shared/decimal.js';
import { EventType, newEvent, type InvoiceUpdatedData } from '../../../shared/events/index.js';

export const billingEventSource = '/polaris/billing';

/** What an invoice event tells of the invoice. */
export interface InvoiceState {
  id: string;
  orgId: string;
  status: string;
  amount: Decimal;
  periodStart: Date;
  periodEnd: Date;
  number?: string;
  voidReason?: string;
  paymentStatus?: string;
}

type InvoiceEventType =
  | typeof EventType.InvoiceCreated
  | typeof EventType.InvoiceUpdated
  | typeof EventType.InvoiceFinalized
  | typeof EventType.InvoiceVoided
  | typeof EventType.InvoicePaid
  | typeof EventType.InvoicePaymentFailed
  | typeof EventType.InvoiceUncollectible;

/**
 * An invoice event: `created` when a draft first exists, `updated` whenever
 * its lines, amount, status or payment status change, `finalized` and
 * `voided` on those steps, `paid`, `payment_failed` and `uncollectible` as a
 * payment provider reports them.
 */
export function invoiceEvent(type: InvoiceEventType, invoice: InvoiceState): CloudEvent<InvoiceUpdatedData> {
  return newEvent(
    type,
    billingEventSource,
    {
      orgId: invoice.orgId,
      invoiceId: invoice.id,
      status: invoice.status,
      amount: invoice.amount.toString(),
      periodStart: invoice.periodStart.toISOString(),
      periodEnd: invoice.periodEnd.toISOString(),
      ...(invoice.number ? { number: invoice.number } : {}),
      ...(invoice.voidReason ? { reason: invoice.voidReason } : {}),
      ...(invoice.paymentStatus ? { paymentStatus: invoice.paymentStatus } : {}),
    },
    { subject: invoice.orgId },
  );
}
