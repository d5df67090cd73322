/**
 * Pricing over time against the real functions (Usage, Identity, Billing),
 * PostgreSQL and NATS: every model on real usage, prices per property value,
 * price history, fees and minimums, the close with numbers, late usage on the
 * next open invoice, voids credited, the invoice events; and bad input.
 * The domain's own property test (domain/closing.test.ts) covers the
 * interleavings.
 */
import * as grpc from '@grpc/grpc-js';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc, PricingModel, type Invoice } from '../../proto/gen/polaris/billing/v1/billing.js';
import { MeterAggregation, UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, setPlanRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream, readStream, waitForStream } from '../../test/support/nats.js';
import { aggregateAndDeliver as deliverAggregation } from '../../test/support/aggregation.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let rpc: ReturnType<typeof rpcClient>;

beforeAll(async () => {
  db = await createTestDatabase();
  // No grace: last month's draft is due at once.
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_INVOICE_GRACE_HOURS: '0' } });
  rpc = rpcClient(host.grpcAddress);
});

afterAll(async () => {
  rpc?.close();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const lastMonthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
/** An hour before this month began: last month, and within the accepted event age whatever today's date. */
const lateInLastMonth = new Date(monthStart.getTime() - 3_600_000).toISOString();

async function ingest(tenant: TestTenant, events: object[]) {
  const response = await fetch(`${host.http}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(200);
  const { results } = (await response.json()) as { results: { status: string }[] };
  expect(results.every((r) => r.status === 'accepted')).toBe(true);
}

const aggregateAndDeliver = (tenant: TestTenant) => deliverAggregation(host, tenant.organizationId);

const invoices = async (tenant: TestTenant) => (await rpc.call(BillingRpc.listInvoices, { organizationId: tenant.organizationId })).invoices;
const current = async (tenant: TestTenant) => (await invoices(tenant)).find((i) => i.periodStart === monthStart.toISOString())!;
const lines = (invoice: Invoice) => invoice.lineItems.map((l) => [l.kind, l.description, l.amount]);

describe('prices', () => {
  it('prices each model on real usage, exactly', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Models');
    const org = tenant.organizationId;
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'api_calls', name: 'API', unitPrice: '0.01', freeQuota: '100' }));
    await rpc.call(
      BillingRpc.setPlan,
      setPlanRequest({
        organizationId: org,
        metric: 'storage_gb',
        name: 'Storage',
        model: PricingModel.PRICING_MODEL_GRADUATED,
        tiers: [
          { upTo: '10', unitPrice: '0', flatPrice: '5' },
          { upTo: '', unitPrice: '0.25', flatPrice: '' },
        ],
      }),
    );
    await rpc.call(
      BillingRpc.setPlan,
      setPlanRequest({
        organizationId: org,
        metric: 'seats',
        name: 'Seats',
        model: PricingModel.PRICING_MODEL_VOLUME,
        tiers: [
          { upTo: '5', unitPrice: '10', flatPrice: '0' },
          { upTo: '', unitPrice: '8', flatPrice: '0' },
        ],
      }),
    );
    await rpc.call(
      BillingRpc.setPlan,
      setPlanRequest({ organizationId: org, metric: 'sms', name: 'SMS', model: PricingModel.PRICING_MODEL_PACKAGE, packageSize: '100', packagePrice: '1.50' }),
    );
    await ingest(tenant, [
      { metric: 'api_calls', quantity: 1234 },
      { metric: 'storage_gb', quantity: 30.5 },
      { metric: 'seats', quantity: 6 },
      { metric: 'sms', quantity: 201 },
    ]);
    await aggregateAndDeliver(tenant);
    const invoice = await current(tenant);
    expect(lines(invoice)).toEqual([
      ['usage', 'API', '11.34'], // (1234 − 100) × 0.01
      ['usage', 'Seats', '48.00'], // all 6 at the second tier's 8
      ['usage', 'SMS', '4.50'], // ceil(201 / 100) = 3 packages
      ['usage', 'Storage', '10.13'], // 5 flat + 20.5 × 0.25 = 10.125 → 10.13
    ]);
    expect(invoice.amount).toBe('73.97');
  });

  it('prices per property value, keeps a price history, and adds the fee and the minimum', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Tokens');
    const org = tenant.organizationId;
    await rpc.call(UsageRpc.createMeter, { metric: 'llm_tokens', name: 'Tokens', aggregation: MeterAggregation.METER_AGGREGATION_SUM, valueProperty: '', groupBy: ['model'] });
    const where = (model: string) => [{ key: 'model', values: [model] }];
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'llm_tokens', name: 'Large', unitPrice: '0.002', where: where('large') }));
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'llm_tokens', name: 'Small', unitPrice: '0.0005', where: where('small') }));
    // A new price for the large model from next month: this month keeps the old one.
    await rpc.call(
      BillingRpc.setPlan,
      setPlanRequest({ organizationId: org, metric: 'llm_tokens', name: 'Large', unitPrice: '0.001', where: where('large'), effectiveFrom: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 3)).toISOString() }),
    );
    await rpc.call(BillingRpc.setBillingTerms, { organizationId: org, timeZone: 'UTC', recurringFee: '20', recurringFeeName: 'Platform', minimum: '50', currency: '' });
    await ingest(tenant, [
      { metric: 'llm_tokens', quantity: 10000, properties: { model: 'large' } },
      { metric: 'llm_tokens', quantity: 4000, properties: { model: 'small' } },
      { metric: 'llm_tokens', quantity: 999, properties: { model: 'other' } },
    ]);
    await aggregateAndDeliver(tenant);
    expect(lines(await current(tenant))).toEqual([
      ['usage', 'Large (model: large)', '20.00'],
      ['usage', 'Small (model: small)', '2.00'],
      ['fee', 'Platform', '20.00'],
      ['minimum', 'Minimum commitment top-up', '8.00'],
    ]);

    const { plans: history } = await rpc.call(BillingRpc.listPlanVersions, { organizationId: org });
    expect(history.map((p) => [p.name, p.unitPrice, p.effectiveFrom.slice(0, 7)])).toEqual([
      ['Large', '0.001', new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 7)],
      ['Large', '0.002', monthStart.toISOString().slice(0, 7)],
      ['Small', '0.0005', monthStart.toISOString().slice(0, 7)],
    ]);
    const { plans: inEffect } = await rpc.call(BillingRpc.listPlans, { organizationId: org });
    expect(inEffect.map((p) => [p.name, p.unitPrice])).toEqual([
      ['Large', '0.002'],
      ['Small', '0.0005'],
    ]);
  });
});

describe('closing', () => {
  it('numbers a closed month, bills its late usage on the next open invoice, and credits a void', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Closing');
    const org = tenant.organizationId;
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'api_calls', name: 'API', unitPrice: '0.5', effectiveFrom: lastMonthStart.toISOString() }));
    await ingest(tenant, [{ metric: 'api_calls', quantity: 10, timestamp: lateInLastMonth }]);
    await aggregateAndDeliver(tenant);

    const { finalized } = await rpc.call(BillingRpc.closeInvoices, {});
    const closed = finalized.find((i) => i.organizationId === org)!;
    expect(closed).toMatchObject({ status: 'finalized', number: 'INV-000001', amount: '5.00', periodStart: lastMonthStart.toISOString() });

    // Late usage for the closed month: the open invoice gets it, naming the month.
    await ingest(tenant, [{ metric: 'api_calls', quantity: 4, timestamp: lateInLastMonth }]);
    await aggregateAndDeliver(tenant);
    const open = await current(tenant);
    expect(open.lineItems.map((l) => [l.kind, l.amount, l.forPeriodStart])).toEqual([
      ['usage', '0.00', ''],
      ['adjustment', '2.00', lastMonthStart.toISOString()],
    ]);
    expect((await invoices(tenant)).find((i) => i.id === closed.id)!.amount).toBe('5.00'); // never changed

    // Void the closed month: the open invoice credits what it billed and bills the month again.
    const { invoice: voided } = await rpc.call(BillingRpc.voidInvoice, { invoiceId: closed.id, reason: 'wrong price agreed' });
    expect(voided).toMatchObject({ status: 'void', voidReason: 'wrong price agreed', number: 'INV-000001' });
    const after = await current(tenant);
    expect(after.lineItems.map((l) => [l.kind, l.amount])).toEqual([
      ['usage', '0.00'],
      ['credit', '-5.00'],
      ['adjustment', '7.00'],
    ]);
    // Everything billed for last month adds up to what it costs: 14 × 0.5.
    const forLastMonth = (await invoices(tenant))
      .flatMap((i) => i.lineItems.map((l) => ({ l, start: l.forPeriodStart || i.periodStart })))
      .filter(({ start }) => start === lastMonthStart.toISOString())
      .reduce((sum, { l }) => sum + Math.round(Number(l.amount) * 100), 0);
    expect(forLastMonth).toBe(700);

    const ofOrg = (all: Awaited<ReturnType<typeof readStream>>) => all.filter((e) => (e.event.data as { orgId?: string }).orgId === org).map((e) => e.event.type);
    const types = ofOrg(await waitForStream(host.natsUrl, host.stream.stream, (all) => ofOrg(all).includes('dev.polaris.invoice.voided')));
    for (const type of ['dev.polaris.invoice.created', 'dev.polaris.invoice.finalized', 'dev.polaris.invoice.voided', 'dev.polaris.invoice.updated']) {
      expect(types).toContain(type);
    }
  });

  it('closes after each aggregation run, through dev.polaris.aggregation.completed', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Scheduled');
    const org = tenant.organizationId;
    await rpc.call(BillingRpc.generateInvoice, { organizationId: org, periodStart: lastMonthStart.toISOString(), periodEnd: monthStart.toISOString() });
    await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.completed', source: '/test', data: { events: 0 } }));
    const last = (await invoices(tenant)).find((i) => i.periodStart === lastMonthStart.toISOString())!;
    expect(last.status).toBe('finalized');
    expect(last.number).toMatch(/^INV-\d{6}$/);
  });
});

describe('bad input', () => {
  const org = '00000000-0000-4000-8000-000000000000';
  it.each([
    ['tiers out of order', { model: PricingModel.PRICING_MODEL_GRADUATED, tiers: [{ upTo: '10', unitPrice: '1', flatPrice: '' }, { upTo: '5', unitPrice: '1', flatPrice: '' }, { upTo: '', unitPrice: '1', flatPrice: '' }] }, 'tiers[1].up_to'],
    ['a package of 0', { model: PricingModel.PRICING_MODEL_PACKAGE, packageSize: '0', packagePrice: '1' }, 'package_size'],
    ['an unknown model', { model: 42 as PricingModel, unitPrice: '1' }, 'model'],
    ['a bad effective date', { unitPrice: '1', effectiveFrom: 'next month' }, 'effective_from'],
    ['a filter without values', { unitPrice: '1', where: [{ key: 'model', values: [] }] }, 'where[0].values'],
  ])('SetPlan refuses %s, naming %s', async (_case, fields, field) => {
    const error = await grpcError(rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'api_calls', ...fields })));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain(`${field}:`);
  });

  it('refuses a filter the meter cannot apply, a void of a draft or without a reason, and a time zone that would move billed periods', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Refusals');
    const org = tenant.organizationId;
    const where = await grpcError(rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'api_calls', unitPrice: '1', where: [{ key: 'region', values: ['eu'] }] })));
    expect(where.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(where.details).toContain('where:');
    expect((await rpc.call(BillingRpc.listPlanVersions, { organizationId: org })).plans).toEqual([]);

    const { invoice } = await rpc.call(BillingRpc.generateInvoice, { organizationId: org, periodStart: monthStart.toISOString(), periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString() });
    expect((await grpcError(rpc.call(BillingRpc.voidInvoice, { invoiceId: invoice!.id, reason: 'no' }))).code).toBe(grpc.status.FAILED_PRECONDITION);
    const noReason = await grpcError(rpc.call(BillingRpc.voidInvoice, { invoiceId: invoice!.id, reason: ' ' }));
    expect(noReason.details).toContain('reason:');

    const zone = await grpcError(rpc.call(BillingRpc.setBillingTerms, { organizationId: org, timeZone: 'Asia/Tokyo', recurringFee: '', recurringFeeName: '', minimum: '', currency: '' }));
    expect(zone.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(zone.details).toContain('time_zone:');
    const unknown = await grpcError(rpc.call(BillingRpc.setBillingTerms, { organizationId: org, timeZone: 'Mars/Base', recurringFee: '', recurringFeeName: '', minimum: '', currency: '' }));
    expect(unknown.details).toContain('time_zone:');
  });
});
