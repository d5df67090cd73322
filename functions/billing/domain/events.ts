/** The CloudEvents Billing emits. */
import { createHash } from 'node:crypto';
import type { CloudEvent } from 'cloudevents';
import type { Decimal } from '../../../shared/decimal.js';
import { EventType, newEvent, type InvoiceUpdatedData, type UsageThresholdCrossedData } from '../../../shared/events/index.js';
import type { Period } from '../../../shared/periods.js';

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

/** A threshold reached in a billing period: an alert's, or an entitlement's metered limit. */
export interface Crossing {
  source: 'alert' | 'entitlement';
  /** The alert's or the entitlement's id. */
  sourceId: string;
  orgId: string;
  /** The entitlement's feature key. */
  feature?: string;
  /** Undefined: the draft invoice's amount. */
  metric?: string;
  period: Period;
  threshold: Decimal;
  /** Of the alert's budget; 100 for an entitlement's limit. */
  percent: Decimal;
  value: Decimal;
}

/**
 * `dev.polaris.usage.threshold.crossed`. Its id follows from (source,
 * period, threshold), so should the same crossing ever be written twice the
 * outbox and JetStream's deduplication would still carry it once.
 */
export function thresholdCrossedEvent(crossing: Crossing): CloudEvent<UsageThresholdCrossedData> {
  const key = `${crossing.sourceId}\n${crossing.period.start.toISOString()}\n${crossing.threshold.toString()}`;
  const hex = createHash('sha256').update(key).digest('hex');
  return newEvent(
    EventType.UsageThresholdCrossed,
    billingEventSource,
    {
      orgId: crossing.orgId,
      alertId: crossing.source === 'alert' ? crossing.sourceId : null,
      ...(crossing.feature ? { feature: crossing.feature } : {}),
      metric: crossing.metric ?? null,
      threshold: crossing.threshold.toString(),
      value: crossing.value.toString(),
      periodStart: crossing.period.start.toISOString(),
      periodEnd: crossing.period.end.toISOString(),
      percent: crossing.percent.toString(),
    },
    { id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`, subject: crossing.orgId },
  );
}
