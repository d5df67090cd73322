/**
 * A finalized Polaris invoice becomes a Stripe invoice with the same lines,
 * finalized, then emailed or charged as the organization's link says. Each
 * step's request carries an idempotency key made of the Polaris invoice id
 * and the step, and the steps done are kept in PostgreSQL: a redelivered
 * event, a retry after a crash or two deliveries at once make one Stripe
 * invoice, sent or charged once.
 */
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { CollectionMethod } from './inputs.js';
import type { InvoiceLedger, IssuedInvoice, IssuedInvoiceLine } from './ledger.js';
import { toMinorUnits } from './money.js';
import { SendState, type PaymentsStore, type StripeInvoiceRecord } from './store.js';
import { describeStripeError, idempotencyKey, isMissingResource, isPaymentRefusal, isRequestRefusal, publicStripeError, type Stripe, type StripeClient } from './stripe.js';

/** What became of an invoice: how far it got in Stripe, or why it was not sent. */
export type SendOutcome =
  | SendState
  /** Stripe is off (STRIPE_SECRET_KEY unset). */
  | 'stripe_off'
  /** Billing knows no such invoice. */
  | 'unknown_invoice'
  /** The invoice is not (or no longer) finalized: a draft, or voided before it was sent. */
  | 'not_finalized'
  /** Its organization has no Stripe customer. */
  | 'not_linked';

/** What became of a voided invoice's Stripe invoice. */
export type VoidOutcome =
  /** Stripe is off (STRIPE_SECRET_KEY unset). */
  | 'stripe_off'
  /** Billing knows no such invoice. */
  | 'unknown_invoice'
  /** Billing has not voided the invoice. */
  | 'not_void'
  /** Nothing of it had reached Stripe, and now nothing will. */
  | 'not_sent'
  /** Its Stripe invoice is voided, or its Stripe draft deleted. */
  | 'voided'
  /** Stripe has it paid (or refuses to void it): left as it is there, the reason kept as its last error. */
  | 'left_in_stripe';

const finished: ReadonlySet<SendState> = new Set([SendState.Sent, SendState.Charged, SendState.ChargeFailed, SendState.Settled, SendState.Voided]);

/** Stripe's limit on a description. */
const descriptionLength = 500;

export class InvoiceSender {
  constructor(
    private readonly store: PaymentsStore,
    /** Undefined while Stripe is off. */
    private readonly stripe: StripeClient | undefined,
    private readonly ledger: InvoiceLedger,
    private readonly logger: Logger,
  ) {}

  /**
   * Takes the invoice to Stripe as far as it has not gone yet. Throws when
   * Stripe fails in a way a later attempt may cure (the event is then
   * delivered again); a declined charge is an outcome, not a failure.
   */
  async send(invoiceId: string): Promise<SendOutcome> {
    return this.withInvoice(invoiceId, async (stripe, db, invoice) => {
      if (invoice.status !== 'finalized') return 'not_finalized';
      let record = await this.store.invoice(db, invoice.id);
      if (!record) {
        const link = await this.store.customer(invoice.orgId);
        if (!link) return 'not_linked';
        record = await this.store.startInvoice(db, invoice.id, link);
      }
      if (finished.has(record.state)) return record.state;
      await this.store.countAttempt(db, invoice.id);
      try {
        return await new InvoiceSteps(stripe, this.store, db, invoice, record, this.ledger).run();
      } catch (err) {
        await this.store.recordError(db, invoice.id, describeStripeError(err));
        this.logger.warn({ invoiceId: invoice.id, error: describeStripeError(err) }, 'invoice not sent to Stripe yet; the event will be delivered again');
        throw err;
      }
    });
  }

  /**
   * The operator's send (SendInvoice): as `send`, but an invoice that
   * cannot go is an error saying why, and a Stripe failure one its caller can
   * read (never the key).
   */
  async sendNow(invoiceId: string): Promise<SendState> {
    let outcome: SendOutcome;
    try {
      outcome = await this.send(invoiceId);
    } catch (err) {
      throw publicStripeError(err);
    }
    switch (outcome) {
      case 'stripe_off':
        throw new ConflictError('stripe_off', 'Stripe is off: set STRIPE_SECRET_KEY to send invoices');
      case 'unknown_invoice':
        throw new NotFoundError('invoice_not_found', `invoice ${invoiceId} does not exist`);
      case 'not_finalized':
        throw new ConflictError('invoice_not_finalized', `invoice ${invoiceId} is not finalized: only a finalized invoice goes to Stripe`);
      case 'not_linked':
        throw new ConflictError('stripe_customer_missing', "the invoice's organization has no Stripe customer: link it first (setStripeCustomer)");
      default:
        return outcome;
    }
  }

  /**
   * Takes a voided invoice back out of Stripe, as far as it got there: a
   * Stripe draft is deleted, an open or uncollectible Stripe invoice voided.
   * A paid one stays paid (a void refunds nothing; that is the operator's to
   * do in Stripe) and says so in its last error. Throws when Stripe fails in a
   * way a later attempt may cure. Holding the invoice's lock, it never runs
   * beside a send: a send that comes later finds the invoice void and stops.
   */
  async void(invoiceId: string): Promise<VoidOutcome> {
    return this.withInvoice(invoiceId, async (stripe, db, invoice) => {
      if (invoice.status !== 'void') return 'not_void';
      const record = await this.store.invoice(db, invoiceId);
      if (!record) return 'not_sent';
      if (record.state === SendState.Voided) return 'voided';
      if (!record.stripeInvoiceId) {
        await this.store.setState(db, invoiceId, SendState.Voided);
        return 'not_sent';
      }
      try {
        return await this.voidInStripe(stripe, db, invoiceId, record.stripeInvoiceId);
      } catch (err) {
        if (isMissingResource(err)) {
          // Deleted in Stripe meanwhile (a draft, from Stripe's dashboard): nothing is left there to void.
          await this.store.setState(db, invoiceId, SendState.Voided);
          return 'voided';
        }
        await this.store.recordError(db, invoiceId, describeStripeError(err));
        if (!isRequestRefusal(err)) {
          this.logger.warn({ invoiceId, error: describeStripeError(err) }, 'voided invoice not voided in Stripe yet; the event will be delivered again');
          throw err;
        }
        // The Stripe invoice's state forbids it (paid between our look and the void): asking again changes nothing.
        this.logger.warn({ invoiceId, error: describeStripeError(err) }, 'Stripe refused to void a voided invoice; it is left as it is there');
        return 'left_in_stripe';
      }
    });
  }

  /**
   * Runs `work` holding the invoice's lock, on the invoice as Billing has it
   * then: read under the lock, so a send and a void of one invoice each see
   * the other's outcome (an invoice whose void was handled first is never
   * sent after it).
   */
  private async withInvoice<T>(invoiceId: string, work: (stripe: Stripe, db: Db, invoice: IssuedInvoice) => Promise<T>): Promise<T | 'stripe_off' | 'unknown_invoice'> {
    if (!this.stripe) return 'stripe_off';
    const stripe = await this.stripe();
    return this.store.withInvoiceLock(invoiceId, async (db) => {
      const invoice = await this.ledger.invoice(invoiceId);
      return invoice ? work(stripe, db, invoice) : 'unknown_invoice';
    });
  }

  /** By the Stripe invoice's own status, which is ahead of the record's when a send stopped between a step and its record. */
  private async voidInStripe(stripe: Stripe, db: Db, invoiceId: string, stripeInvoiceId: string): Promise<VoidOutcome> {
    const inStripe = await stripe.invoices.retrieve(stripeInvoiceId);
    switch (inStripe.status) {
      case 'draft':
        await stripe.invoices.del(stripeInvoiceId);
        break;
      case 'open':
      case 'uncollectible':
        await stripe.invoices.voidInvoice(stripeInvoiceId, {}, { idempotencyKey: idempotencyKey('invoice', invoiceId, 'void') });
        break;
      case 'void':
        break;
      default:
        await this.store.recordError(db, invoiceId, `voided in Polaris, but ${inStripe.status} in Stripe: a void refunds nothing; refund it in Stripe if it should be`);
        this.logger.warn({ invoiceId, stripeInvoiceId, status: inStripe.status }, 'a voided invoice is paid in Stripe; left as it is there');
        return 'left_in_stripe';
    }
    await this.store.setState(db, invoiceId, SendState.Voided);
    return 'voided';
  }
}

type Db = Parameters<Parameters<PaymentsStore['withInvoiceLock']>[1]>[0];

/** One attempt at the steps left of one invoice, on the connection that holds its lock. */
class InvoiceSteps {
  constructor(
    private readonly stripe: Stripe,
    private readonly store: PaymentsStore,
    private readonly db: Db,
    private readonly invoice: IssuedInvoice,
    private readonly record: StripeInvoiceRecord,
    private readonly ledger: InvoiceLedger,
  ) {}

  async run(): Promise<SendState> {
    const stripeInvoiceId = this.record.stripeInvoiceId ?? (await this.create());
    if (this.record.state === SendState.Pending) {
      for (const [index, line] of this.invoice.lines.entries()) await this.stripe.invoiceItems.create(this.item(stripeInvoiceId, line, index), this.key(`line-${index}`));
      // Polaris sends or charges it next, once: Stripe must not do either on its own.
      const finalized = await this.stripe.invoices.finalizeInvoice(stripeInvoiceId, { auto_advance: false }, this.key('finalize'));
      if (finalized.status === 'paid') return this.finish(SendState.Settled, 'paid');
      await this.store.setState(this.db, this.invoice.id, SendState.Finalized);
    }
    return this.record.collectionMethod === CollectionMethod.SendInvoice ? this.sendIt(stripeInvoiceId) : this.charge(stripeInvoiceId);
  }

  private async create(): Promise<string> {
    const { invoice, record } = this;
    const created = await this.stripe.invoices.create(
      {
        customer: record.customerId,
        currency: invoice.currency.toLowerCase(),
        collection_method: record.collectionMethod,
        ...(record.collectionMethod === CollectionMethod.SendInvoice && { days_until_due: record.daysUntilDue }),
        auto_advance: false,
        // Only this invoice's lines: never the customer's other pending items.
        pending_invoice_items_behavior: 'exclude',
        description: `Polaris invoice ${invoice.number}, ${day(invoice.periodStart)} to ${day(invoice.periodEnd)}`,
        metadata: { polaris_invoice_id: invoice.id, polaris_invoice_number: invoice.number, polaris_organization_id: invoice.orgId },
      },
      this.key('invoice'),
    );
    // Kept at once: Stripe's webhooks about it may come before the last step is done.
    await this.store.setStripeInvoice(this.db, invoice.id, created.id);
    return created.id;
  }

  private item(stripeInvoiceId: string, line: IssuedInvoiceLine, index: number): Stripe.InvoiceItemCreateParams {
    const period = line.forPeriod ?? { start: this.invoice.periodStart, end: this.invoice.periodEnd };
    return {
      customer: this.record.customerId,
      invoice: stripeInvoiceId,
      currency: this.invoice.currency.toLowerCase(),
      amount: toMinorUnits(line.amount, this.invoice.currency, `line_items[${index}].amount`),
      description: itemDescription(line),
      period: { start: seconds(period.start), end: seconds(period.end) },
      metadata: { polaris_invoice_id: this.invoice.id, polaris_line: String(index), polaris_line_kind: line.kind },
    };
  }

  private async sendIt(stripeInvoiceId: string): Promise<SendState> {
    await this.stripe.invoices.sendInvoice(stripeInvoiceId, {}, this.key('send'));
    return this.finish(SendState.Sent);
  }

  private async charge(stripeInvoiceId: string): Promise<SendState> {
    let charged: Stripe.Invoice;
    try {
      charged = await this.stripe.invoices.pay(stripeInvoiceId, {}, this.key('pay'));
    } catch (err) {
      if (!isPaymentRefusal(err)) throw err;
      // Declined, or no way to pay: Stripe's retry schedule and reminders take over from here.
      await this.stripe.invoices.update(stripeInvoiceId, { auto_advance: true }, this.key('retry'));
      return this.finish(SendState.ChargeFailed, 'payment_failed', describeStripeError(err));
    }
    // A payment still processing (a bank debit) is reported paid by Stripe's webhook later.
    return this.finish(SendState.Charged, charged.status === 'paid' ? 'paid' : undefined);
  }

  /**
   * Records the last step, and tells Billing what the step already showed,
   * so an account without a webhook endpoint still sees charges paid; the
   * webhook's report of the same is then nothing new.
   */
  private async finish(state: SendState, report?: 'paid' | 'payment_failed', error?: string): Promise<SendState> {
    if (report) await this.ledger.setPaymentStatus(this.invoice.id, report);
    await this.store.setState(this.db, this.invoice.id, state, error);
    return state;
  }

  private key(step: string) {
    return { idempotencyKey: idempotencyKey('invoice', this.invoice.id, step) };
  }
}

/** `API calls: 1200 api_calls (1000 free)` for usage, the line's own description otherwise. */
function itemDescription(line: IssuedInvoiceLine): string {
  const free = line.freeQuota && line.freeQuota !== '0' ? ` (${line.freeQuota} free)` : '';
  const text = line.kind === 'usage' && line.metric ? `${line.description}: ${line.quantity} ${line.metric}${free}` : line.description || line.kind;
  return text.slice(0, descriptionLength);
}

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);
const day = (at: Date) => at.toISOString().slice(0, 10);
