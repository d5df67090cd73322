/**
 * What a payment provider reports of a finalized invoice, apart from its
 * status (a finalized invoice stays finalized, paid or not). Reports may
 * arrive late, twice or out of order (Stripe promises neither order nor
 * single delivery), so a status only moves forward: a failed attempt after
 * the payment, or after the write-off, says nothing new.
 */
import { EventType } from '../../../shared/events/index.js';

export const PaymentStatus = { PaymentFailed: 'payment_failed', Uncollectible: 'uncollectible', Paid: 'paid' } as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** Later statuses win: a failed attempt may be followed by a write-off, and either by a payment. */
const order: Record<PaymentStatus, number> = { payment_failed: 1, uncollectible: 2, paid: 3 };

export function isPaymentStatus(value: string): value is PaymentStatus {
  return Object.hasOwn(order, value);
}

/** Whether a report of `next` changes an invoice whose status is `current` (undefined: none reported yet). */
export function paymentStatusMoves(current: PaymentStatus | undefined, next: PaymentStatus): boolean {
  return current === undefined || order[next] > order[current];
}

/** The event that announces each status. */
export const paymentEventType = {
  paid: EventType.InvoicePaid,
  payment_failed: EventType.InvoicePaymentFailed,
  uncollectible: EventType.InvoiceUncollectible,
} as const satisfies Record<PaymentStatus, EventType>;
