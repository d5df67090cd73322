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
}

/** `dev.polaris.invoice.updated`, whenever an invoice's lines, amount or status change. */
export function invoiceUpdated(invoice: InvoiceState): CloudEvent<InvoiceUpdatedData> {
  return newEvent(
    EventType.InvoiceUpdated,
    billingEventSource,
    {
      orgId: invoice.orgId,
      invoiceId: invoice.id,
      status: invoice.status,
      amount: invoice.amount.toString(),
      periodStart: invoice.periodStart.toISOString(),
      periodEnd: invoice.periodEnd.toISOString(),
    },
    { subject: invoice.orgId },
  );
}
