/** Billing's SQL. Only this file touches the `billing` schema. */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { Decimal } from '../../../shared/decimal.js';
import { enqueueEvents } from '../../../shared/events/index.js';
import type { Period } from '../../../shared/periods.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { invoiceUpdated } from './events.js';
import type { SetPlanInput } from './inputs.js';
import type { PricedInvoice, PricedLine } from './pricing.js';

/** A pool or a transaction: both run queries. */
type Queryable = Sql | TransactionSql;

export interface Plan {
  id: string;
  orgId: string;
  name: string;
  metric: string;
  unitPrice: Decimal;
  freeQuota: Decimal;
  currency: string;
}

export const InvoiceStatus = { Draft: 'draft', Finalized: 'finalized' } as const;
export type InvoiceStatus = (typeof InvoiceStatus)[keyof typeof InvoiceStatus];

export interface Invoice {
  id: string;
  orgId: string;
  periodStart: Date;
  periodEnd: Date;
  status: InvoiceStatus;
  amount: Decimal;
  currency: string;
  lines: PricedLine[];
  updatedAt: Date;
}

interface PlanRow {
  id: string;
  orgId: string;
  name: string;
  metric: string;
  unitPrice: string;
  freeQuota: string;
  currency: string;
}

interface InvoiceRow {
  id: string;
  orgId: string;
  periodStart: Date;
  periodEnd: Date;
  status: InvoiceStatus;
  amount: string;
  currency: string;
  updatedAt: Date;
}

interface LineRow {
  invoiceId: string;
  metric: string;
  quantity: string;
  freeQuota: string;
  billableQuantity: string;
  unitPrice: string;
  amount: string;
}

/** What an invoice write did. */
export interface InvoiceWrite {
  invoice: Invoice;
  /** False when nothing changed, or the invoice is finalized. */
  changed: boolean;
}

export class BillingStore {
  constructor(private readonly sql: Sql) {}

  /** Replaces the organization's plan for the metric. Returns the plan and the currency of its other plans, if any differs. */
  async upsertPlan(input: SetPlanInput): Promise<{ plan?: Plan; conflictingCurrency?: string }> {
    return this.sql.begin(async (tx) => {
      // Serialize plan changes per organization, so two currencies cannot slip in side by side.
      await tx`select pg_advisory_xact_lock(hashtext('polaris.billing.plans'), hashtext(${input.organizationId}))`;
      const [other] = await tx<{ currency: string }[]>`
        select currency from billing.plans where org_id = ${input.organizationId} and metric <> ${input.metric} and currency <> ${input.currency} limit 1`;
      if (other) return { conflictingCurrency: other.currency };
      const [row] = await tx<PlanRow[]>`
        insert into billing.plans (id, org_id, name, metric, unit_price, free_quota, currency)
        values (${uuidv7()}, ${input.organizationId}, ${input.name}, ${input.metric}, ${input.unitPrice.toString()}, ${input.freeQuota.toString()}, ${input.currency})
        on conflict (org_id, metric) do update
          set name = excluded.name, unit_price = excluded.unit_price, free_quota = excluded.free_quota,
              currency = excluded.currency, updated_at = now()
        returning id, org_id, name, metric, unit_price::text, free_quota::text, currency`;
      return { plan: toPlan(row!) };
    });
  }

  async listPlans(orgId: string): Promise<Plan[]> {
    const rows = await this.sql<PlanRow[]>`
      select id, org_id, name, metric, unit_price::text, free_quota::text, currency
      from billing.plans where org_id = ${orgId} order by metric`;
    return rows.map(toPlan);
  }

  /**
   * Stores the priced invoice for (organization, period): creates it, or
   * updates the draft when its lines or amount differ. A finalized invoice is
   * never changed. A change enqueues invoice.updated in the same transaction.
   */
  async writeInvoice(orgId: string, period: Period, currency: string, priced: PricedInvoice): Promise<InvoiceWrite> {
    return this.sql.begin(async (tx) => {
      const [created] = await tx`
        insert into billing.invoices (id, org_id, period_start, period_end, status, amount, currency)
        values (${uuidv7()}, ${orgId}, ${period.start}, ${period.end}, 'draft', ${priced.amount.toString()}, ${currency})
        on conflict (org_id, period_start, period_end) do nothing
        returning id`;
      const [row] = await tx<InvoiceRow[]>`
        select id, org_id, period_start, period_end, status, amount::text, currency, updated_at from billing.invoices
        where org_id = ${orgId} and period_start = ${period.start} and period_end = ${period.end}
        for update`;
      const current = await this.withLines(tx, row!);
      if (current.status === InvoiceStatus.Finalized) return { invoice: current, changed: false };
      if (!created && sameContent(current, currency, priced)) return { invoice: current, changed: false };

      const [updated] = await tx<InvoiceRow[]>`
        update billing.invoices set amount = ${priced.amount.toString()}, currency = ${currency}, updated_at = clock_timestamp()
        where id = ${current.id}
        returning id, org_id, period_start, period_end, status, amount::text, currency, updated_at`;
      await tx`delete from billing.invoice_lines where invoice_id = ${current.id}`;
      if (priced.lines.length > 0) {
        await tx`insert into billing.invoice_lines ${tx(
          priced.lines.map((line) => ({
            invoiceId: current.id,
            metric: line.metric,
            quantity: line.quantity.toString(),
            freeQuota: line.freeQuota.toString(),
            billableQuantity: line.billableQuantity.toString(),
            unitPrice: line.unitPrice.toString(),
            amount: line.amount.toString(),
          })),
        )}`;
      }
      const invoice: Invoice = { ...toInvoice(updated!), lines: priced.lines };
      await enqueueEvents(tx, 'billing', [invoiceUpdated(invoice)]);
      return { invoice, changed: true };
    });
  }

  /** Freezes an invoice; undefined when it does not exist. Finalizing twice changes nothing. */
  async finalizeInvoice(id: string): Promise<InvoiceWrite | undefined> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<InvoiceRow[]>`
        update billing.invoices set status = 'finalized', finalized_at = now(), updated_at = clock_timestamp()
        where id = ${id} and status = 'draft'
        returning id, org_id, period_start, period_end, status, amount::text, currency, updated_at`;
      if (row) {
        const invoice = await this.withLines(tx, row);
        await enqueueEvents(tx, 'billing', [invoiceUpdated(invoice)]);
        return { invoice, changed: true };
      }
      const existing = await this.findInvoice(id, tx);
      return existing && { invoice: existing, changed: false };
    });
  }

  async findInvoice(id: string, sql: Queryable = this.sql): Promise<Invoice | undefined> {
    const [row] = await sql<InvoiceRow[]>`
      select id, org_id, period_start, period_end, status, amount::text, currency, updated_at from billing.invoices where id = ${id}`;
    return row && this.withLines(sql, row);
  }

  /** The organization's invoices, newest period first, with their lines. */
  async listInvoices(orgId: string): Promise<Invoice[]> {
    const rows = await this.sql<InvoiceRow[]>`
      select id, org_id, period_start, period_end, status, amount::text, currency, updated_at from billing.invoices
      where org_id = ${orgId} order by period_start desc, period_end desc`;
    if (rows.length === 0) return [];
    const lines = await this.sql<LineRow[]>`
      select invoice_id, metric, quantity::text, free_quota::text, billable_quantity::text, unit_price::text, amount::text
      from billing.invoice_lines where invoice_id = any(${rows.map((row) => row.id)}::uuid[]) order by metric`;
    return rows.map((row) => ({ ...toInvoice(row), lines: lines.filter((line) => line.invoiceId === row.id).map(toLine) }));
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }

  private async withLines(sql: Queryable, row: InvoiceRow): Promise<Invoice> {
    const lines = await sql<LineRow[]>`
      select invoice_id, metric, quantity::text, free_quota::text, billable_quantity::text, unit_price::text, amount::text
      from billing.invoice_lines where invoice_id = ${row.id} order by metric`;
    return { ...toInvoice(row), lines: lines.map(toLine) };
  }
}

function sameContent(invoice: Invoice, currency: string, priced: PricedInvoice): boolean {
  const key = (lines: readonly PricedLine[]) =>
    lines.map((l) => [l.metric, l.quantity, l.freeQuota, l.billableQuantity, l.unitPrice, l.amount].map(String).join('|')).join('\n');
  return invoice.currency === currency && invoice.amount.cmp(priced.amount) === 0 && key(invoice.lines) === key(priced.lines);
}

function toPlan(row: PlanRow): Plan {
  return { ...row, unitPrice: Decimal.of(row.unitPrice), freeQuota: Decimal.of(row.freeQuota) };
}

function toInvoice(row: InvoiceRow): Omit<Invoice, 'lines'> {
  return { ...row, amount: Decimal.of(row.amount) };
}

function toLine(row: LineRow): PricedLine {
  return {
    metric: row.metric,
    quantity: Decimal.of(row.quantity),
    freeQuota: Decimal.of(row.freeQuota),
    billableQuantity: Decimal.of(row.billableQuantity),
    unitPrice: Decimal.of(row.unitPrice),
    amount: Decimal.of(row.amount),
  };
}
