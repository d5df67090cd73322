/**
 * The objects Polaris makes per event and per request share a hidden class.
 * On Node 20, `{ ...input, id }` (a literal adding keys after a spread) gets a
 * map of its own each time it runs: 1–1.5 µs and an old-generation map per
 * object, and every later read of those objects megamorphic
 * (scripts/bench/LOG.md). These fail on Node 20 if such a literal comes
 * back; Node 24 shares the map either way.
 *
 * Twenty of each are made: the first of a kind may get a map of its own while
 * V8's inline cache warms, so "shared" reads as at most two maps for twenty.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { invoiceView } from '../functions/gateway/billing-resolvers.js';
import { BillingStore } from '../functions/billing/domain/store.js';
import { IdentityStore } from '../functions/identity/domain/store.js';
import { AggregationStore, EventPartitionStore, MeterStore, SummaryStore, UsageService, UsageStore } from '../functions/usage/domain/index.js';
import { Invoice, InvoiceLineItem } from '../proto/gen/polaris/billing/v1/billing.js';
import { NumberLiteral } from '../shared/decimal.js';
import { periodOf, PeriodUnit } from '../shared/periods.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { hiddenClassCount } from './support/hidden-classes.js';

const made = 20;
const shared = 2;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('hidden classes of objects made per event or request', () => {
  it("Usage's events, as the service hands them to the store", async () => {
    const sql = db.sql;
    const events = new UsageStore(sql);
    const usage = new UsageService(
      { events, aggregation: new AggregationStore(sql), summary: new SummaryStore(sql), meters: new MeterStore(sql), partitions: new EventPartitionStore(sql) },
      { maxEventAgeDays: 35, retentionMonths: 0, metrics: new Registry(), maxConcurrentWrites: 2, propertyLimits: { maxKeys: 32, maxValueLength: 256 }, maxGroupsPerDay: 1000, meterCacheSeconds: 30 },
    );
    const insert = vi.spyOn(events, 'insertEvents');
    // Events of every shape the wire sends: keys, properties, a CloudEvent's type, or none of them.
    const items = Array.from({ length: made }, (_, i) => ({
      event: {
        metric: 'api_calls',
        quantity: NumberLiteral.of(String(i)),
        ...(i % 2 === 0 && { idempotencyKey: `key-${i}` }),
        ...(i % 3 === 0 && { properties: { region: 'eu' } }),
        ...(i % 5 === 0 && { eventType: 'com.example.call' }),
      },
    }));

    const outcomes = await usage.record(randomUUID(), items);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(items.map(() => 'accepted'));
    const inserted = insert.mock.calls.flatMap(([batch]) => batch);
    expect(inserted).toHaveLength(made);
    expect(hiddenClassCount(inserted)).toBeLessThanOrEqual(shared);
  });

  it("Billing's invoices, as the store lists them", async () => {
    const billing = new BillingStore(db.sql);
    const orgId = randomUUID();
    for (let month = 0; month < made; month++) {
      const period = periodOf(PeriodUnit.Month, new Date(Date.UTC(2025, month, 1)));
      await db.sql.begin((tx) => billing.writeDraft(tx, orgId, period, 'USD', []));
    }

    const invoices = await billing.listInvoices(orgId);

    expect(invoices).toHaveLength(made);
    expect(hiddenClassCount(invoices)).toBeLessThanOrEqual(shared);
  });

  it("the gateway's views of invoices, as the RPC's messages decode", () => {
    const views = Array.from({ length: made }, (_, i) => {
      const line = { ...InvoiceLineItem.decode(new Uint8Array()), metric: 'api_calls', quantity: String(i) };
      const message = { ...Invoice.decode(new Uint8Array()), id: randomUUID(), amount: `${i}.50`, currency: 'USD', status: 'draft', lineItems: [line] };
      return invoiceView(Invoice.decode(Invoice.encode(message).finish()));
    });

    expect(views[3]!.totalAmount).toBe(3.5);
    expect(hiddenClassCount(views)).toBeLessThanOrEqual(shared);
    expect(hiddenClassCount(views.map((view) => view.lineItems[0]!))).toBeLessThanOrEqual(shared);
  });

  it("Identity's organizations, as the store reads them", async () => {
    const identity = new IdentityStore(db.sql);
    for (let i = 0; i < made; i++) await identity.insertOrganization({ name: `Org ${i}` }, { prefix: randomBytes(6).toString('hex'), hash: randomBytes(32) });

    const organizations = await identity.listOrganizations();

    expect(organizations).toHaveLength(made);
    expect(hiddenClassCount(organizations)).toBeLessThanOrEqual(shared);
  });
});
