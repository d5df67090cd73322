/**
 * A finalized Polaris invoice becomes a Stripe invoice with the same lines,
 * finalized, then emailed or charged as the organization's link says. Each
 * step's request carries an idempotency key made of the Polaris invoice id
 * and the step, and the steps done are kept in PostgreSQL: a redelivered
 * event, a retry after a crash or two deliveries at once make one Stripe
 * invoice, sent or charged once.
 */
import type { Logger } from '../../../shared/logger.js';
import { CollectionMethod } from './inputs.js';
import type { InvoiceLedger, IssuedInvoice, IssuedInvoiceLine } from './ledger.js';
import { toMinorUnits } from './money.js';
import { SendState, type PaymentsStore, type StripeInvoiceRecord } from './store.js';
import { describeStripeError, idempotencyKey, isPaymentRefusal, type Stripe, type StripeClient } from './stripe.js';

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

const finished: ReadonlySet<SendState> = new Set([SendState.Sent, SendState.Charged, SendState.ChargeFailed, SendState.Settled]);

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
    if (!this.stripe) return 'stripe_off';
    const stripe = await this.stripe();
    const invoice = await this.ledger.invoice(invoiceId);
    if (!invoice) return 'unknown_invoice';
    if (invoice.status !== 'finalized') return 'not_finalized';
    return this.store.withInvoiceLock(invoice.id, async (db) => {
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
