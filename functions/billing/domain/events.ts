/** The CloudEvents Billing emits. */
import type { CloudEvent } from 'cloudevents';
import { EventType, newEvent, type InvoiceUpdatedData } from '../../../shared/events/types.js';
import type { Invoice } from './store.js';

export const billingEventSource = '/polaris/billing';

/** `dev.polaris.invoice.updated`, whenever an invoice's lines, amount or status change. */
export function invoiceUpdated(invoice: Invoice): CloudEvent<InvoiceUpdatedData> {
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
