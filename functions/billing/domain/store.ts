/** Billing's SQL. Only this file touches the `billing` schema. */
import postgres, { type TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { Decimal } from '../../../shared/decimal.js';
import { enqueueEvents, EventType } from '../../../shared/events/index.js';
import type { Period } from '../../../shared/periods.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { invoiceEvent } from './events.js';
import { paymentEventType, type PaymentStatus } from './payment-status.js';
import { canonicalWhere, whereKey, type BilledLine, type BillingTerms, type InvoiceLine, type LineKind, type PlanVersion, type PropertyFilter } from './period-pricing.js';
import type { Price, PriceTier } from './price-models.js';

/** A pool or a transaction: both run queries. */
type Queryable = Sql | TransactionSql;

export const InvoiceStatus = { Draft: 'draft', Finalized: 'finalized', Void: 'void' } as const;
export type InvoiceStatus = (typeof InvoiceStatus)[keyof typeof InvoiceStatus];

export interface Invoice {
  id: string;
  orgId: string;
  periodStart: Date;
  periodEnd: Date;
  status: InvoiceStatus;
  amount: Decimal;
  currency: string;
  lines: InvoiceLine[];
  updatedAt: Date;
  /** Set when finalized: unique per organization, without gaps. */
  number?: string;
  finalizedAt?: Date;
  voidReason?: string;
  /** What a payment provider last reported of it (finalized and void invoices only); undefined: nothing yet. */
  paymentStatus?: PaymentStatus;
}

/** What an invoice write did. */
export interface InvoiceWrite {
  invoice: Invoice;
  /** False when nothing changed, or the invoice is not a draft. */
  changed: boolean;
}

interface VersionRow {
  id: string;
  orgId: string;
  name: string;
  metric: string;
  whereKey: Record<string, string[]>;
  effectiveFrom: Date;
  model: Price['model'];
  unitPrice: string | null;
  freeQuota: string | null;
  tiers: { upTo: string | null; unitPrice: string; flatPrice: string }[] | null;
  packageSize: string | null;
  packagePrice: string | null;
  currency: string;
  createdAt: Date;
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
  number: string | null;
  finalizedAt: Date | null;
  voidReason: string | null;
  paymentStatus: PaymentStatus | null;
}

interface LineRow {
  invoiceId: string;
  kind: LineKind;
  lineKey: string;
  metric: string | null;
  whereKey: Record<string, string[]>;
  description: string;
  quantity: string;
  freeQuota: string;
  billableQuantity: string;
  unitPrice: string;
  amount: string;
  forPeriodStart: Date | null;
  forPeriodEnd: Date | null;
  forInvoiceId: string | null;
}

const invoiceColumns = 'id, org_id, period_start, period_end, status, amount::text, currency, updated_at, number, finalized_at, void_reason, payment_status';
const lineColumns =
  'invoice_id, kind, line_key, metric, where_key, description, quantity::text, free_quota::text, billable_quantity::text, unit_price::text, amount::text, for_period_start, for_period_end, for_invoice_id';
const versionColumns =
  'id, org_id, name, metric, where_key, effective_from, model, unit_price::text, free_quota::text, tiers, package_size::text, package_price::text, currency, created_at';

export class BillingStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Runs `work` in a transaction that holds the organization's billing lock:
   * plans, terms and invoices of one organization change one writer at a time,
   * so a draft, a close and a void never interleave.
   */
  withOrganization<T>(orgId: string, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('polaris.billing.organization'), hashtext(${orgId}))`;
      return work(tx);
    }) as Promise<T>;
  }

  async listVersions(orgId: string, sql: Queryable = this.sql): Promise<PlanVersion[]> {
    const rows = await sql<VersionRow[]>`
      select ${sql.unsafe(versionColumns)} from billing.price_versions where org_id = ${orgId}
      order by metric, where_key::text, effective_from desc`;
    return rows.map(toVersion);
  }

  async saveVersion(tx: Queryable, version: PlanVersion): Promise<PlanVersion> {
    const price = version.price;
    const [row] = await tx<VersionRow[]>`
      insert into billing.price_versions (id, org_id, name, metric, where_key, effective_from, model, unit_price, free_quota, tiers, package_size, package_price, currency)
      values (${version.id}, ${version.orgId}, ${version.name}, ${version.metric}, ${whereKey(version.where)}::text::jsonb, ${version.effectiveFrom},
        ${price.model}, ${'unitPrice' in price ? price.unitPrice.toString() : null}, ${'freeQuota' in price ? price.freeQuota.toString() : null},
        ${'tiers' in price ? JSON.stringify(price.tiers.map(tierJson)) : null}::text::jsonb,
        ${'packageSize' in price ? price.packageSize.toString() : null}, ${'packagePrice' in price ? price.packagePrice.toString() : null}, ${version.currency})
      on conflict (org_id, metric, where_key, effective_from) do update set
        name = excluded.name, model = excluded.model, unit_price = excluded.unit_price, free_quota = excluded.free_quota,
        tiers = excluded.tiers, package_size = excluded.package_size, package_price = excluded.package_price,
        currency = excluded.currency, created_at = now()
      returning ${tx.unsafe(versionColumns)}`;
    return toVersion(row!);
  }

  /** The currency the organization bills in: its prices', else its terms', else undefined. */
  async currencyOf(tx: Queryable, orgId: string): Promise<string | undefined> {
    const [row] = await tx<{ currency: string }[]>`
      select currency from billing.price_versions where org_id = ${orgId}
      union all select currency from billing.billing_terms where org_id = ${orgId} and currency is not null
      limit 1`;
    return row?.currency;
  }

  /** Every version of the organization's terms, oldest first. */
  async termsHistory(orgId: string, sql: Queryable = this.sql): Promise<BillingTerms[]> {
    const rows = await sql<{ effectiveFrom: Date; timeZone: string; recurringFee: string; recurringFeeName: string; minimum: string; currency: string | null }[]>`
      select effective_from, time_zone, recurring_fee::text, recurring_fee_name, minimum::text, currency
      from billing.billing_terms where org_id = ${orgId} order by effective_from`;
    return rows.map((row) => ({
      orgId,
      effectiveFrom: row.effectiveFrom,
      timeZone: row.timeZone,
      recurringFee: Decimal.of(row.recurringFee),
      recurringFeeName: row.recurringFeeName,
      minimum: Decimal.of(row.minimum),
      currency: row.currency ?? undefined,
    }));
  }

  /** Saves terms from `terms.effectiveFrom` on, and sets the time zone and currency on every version (they are the organization's, not a period's). */
  async saveTerms(tx: Queryable, terms: BillingTerms): Promise<void> {
    await tx`
      insert into billing.billing_terms (org_id, effective_from, time_zone, recurring_fee, recurring_fee_name, minimum, currency)
      values (${terms.orgId}, ${terms.effectiveFrom}, ${terms.timeZone}, ${terms.recurringFee.toString()}, ${terms.recurringFeeName}, ${terms.minimum.toString()}, ${terms.currency ?? null})
      on conflict (org_id, effective_from) do update set recurring_fee = excluded.recurring_fee,
        recurring_fee_name = excluded.recurring_fee_name, minimum = excluded.minimum, updated_at = now()`;
    await tx`update billing.billing_terms set time_zone = ${terms.timeZone}, currency = ${terms.currency ?? null} where org_id = ${terms.orgId}`;
  }

  /** The organization's billing time zone (its terms', the same in every version), else UTC. */
  async timeZoneOf(sql: Queryable, orgId: string): Promise<string> {
    const [row] = await sql<{ timeZone: string }[]>`select time_zone from billing.billing_terms where org_id = ${orgId} limit 1`;
    return row?.timeZone ?? 'UTC';
  }

  /** The amount of the organization's invoice for the period; undefined when it has none. */
  async invoiceAmount(sql: Queryable, orgId: string, period: Period): Promise<Decimal | undefined> {
    const [row] = await sql<{ amount: string }[]>`
      select amount::text from billing.invoices where org_id = ${orgId} and period_start = ${period.start} and period_end = ${period.end}`;
    return row && Decimal.of(row.amount);
  }

  async hasInvoices(tx: Queryable, orgId: string): Promise<boolean> {
    const [row] = await tx<{ found: boolean }[]>`select exists (select 1 from billing.invoices where org_id = ${orgId}) as found`;
    return row!.found;
  }

  async invoiceFor(tx: Queryable, orgId: string, period: Period): Promise<Invoice | undefined> {
    const [row] = await tx<InvoiceRow[]>`
      select ${tx.unsafe(invoiceColumns)} from billing.invoices
      where org_id = ${orgId} and period_start = ${period.start} and period_end = ${period.end} for update`;
    return row && this.withLines(tx, row);
  }

  async findInvoice(id: string, sql: Queryable = this.sql): Promise<Invoice | undefined> {
    const [row] = await sql<InvoiceRow[]>`select ${sql.unsafe(invoiceColumns)} from billing.invoices where id = ${id}`;
    return row && this.withLines(sql, row);
  }

  /** The organization's drafts, oldest period first. */
  async drafts(tx: Queryable, orgId: string): Promise<Invoice[]> {
    const rows = await tx<InvoiceRow[]>`
      select ${tx.unsafe(invoiceColumns)} from billing.invoices where org_id = ${orgId} and status = 'draft' order by period_start, period_end`;
    return Promise.all(rows.map((row) => this.withLines(tx, row)));
  }

  /** Drafts whose period ended at or before `cutoff`, by organization then period. */
  async draftsEndedBy(cutoff: Date): Promise<{ id: string; orgId: string }[]> {
    return this.sql<{ id: string; orgId: string }[]>`
      select id, org_id from billing.invoices where status = 'draft' and period_end <= ${cutoff} order by org_id, period_start`;
  }

  /** Organizations with prices or terms but no invoice for the period holding `at`: their period began unbilled. */
  async billedOrganizationsWithoutInvoiceAt(at: Date): Promise<string[]> {
    const rows = await this.sql<{ orgId: string }[]>`
      select org_id from (select org_id from billing.price_versions union select org_id from billing.billing_terms) o
      where not exists (select 1 from billing.invoices i where i.org_id = o.org_id and i.period_start <= ${at} and i.period_end > ${at})`;
    return rows.map((row) => row.orgId);
  }

  /**
   * Stores a draft's lines: creates the invoice, or rewrites the draft when
   * its lines differ. A finalized or voided invoice is never changed.
   */
  async writeDraft(tx: TransactionSql, orgId: string, period: Period, currency: string, lines: readonly InvoiceLine[]): Promise<InvoiceWrite> {
    const amount = lines.reduce((total, line) => total.add(line.amount), Decimal.zero);
    const [created] = await tx<InvoiceRow[]>`
      insert into billing.invoices (id, org_id, period_start, period_end, status, amount, currency)
      values (${uuidv7()}, ${orgId}, ${period.start}, ${period.end}, 'draft', ${amount.toString()}, ${currency})
      on conflict (org_id, period_start, period_end) do nothing
      returning ${tx.unsafe(invoiceColumns)}`;
    const current = created ? toInvoice(created, []) : (await this.invoiceFor(tx, orgId, period))!;
    if (current.status !== InvoiceStatus.Draft) return { invoice: current, changed: false };
    if (!created && current.currency === currency && sameLines(current.lines, lines)) return { invoice: current, changed: false };

    const [updated] = await tx<InvoiceRow[]>`
      update billing.invoices set amount = ${amount.toString()}, currency = ${currency}, updated_at = clock_timestamp()
      where id = ${current.id} returning ${tx.unsafe(invoiceColumns)}`;
    await tx`delete from billing.invoice_lines where invoice_id = ${current.id}`;
    await this.insertLines(tx, current.id, lines);
    const invoice: Invoice = toInvoice(updated!, [...lines]);
    await enqueueEvents(tx, 'billing', [
      ...(created ? [invoiceEvent(EventType.InvoiceCreated, invoice)] : []),
      invoiceEvent(EventType.InvoiceUpdated, invoice),
    ]);
    return { invoice, changed: true };
  }

  /** Freezes a draft and gives it the organization's next number, in the same transaction: no gaps. */
  async finalize(tx: TransactionSql, invoice: Invoice): Promise<Invoice> {
    const [{ lastNumber }] = await tx<[{ lastNumber: string }]>`
      insert into billing.invoice_counters (org_id, last_number) values (${invoice.orgId}, 1)
      on conflict (org_id) do update set last_number = billing.invoice_counters.last_number + 1
      returning last_number::text`;
    const number = `INV-${lastNumber.padStart(6, '0')}`;
    const [row] = await tx<InvoiceRow[]>`
      update billing.invoices set status = 'finalized', number = ${number}, finalized_at = now(), updated_at = clock_timestamp()
      where id = ${invoice.id} and status = 'draft' returning ${tx.unsafe(invoiceColumns)}`;
    const finalized = toInvoice(row!, invoice.lines);
    await enqueueEvents(tx, 'billing', [invoiceEvent(EventType.InvoiceFinalized, finalized), invoiceEvent(EventType.InvoiceUpdated, finalized)]);
    return finalized;
  }

  async void(tx: TransactionSql, invoice: Invoice, reason: string): Promise<Invoice> {
    const [row] = await tx<InvoiceRow[]>`
      update billing.invoices set status = 'void', voided_at = now(), void_reason = ${reason}, updated_at = clock_timestamp()
      where id = ${invoice.id} and status = 'finalized' returning ${tx.unsafe(invoiceColumns)}`;
    const voided = toInvoice(row!, invoice.lines);
    await enqueueEvents(tx, 'billing', [invoiceEvent(EventType.InvoiceVoided, voided), invoiceEvent(EventType.InvoiceUpdated, voided)]);
    return voided;
  }

  /** Records what a payment provider reports, and announces it with the invoice's `updated` event, in the caller's transaction. */
  async setPaymentStatus(tx: TransactionSql, invoice: Invoice, paymentStatus: PaymentStatus): Promise<Invoice> {
    const [row] = await tx<InvoiceRow[]>`
      update billing.invoices set payment_status = ${paymentStatus}, payment_status_at = now(), updated_at = clock_timestamp()
      where id = ${invoice.id} returning ${tx.unsafe(invoiceColumns)}`;
    const updated = toInvoice(row!, invoice.lines);
    await enqueueEvents(tx, 'billing', [invoiceEvent(paymentEventType[paymentStatus], updated), invoiceEvent(EventType.InvoiceUpdated, updated)]);
    return updated;
  }

  /** What finalized and voided invoices billed for a period: its own invoice's lines, and lines elsewhere that name it. */
  async billedFor(tx: Queryable, orgId: string, period: Period): Promise<BilledLine[]> {
    return (
      await tx<{ lineKey: string; amount: string }[]>`
        select l.line_key, l.amount::text from billing.invoice_lines l join billing.invoices i on i.id = l.invoice_id
        where i.org_id = ${orgId} and i.status in ('finalized', 'void')
          and coalesce(l.for_period_start, i.period_start) = ${period.start}
          and coalesce(l.for_period_end, i.period_end) = ${period.end}`
    ).map((row) => ({ key: row.lineKey, amount: Decimal.of(row.amount) }));
  }

  /** Voided invoices that charged something and whose credit is on no finalized invoice yet. */
  async uncreditedVoids(tx: Queryable, orgId: string): Promise<Invoice[]> {
    const rows = await tx<InvoiceRow[]>`
      select ${tx.unsafe(invoiceColumns)} from billing.invoices v
      where v.org_id = ${orgId} and v.status = 'void'
        and exists (select 1 from billing.invoice_lines l where l.invoice_id = v.id and l.amount <> 0)
        and not exists (
        select 1 from billing.invoice_lines l join billing.invoices i on i.id = l.invoice_id
        where l.for_invoice_id = v.id and l.kind = 'credit' and i.status in ('finalized', 'void'))
      order by v.period_start`;
    return Promise.all(rows.map((row) => this.withLines(tx, row)));
  }

  /** The periods of finalized and voided invoices starting at or after `from`. */
  async closedPeriodsFrom(tx: Queryable, orgId: string, from: Date): Promise<Period[]> {
    const rows = await tx<{ periodStart: Date; periodEnd: Date }[]>`
      select period_start, period_end from billing.invoices where org_id = ${orgId} and status <> 'draft' and period_start >= ${from}`;
    return rows.map((row) => ({ start: row.periodStart, end: row.periodEnd }));
  }

  async flagForSettlement(tx: Queryable, orgId: string, periods: readonly Period[]): Promise<void> {
    for (const period of periods) {
      await tx`
        insert into billing.periods_to_settle (org_id, period_start, period_end) values (${orgId}, ${period.start}, ${period.end})
        on conflict do nothing`;
    }
  }

  async periodsToSettle(tx: Queryable, orgId: string): Promise<Period[]> {
    const rows = await tx<{ periodStart: Date; periodEnd: Date }[]>`
      select period_start, period_end from billing.periods_to_settle where org_id = ${orgId} order by period_start`;
    return rows.map((row) => ({ start: row.periodStart, end: row.periodEnd }));
  }

  async settled(tx: Queryable, orgId: string, periods: readonly Period[]): Promise<void> {
    if (periods.length === 0) return;
    await tx`delete from billing.periods_to_settle where org_id = ${orgId} and period_start = any(${periods.map((p) => p.start.toISOString())}::timestamptz[])`;
  }

  /**
   * The organization's invoices, newest period first, with their lines.
   * One statement, so one snapshot: an invoice and its lines as they were
   * together (two statements could pair a draft's old amount with the lines
   * of its regeneration), in one round trip.
   */
  async listInvoices(orgId: string): Promise<Invoice[]> {
    const rows = await this.sql<(InvoiceRow & { lines: Record<string, unknown>[] })[]>`
      select ${this.sql.unsafe(invoiceColumns)},
        coalesce((select json_agg(line order by line.position) from (
          select ${this.sql.unsafe(lineColumns)}, position from billing.invoice_lines where invoice_id = i.id) as line), '[]') as lines
      from billing.invoices i where org_id = ${orgId} order by period_start desc, period_end desc`;
    return rows.map((row) => toInvoice(row, row.lines.map((line) => toLine(lineRowOfJson(line)))));
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }

  private async insertLines(tx: TransactionSql, invoiceId: string, lines: readonly InvoiceLine[]): Promise<void> {
    if (lines.length === 0) return;
    await tx`insert into billing.invoice_lines ${tx(
      lines.map((line, position) => ({
        invoiceId,
        position,
        kind: line.kind,
        lineKey: line.key,
        metric: line.metric ?? null,
        whereKey: JSON.parse(whereKey(line.where)) as Record<string, string[]>, // an object: postgres.js writes it as JSON
        description: line.description,
        quantity: line.quantity.toString(),
        freeQuota: line.freeQuota.toString(),
        billableQuantity: line.billableQuantity.toString(),
        unitPrice: line.unitPrice.toString(),
        amount: line.amount.toString(),
        forPeriodStart: line.forPeriod?.start ?? null,
        forPeriodEnd: line.forPeriod?.end ?? null,
        forInvoiceId: line.forInvoiceId ?? null,
      })),
    )}`;
  }

  private async withLines(sql: Queryable, row: InvoiceRow): Promise<Invoice> {
    const lines = await sql<LineRow[]>`select ${sql.unsafe(lineColumns)} from billing.invoice_lines where invoice_id = ${row.id} order by position`;
    return toInvoice(row, lines.map(toLine));
  }
}

function sameLines(a: readonly InvoiceLine[], b: readonly InvoiceLine[]): boolean {
  const key = (lines: readonly InvoiceLine[]) =>
    lines
      .map((l) =>
        [l.kind, l.key, l.description, l.quantity, l.freeQuota, l.billableQuantity, l.unitPrice, l.amount, l.forPeriod?.start.toISOString(), l.forInvoiceId]
          .map(String)
          .join('|'),
      )
      .join('\n');
  return key(a) === key(b);
}

const tierJson = (tier: PriceTier) => ({ upTo: tier.upTo?.toString() ?? null, unitPrice: tier.unitPrice.toString(), flatPrice: tier.flatPrice.toString() });

function whereOf(key: Record<string, string[]>): PropertyFilter[] {
  return canonicalWhere(Object.entries(key).map(([k, values]) => ({ key: k, values })));
}

function toVersion(row: VersionRow): PlanVersion {
  const price: Price =
    row.model === 'PER_UNIT'
      ? { model: row.model, unitPrice: Decimal.of(row.unitPrice!), freeQuota: Decimal.of(row.freeQuota!) }
      : row.model === 'PACKAGE'
        ? { model: row.model, packageSize: Decimal.of(row.packageSize!), packagePrice: Decimal.of(row.packagePrice!), freeQuota: Decimal.of(row.freeQuota ?? '0') }
        : {
            model: row.model,
            tiers: row.tiers!.map((t) => ({ upTo: t.upTo === null ? undefined : Decimal.of(t.upTo), unitPrice: Decimal.of(t.unitPrice), flatPrice: Decimal.of(t.flatPrice) })),
          };
  return {
    id: row.id,
    orgId: row.orgId,
    name: row.name,
    metric: row.metric,
    where: whereOf(row.whereKey),
    price,
    currency: row.currency,
    effectiveFrom: row.effectiveFrom,
    createdAt: row.createdAt,
  };
}

/**
 * An invoice from its row and lines, in one literal: on Node 20 a literal that
 * adds keys after a spread (`{ ...invoice, lines }`) gets a hidden class of
 * its own each time (scripts/bench/LOG.md).
 */
function toInvoice(row: InvoiceRow, lines: Invoice['lines']): Invoice {
  return {
    id: row.id,
    orgId: row.orgId,
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    status: row.status,
    amount: Decimal.of(row.amount),
    currency: row.currency,
    updatedAt: row.updatedAt,
    number: row.number ?? undefined,
    finalizedAt: row.finalizedAt ?? undefined,
    voidReason: row.voidReason ?? undefined,
    paymentStatus: row.paymentStatus ?? undefined,
    lines,
  };
}

/** A line as `json_agg` gives it (snake_case keys, timestamps as text) in the shape the driver gives a row. */
function lineRowOfJson(json: Record<string, unknown>): LineRow {
  const row = Object.fromEntries(Object.entries(json).map(([key, value]) => [postgres.toCamel(key), value]));
  return { ...row, forPeriodStart: instantOf(row.forPeriodStart), forPeriodEnd: instantOf(row.forPeriodEnd) } as LineRow;
}

/** A timestamp `json_agg` gave as text, as a Date; null for none. */
function instantOf(value: unknown): Date | null {
  return typeof value === 'string' ? new Date(value) : null;
}

function toLine(row: LineRow): InvoiceLine {
  return {
    kind: row.kind,
    key: row.lineKey,
    metric: row.metric ?? undefined,
    where: whereOf(row.whereKey),
    description: row.description,
    quantity: Decimal.of(row.quantity),
    freeQuota: Decimal.of(row.freeQuota),
    billableQuantity: Decimal.of(row.billableQuantity),
    unitPrice: Decimal.of(row.unitPrice),
    amount: Decimal.of(row.amount),
    forPeriod: row.forPeriodStart && row.forPeriodEnd ? { start: row.forPeriodStart, end: row.forPeriodEnd } : undefined,
    forInvoiceId: row.forInvoiceId ?? undefined,
  };
}
