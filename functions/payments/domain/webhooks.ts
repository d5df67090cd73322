/**
 * Stripe's webhooks about the invoices Polaris sent: verified with the
 * package against the endpoint's signing secret and the raw bytes Stripe
 * signed, then reported to Billing, which keeps the invoice's payment
 * status. Applied once per Stripe event id; an event about an invoice
 * Polaris did not send is acknowledged and left alone (Stripe would retry
 * anything but a 2xx for days).
 */
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import type { InvoiceLedger, PaymentReport } from './ledger.js';
import type { PaymentsStore } from './store.js';
import { loadStripe, type Stripe } from './stripe.js';

/** The Stripe events that move an invoice's payment status, and where to. */
export const paymentStatusByStripeEvent: Readonly<Record<string, PaymentReport>> = {
  'invoice.paid': 'paid',
  'invoice.payment_failed': 'payment_failed',
  'invoice.marked_uncollectible': 'uncollectible',
};

/** The answer to Stripe: always `received` once the signature holds. */
export interface WebhookOutcome {
  received: true;
  eventId: string;
  /** Why nothing was done: a type Polaris does not follow, or an invoice it did not send. */
  ignored?: string;
  /** The event was applied before. */
  duplicate?: true;
  invoiceId?: string;
  /** The payment status Billing keeps now. */
  paymentStatus?: string;
  /** False when the event said nothing new (a late or repeated report). */
  changed?: boolean;
}

export class WebhooksOffError extends NotFoundError {
  override name = 'WebhooksOffError';
  constructor() {
    super(
      'stripe_webhooks_off',
      "Stripe webhooks are off: register https://<your Polaris>/stripe/webhook in Stripe (Developers → Webhooks; events invoice.paid, invoice.payment_failed, invoice.marked_uncollectible) and set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)",
    );
  }
}

export class StripeWebhooks {
  constructor(
    private readonly store: PaymentsStore,
    private readonly ledger: InvoiceLedger,
    /** STRIPE_WEBHOOK_SECRET; undefined: the route is off. */
    private readonly signingSecret: string | undefined,
  ) {}

  /**
   * @param payload the request body exactly as received.
   * @param signature the `Stripe-Signature` header.
   * @throws WebhooksOffError while STRIPE_WEBHOOK_SECRET is unset; a
   *   ValidationError for a missing, forged or stale signature (older than
   *   five minutes, the package's tolerance), with nothing changed.
   */
  async receive(payload: Buffer, signature: string | undefined): Promise<WebhookOutcome> {
    if (!this.signingSecret) throw new WebhooksOffError();
    const event = await this.verified(payload, signature, this.signingSecret);
    const outcome = { received: true as const, eventId: event.id };
    const paymentStatus = paymentStatusByStripeEvent[event.type];
    if (!paymentStatus) return { ...outcome, ignored: `${event.type} does not change a payment status` };
    const object = event.data.object as { id?: unknown; object?: unknown };
    if (object.object !== 'invoice' || typeof object.id !== 'string') return { ...outcome, ignored: 'the event holds no invoice' };
    if (await this.store.hasEvent(event.id)) return { ...outcome, duplicate: true };
    const record = await this.store.invoiceByStripeId(object.id);
    if (!record) return { ...outcome, ignored: `${object.id} is no invoice Polaris sent` };

    const reported = await this.ledger.setPaymentStatus(record.invoiceId, paymentStatus);
    await this.store.recordEvent({ eventId: event.id, type: event.type, stripeInvoiceId: object.id, invoiceId: record.invoiceId, paymentStatus: reported.paymentStatus, changed: reported.changed });
    return { ...outcome, invoiceId: record.invoiceId, paymentStatus: reported.paymentStatus, changed: reported.changed };
  }

  private async verified(payload: Buffer, signature: string | undefined, secret: string): Promise<Stripe.Event> {
    if (!signature) throw new ValidationError([{ field: 'stripe-signature', message: 'is required: Stripe signs every webhook' }]);
    const Stripe = await loadStripe();
    try {
      return Stripe.webhooks.constructEvent(payload, signature, secret);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw new ValidationError([{ field: 'stripe-signature', message: 'does not verify: not signed with this endpoint\'s secret, or older than 5 minutes' }]);
      }
      // Signed, yet no JSON: nothing Stripe sends.
      throw new ValidationError([{ field: 'body', message: 'is not a Stripe event' }]);
    }
  }
}
