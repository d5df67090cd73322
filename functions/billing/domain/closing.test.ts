/**
 * Closing against random interleavings of late usage, price changes, closes
 * and voids, on real PostgreSQL: once every period is closed, what all
 * invoices billed for each period (their own lines, adjustments and credits
 * naming it) equals what the period costs under its prices, exactly; the
 * invoices' amounts add up to the same; numbers have no gaps.
 *
 * Usage is out of scope here: a stand-in UsageReader holds each period's
 * values, as Usage's GetUsageSummary would answer them.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../shared/decimal.js';
import type { Period } from '../../../shared/periods.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { billingPeriodOf } from './period-pricing.js';
import { charge, PricingModel, type Price } from './price-models.js';
import type { UsageReader } from './other-services.js';
import { BillingService } from './service.js';
import { BillingStore, InvoiceStatus } from './store.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

const metrics = ['api_calls', 'storage_gb'] as const;
type Metric = (typeof metrics)[number];

const silent = { debug() {}, info() {}, warn() {}, error() {} } as unknown as ConstructorParameters<typeof BillingService>[1]['logger'];

/** A price per model, from small integers so amounts stay readable when a case fails. */
const price = fc.oneof(
  fc.record({ unit: fc.integer({ min: 0, max: 300 }), free: fc.integer({ min: 0, max: 50 }) }).map(({ unit, free }): Price => ({
    model: PricingModel.PerUnit,
    unitPrice: Decimal.of(unit).mul(Decimal.of('0.01')),
    freeQuota: Decimal.of(free),
  })),
  fc.record({ first: fc.integer({ min: 1, max: 100 }), rate: fc.integer({ min: 1, max: 99 }), flat: fc.integer({ min: 0, max: 500 }), volume: fc.boolean() }).map(
    ({ first, rate, flat, volume }): Price => ({
      model: volume ? PricingModel.Volume : PricingModel.Graduated,
      tiers: [
        { upTo: Decimal.of(first), unitPrice: Decimal.of(rate).mul(Decimal.of('0.013')), flatPrice: Decimal.of(flat).mul(Decimal.of('0.01')) },
        { unitPrice: Decimal.of(rate).mul(Decimal.of('0.007')), flatPrice: Decimal.zero },
      ],
    }),
  ),
  fc.record({ size: fc.integer({ min: 1, max: 20 }), each: fc.integer({ min: 1, max: 999 }) }).map(({ size, each }): Price => ({
    model: PricingModel.Package,
    packageSize: Decimal.of(size),
    packagePrice: Decimal.of(each).mul(Decimal.of('0.01')),
    freeQuota: Decimal.zero,
  })),
);

const step = fc.oneof(
  fc.record({ kind: fc.constant('usage' as const), month: fc.integer({ min: 0, max: 4 }), metric: fc.constantFrom(...metrics), amount: fc.integer({ min: 1, max: 5000 }).map((n) => Decimal.of(n).mul(Decimal.of('0.1'))) }),
  fc.record({ kind: fc.constant('price' as const), month: fc.integer({ min: 0, max: 4 }), metric: fc.constantFrom(...metrics), price }),
  // At most 27 days: the scheduled run never skips a whole month, as it runs every few minutes.
  fc.record({ kind: fc.constant('close' as const), days: fc.integer({ min: 1, max: 27 }) }),
  fc.record({ kind: fc.constant('void' as const), pick: fc.nat() }),
);

describe('closing', () => {
  it('bills every period exactly what it costs, whatever the order of late usage, price changes, closes and voids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('UTC', 'Asia/Kathmandu', 'America/New_York'),
        fc.record({ fee: fc.integer({ min: 0, max: 2000 }), minimum: fc.integer({ min: 0, max: 9000 }) }),
        fc.array(step, { minLength: 1, maxLength: 25 }),
        async (timeZone, { fee, minimum }, steps) => {
          const orgId = uuidv7();
          const origin = DateTime.fromISO('2026-01-01T00:00:00', { zone: timeZone });
          const months: Period[] = Array.from({ length: 7 }, (_, i) => ({
            start: origin.plus({ months: i }).toJSDate(),
            end: origin.plus({ months: i + 1 }).toJSDate(),
          }));
          let now = new Date(months[0]!.start.getTime() + 3_600_000);
          const usage = new Map<string, Decimal>(); // `${periodStart} ${metric}` → value
          const usageKey = (period: Period, metric: string) => `${period.start.toISOString()} ${metric}`;
          const reader: UsageReader = {
            async periodValues(_org, period) {
              return metrics.map((metric) => ({ metric, total: usage.get(usageKey(period, metric)) ?? Decimal.zero }));
            },
            async filteredValue() {
              return Decimal.zero;
            },
          };
          const store = new BillingStore(db.sql);
          const billing = new BillingService(store, { usage: reader, requireOrganization: async () => {}, logger: silent, graceHours: 72, now: () => now });
          await billing.setTerms({ orgId, timeZone, recurringFee: Decimal.of(fee).mul(Decimal.of('0.01')), recurringFeeName: 'Platform', minimum: Decimal.of(minimum).mul(Decimal.of('0.01')) });
          const prices: { metric: Metric; from: Date; price: Price }[] = [];
          for (const metric of metrics) {
            const first: Price = { model: PricingModel.PerUnit, unitPrice: Decimal.of('0.5'), freeQuota: Decimal.of(3) };
            prices.push({ metric, from: months[0]!.start, price: first });
            await billing.setPlan({ organizationId: orgId, name: metric, metric, price: first, where: [], currency: 'USD', effectiveFrom: months[0]!.start });
          }

          for (const s of steps) {
            if (s.kind === 'usage') {
              // Only the past has usage; a month not begun yet gets it once it has.
              const period = months[Math.min(s.month, months.findIndex((m) => m.end > now))]!;
              usage.set(usageKey(period, s.metric), (usage.get(usageKey(period, s.metric)) ?? Decimal.zero).add(s.amount));
              await billing.onUsageChanged(orgId, period.start, new Date(period.start.getTime() + 86_400_000));
            } else if (s.kind === 'price') {
              const from = months[s.month]!.start;
              prices.push({ metric: s.metric, from, price: s.price });
              await billing.setPlan({ organizationId: orgId, name: s.metric, metric: s.metric, price: s.price, where: [], currency: 'USD', effectiveFrom: from });
            } else if (s.kind === 'close') {
              now = new Date(Math.min(now.getTime() + s.days * 86_400_000, months[6]!.start.getTime()));
              await billing.closeDue();
            } else {
              const closed = (await billing.listInvoices(orgId)).filter((invoice) => invoice.status === InvoiceStatus.Finalized);
              if (closed.length > 0) await billing.voidInvoice(closed[s.pick % closed.length]!.id, 'test');
            }
          }
          // Close everything, the scheduled run coming by every 10 days, to past the last month's grace; then the carrier of what is left.
          const end = months[6]!.start.getTime() + 4 * 86_400_000;
          while (now.getTime() < end) {
            now = new Date(Math.min(now.getTime() + 10 * 86_400_000, end));
            await billing.closeDue();
          }
          for (const draft of (await billing.listInvoices(orgId)).filter((i) => i.status === InvoiceStatus.Draft).reverse()) await billing.finalizeInvoice(draft.id);
          expect((await billing.listInvoices(orgId)).filter((i) => i.status === InvoiceStatus.Draft)).toEqual([]);

          // What each period costs, computed here from the prices in effect and its usage.
          const cost = (period: Period) => {
            let total = Decimal.zero;
            for (const metric of metrics) {
              const inEffect = prices.filter((p) => p.metric === metric && p.from <= period.start).sort((a, b) => a.from.getTime() - b.from.getTime()).at(-1)!;
              total = total.add(charge(inEffect.price, usage.get(usageKey(period, metric)) ?? Decimal.zero).amount.roundHalfUp(2));
            }
            total = total.add(Decimal.of(fee).mul(Decimal.of('0.01')));
            const floor = Decimal.of(minimum).mul(Decimal.of('0.01'));
            return total.cmp(floor) < 0 ? floor : total;
          };
          const invoices = await billing.listInvoices(orgId);
          const billedFor = (period: Period) =>
            invoices
              .flatMap((invoice) => invoice.lines.map((line) => ({ line, start: (line.forPeriod ?? { start: invoice.periodStart }).start })))
              .filter(({ start }) => start.getTime() === period.start.getTime())
              .reduce((sum, { line }) => sum.add(line.amount), Decimal.zero);
          const invoiced = new Set(invoices.map((invoice) => invoice.periodStart.getTime()));
          expect(months.every((m) => invoiced.has(m.start.getTime())), 'every period has an invoice').toBe(true);
          for (const period of months.filter((m) => invoiced.has(m.start.getTime()))) {
            expect(billedFor(period).toString(), period.start.toISOString()).toBe(cost(period).toString());
          }
          const allAmounts = invoices.reduce((sum, invoice) => sum.add(invoice.amount), Decimal.zero);
          const allCosts = months.filter((m) => invoiced.has(m.start.getTime())).reduce((sum, period) => sum.add(cost(period)), Decimal.zero);
          expect(allAmounts.toString()).toBe(allCosts.toString());

          const numbers = invoices.filter((i) => i.number).map((i) => i.number!).sort();
          expect(numbers).toEqual(numbers.map((_, i) => `INV-${String(i + 1).padStart(6, '0')}`));
          expect(invoices.every((i) => billingPeriodOf(i.periodStart, timeZone).start.getTime() === i.periodStart.getTime())).toBe(true);
        },
      ),
      { numRuns: 40, endOnFailure: true },
    );
  }, 240_000);
});
