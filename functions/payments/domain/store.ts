/** The payments service's SQL. Only this file touches the `payments` schema. */
import type { ReservedSql, TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import type { CollectionMethod } from './inputs.js';

/** A pool, a transaction or a reserved connection: all run queries. */
type Queryable = Sql | TransactionSql | ReservedSql;

/** An organization's Stripe customer and how its invoices are collected. */
export interface CustomerLink {
  orgId: string;
  customerId: string;
  collectionMethod: CollectionMethod;
  /** send_invoice only. */
  daysUntilDue?: number;
  updatedAt: Date;
}

/** How far a finalized invoice got on its way to Stripe. */
export const SendState = {
  /** Made, or being made, in Stripe: lines and finalization left. */
  Pending: 'pending',
  /** Finalized in Stripe; to be sent or charged. */
  Finalized: 'finalized',
  /** Emailed to the customer (send_invoice). */
  Sent: 'sent',
  /** Charged (charge_automatically). */
  Charged: 'charged',
  /** The charge was declined or impossible; Stripe keeps the invoice open and reports by webhook. */
  ChargeFailed: 'charge_failed',
  /** Stripe had nothing to collect (a total of zero or less). */
  Settled: 'settled',
  /** Voided in Polaris: its Stripe invoice voided, its Stripe draft deleted, or nothing had reached Stripe. */
  Voided: 'voided',
} as const;
export type SendState = (typeof SendState)[keyof typeof SendState];

/** A finalized Polaris invoice on its way to Stripe, with the customer and method of its first attempt. */
export interface StripeInvoiceRecord {
  invoiceId: string;
  orgId: string;
  customerId: string;
  collectionMethod: CollectionMethod;
  daysUntilDue?: number;
  stripeInvoiceId?: string;
  state: SendState;
  /** What Stripe's webhooks last reported. */
  paymentStatus?: string;
  attempts: number;
  lastError?: string;
}

interface CustomerRow {
  orgId: string;
  customerId: string;
  collectionMethod: CollectionMethod;
  daysUntilDue: number | null;
  updatedAt: Date;
}

interface InvoiceRow {
  invoiceId: string;
  orgId: string;
  customerId: string;
  collectionMethod: CollectionMethod;
  daysUntilDue: number | null;
  stripeInvoiceId: string | null;
  state: SendState;
  paymentStatus: string | null;
  attempts: number;
  lastError: string | null;
}

const invoiceColumns = 'invoice_id, org_id, customer_id, collection_method, days_until_due, stripe_invoice_id, state, payment_status, attempts, last_error';

/** The longest error kept on an invoice: enough to say what Stripe answered. */
const lastErrorLength = 500;

export class PaymentsStore {
  constructor(private readonly sql: Sql) {}

  async customer(orgId: string): Promise<CustomerLink | undefined> {
    const [row] = await this.sql<CustomerRow[]>`
      select org_id, customer_id, collection_method, days_until_due, updated_at from payments.stripe_customers where org_id = ${orgId}`;
    return row && toLink(row);
  }

  async saveCustomer(link: Omit<CustomerLink, 'updatedAt'>): Promise<CustomerLink> {
    const [row] = await this.sql<CustomerRow[]>`
      insert into payments.stripe_customers (org_id, customer_id, collection_method, days_until_due)
      values (${link.orgId}, ${link.customerId}, ${link.collectionMethod}, ${link.daysUntilDue ?? null})
      on conflict (org_id) do update set customer_id = excluded.customer_id, collection_method = excluded.collection_method,
        days_until_due = excluded.days_until_due, updated_at = now()
      returning org_id, customer_id, collection_method, days_until_due, updated_at`;
    return toLink(row!);
  }

  /**
   * Runs `work` holding the invoice's lock, so one process at a time takes
   * an invoice to Stripe: a session lock on a connection reserved for the
   * work, which `work` runs its queries on. They commit one by one, so a
   * webhook about the Stripe invoice finds it as soon as it exists; and the
   * work needs no second connection, so busy pools cannot deadlock.
   */
  async withInvoiceLock<T>(invoiceId: string, work: (db: Queryable) => Promise<T>): Promise<T> {
    const db = await this.sql.reserve();
    try {
      await db`select pg_advisory_lock(hashtext('polaris.payments.invoice'), hashtext(${invoiceId}))`;
      try {
        return await work(db);
      } finally {
        await db`select pg_advisory_unlock(hashtext('polaris.payments.invoice'), hashtext(${invoiceId}))`;
      }
    } finally {
      db.release();
    }
  }

  async invoice(db: Queryable, invoiceId: string): Promise<StripeInvoiceRecord | undefined> {
    const [row] = await db<InvoiceRow[]>`select ${db.unsafe(invoiceColumns)} from payments.stripe_invoices where invoice_id = ${invoiceId}`;
    return row && toRecord(row);
  }

  /** The invoice's record as its first attempt starts it, with the link's customer and method; the existing one if there is one. */
  async startInvoice(db: Queryable, invoiceId: string, link: CustomerLink): Promise<StripeInvoiceRecord> {
    await db`
      insert into payments.stripe_invoices (invoice_id, org_id, customer_id, collection_method, days_until_due)
      values (${invoiceId}, ${link.orgId}, ${link.customerId}, ${link.collectionMethod}, ${link.daysUntilDue ?? null})
      on conflict (invoice_id) do nothing`;
    return (await this.invoice(db, invoiceId))!;
  }

  async countAttempt(db: Queryable, invoiceId: string): Promise<void> {
    await db`update payments.stripe_invoices set attempts = attempts + 1, updated_at = now() where invoice_id = ${invoiceId}`;
  }

  async setStripeInvoice(db: Queryable, invoiceId: string, stripeInvoiceId: string): Promise<void> {
    await db`update payments.stripe_invoices set stripe_invoice_id = ${stripeInvoiceId}, updated_at = now() where invoice_id = ${invoiceId}`;
  }

  async setState(db: Queryable, invoiceId: string, state: SendState, error?: string): Promise<void> {
    await db`
      update payments.stripe_invoices set state = ${state}, last_error = ${error?.slice(0, lastErrorLength) ?? null}, updated_at = now()
      where invoice_id = ${invoiceId}`;
  }

  async recordError(db: Queryable, invoiceId: string, error: string): Promise<void> {
    await db`update payments.stripe_invoices set last_error = ${error.slice(0, lastErrorLength)}, updated_at = now() where invoice_id = ${invoiceId}`;
  }

  async invoiceByStripeId(stripeInvoiceId: string): Promise<StripeInvoiceRecord | undefined> {
    const [row] = await this.sql<InvoiceRow[]>`select ${this.sql.unsafe(invoiceColumns)} from payments.stripe_invoices where stripe_invoice_id = ${stripeInvoiceId}`;
    return row && toRecord(row);
  }

  async hasEvent(eventId: string): Promise<boolean> {
    const [row] = await this.sql<{ found: boolean }[]>`select exists (select 1 from payments.stripe_events where event_id = ${eventId}) as found`;
    return row!.found;
  }

  /** Records a webhook event as applied, with what Stripe last reported of its invoice. */
  async recordEvent(event: { eventId: string; type: string; stripeInvoiceId: string; invoiceId: string; paymentStatus: string; changed: boolean }): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`
        insert into payments.stripe_events (event_id, type, stripe_invoice_id, invoice_id, changed)
        values (${event.eventId}, ${event.type}, ${event.stripeInvoiceId}, ${event.invoiceId}, ${event.changed})
        on conflict (event_id) do nothing`;
      await tx`update payments.stripe_invoices set payment_status = ${event.paymentStatus}, updated_at = now() where invoice_id = ${event.invoiceId}`;
    });
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }
}

function toLink(row: CustomerRow): CustomerLink {
  return { orgId: row.orgId, customerId: row.customerId, collectionMethod: row.collectionMethod, daysUntilDue: row.daysUntilDue ?? undefined, updatedAt: row.updatedAt };
}

function toRecord(row: InvoiceRow): StripeInvoiceRecord {
  return {
    invoiceId: row.invoiceId,
    orgId: row.orgId,
    customerId: row.customerId,
    collectionMethod: row.collectionMethod,
    daysUntilDue: row.daysUntilDue ?? undefined,
    stripeInvoiceId: row.stripeInvoiceId ?? undefined,
    state: row.state,
    paymentStatus: row.paymentStatus ?? undefined,
    attempts: row.attempts,
    lastError: row.lastError ?? undefined,
  };
}
