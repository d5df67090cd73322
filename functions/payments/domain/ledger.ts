/** What payments needs of Billing, which owns invoices: reached over gRPC (see ../context.ts). */

/** A payment status Billing keeps for an issued invoice. */
export type PaymentReport = 'paid' | 'payment_failed' | 'uncollectible';

export interface IssuedInvoiceLine {
  /** usage, fee, minimum, adjustment or credit. */
  kind: string;
  description: string;
  /** Usage lines: the metric; '' otherwise. */
  metric: string;
  /** Exact decimals. */
  quantity: string;
  freeQuota: string;
  /** Exact decimal in the invoice's currency, rounded to its minor unit; negative for credits. */
  amount: string;
  /** Adjustments and credits: the period the line belongs to. */
  forPeriod?: { start: Date; end: Date };
}

/** An invoice as Billing answers it. */
export interface IssuedInvoice {
  id: string;
  orgId: string;
  /** draft, finalized or void. */
  status: string;
  /** Set once finalized. */
  number: string;
  /** ISO 4217. */
  currency: string;
  amount: string;
  periodStart: Date;
  periodEnd: Date;
  lines: IssuedInvoiceLine[];
}

export interface InvoiceLedger {
  /** The invoice; undefined when Billing knows none by that id. */
  invoice(id: string): Promise<IssuedInvoice | undefined>;
  /** Reports a payment status; answers the status Billing keeps (it moves forward only) and whether this report changed it. */
  setPaymentStatus(id: string, paymentStatus: PaymentReport): Promise<{ paymentStatus: string; changed: boolean }>;
}
