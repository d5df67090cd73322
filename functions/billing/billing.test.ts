/**
 * Billing against real PostgreSQL, NATS and the Usage and Identity functions:
 * plans, drafts that follow usage, GenerateInvoice, FinalizeInvoice.
 */
import * as grpc from '@grpc/grpc-js';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
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
  host = await startTestHost({ databaseUrl: db.url });
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
const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

async function ingest(tenant: TestTenant, events: object[]) {
  const response = await fetch(`${host.http}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(200);
}

const aggregateAndDeliver = (tenant: TestTenant) => deliverAggregation(host, tenant.organizationId);

const setPlan = (tenant: TestTenant, metric: string, unitPrice: string, freeQuota: string, currency = '') =>
  rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: tenant.organizationId, name: `${metric} plan`, metric, unitPrice, freeQuota, currency }));
const invoices = async (tenant: TestTenant) => (await rpc.call(BillingRpc.listInvoices, { organizationId: tenant.organizationId })).invoices;

describe('plans', () => {
  it('keeps one plan per metric: SetPlan replaces it', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const first = (await setPlan(tenant, 'api_calls', '0.002', '1000')).plan!;
    const second = (await setPlan(tenant, 'api_calls', '0.0015', '500')).plan!;
    expect(second).toMatchObject({ id: first.id, unitPrice: '0.0015', freeQuota: '500', currency: 'USD' });
    const { plans } = await rpc.call(BillingRpc.listPlans, { organizationId: tenant.organizationId });
    expect(plans).toHaveLength(1);
  });

  it('keeps one currency per organization', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await setPlan(tenant, 'api_calls', '1', '0', 'EUR');
    const err = await grpcError(setPlan(tenant, 'seats', '1', '0', 'USD'));
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toContain('currency');
  });

  it.each([
    [{ unitPrice: '-1' }, 'unit_price'],
    [{ unitPrice: 'ten' }, 'unit_price'],
    [{ freeQuota: '1.0000000000001' }, 'free_quota'],
    [{ metric: 'API' }, 'metric'],
    [{ name: ' ' }, 'name'],
    [{ currency: 'XYZ' }, 'currency'],
    [{ organizationId: 'acme' }, 'organization_id'],
  ])('refuses %o naming %s', async (change, field) => {
    const request = setPlanRequest({ organizationId: '00000000-0000-4000-8000-000000000000', name: 'p', metric: 'api_calls', unitPrice: '1', freeQuota: '0', ...change });
    const err = await grpcError(rpc.call(BillingRpc.setPlan, request));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(`${field}:`);
  });

  it('refuses a plan for an organization that does not exist, and callers without the operator token', async () => {
    const request = setPlanRequest({ organizationId: '00000000-0000-4000-8000-000000000000', name: 'p', metric: 'api_calls', unitPrice: '1', freeQuota: '0' });
    expect((await grpcError(rpc.call(BillingRpc.setPlan, request))).code).toBe(grpc.status.NOT_FOUND);
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    expect((await grpcError(anonymous.call(BillingRpc.setPlan, request))).code).toBe(grpc.status.UNAUTHENTICATED);
    anonymous.close();
  });
});

describe('invoices', () => {
  it('keep the draft of the open month following usage, and announce each change', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await setPlan(tenant, 'api_calls', '0.002', '1000');
    await setPlan(tenant, 'storage_gb', '0.25', '10');
    await ingest(tenant, [
      { metric: 'api_calls', quantity: 1200 },
      { metric: 'storage_gb', quantity: 12.5 },
      { metric: 'unpriced', quantity: 99 },
    ]);
    await aggregateAndDeliver(tenant);
    let [draft] = await invoices(tenant);
    expect(draft).toMatchObject({
      status: 'draft',
      currency: 'USD',
      amount: '1.03',
      periodStart: monthStart.toISOString(),
      periodEnd: nextMonth.toISOString(),
      lineItems: [
        { metric: 'api_calls', quantity: '1200', freeQuota: '1000', billableQuantity: '200', unitPrice: '0.002', amount: '0.40' },
        { metric: 'storage_gb', quantity: '12.5', freeQuota: '10', billableQuantity: '2.5', unitPrice: '0.25', amount: '0.63' },
      ],
    });

    await ingest(tenant, [{ metric: 'api_calls', quantity: 300 }]);
    await aggregateAndDeliver(tenant);
    [draft] = await invoices(tenant);
    expect(draft!.amount).toBe('1.63');
    expect(await invoices(tenant)).toHaveLength(1);

    const announced = await waitForStream(host.natsUrl, host.stream.stream, (all) =>
      all.some((e) => e.event.type === 'dev.polaris.invoice.updated' && e.event.data.invoiceId === draft!.id && e.event.data.amount === '1.63'),
    );
    const mine = announced.filter((e) => e.event.type === 'dev.polaris.invoice.updated' && e.event.data.invoiceId === draft!.id);
    expect(mine.at(-1)!.event.data).toMatchObject({ orgId: tenant.organizationId, status: 'draft', amount: '1.63', periodStart: monthStart.toISOString() });
  });

  it('rounds each line half-up to the cent, exactly', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await setPlan(tenant, 'api_calls', '0.005', '0');
    await ingest(tenant, [{ metric: 'api_calls', quantity: 1 }]);
    await aggregateAndDeliver(tenant);
    expect((await invoices(tenant))[0]!.amount).toBe('0.01');
  });

  it('prices a total beyond 10^26 at the largest unit price, exactly', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const largest = 10n ** 26n - 1n; // the largest quantity an event and a unit price may have
    await setPlan(tenant, 'bytes', largest.toString(), '0');
    const response = await fetch(`${host.http}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
      body: `[{"metric":"bytes","quantity":${largest}},{"metric":"bytes","quantity":${largest}}]`,
    });
    expect(response.status).toBe(200);
    await aggregateAndDeliver(tenant);
    const [invoice] = await invoices(tenant);
    expect(invoice!.amount).toBe(`${2n * largest * largest}.00`);
    expect(invoice!.lineItems[0]).toMatchObject({ quantity: (2n * largest).toString(), billableQuantity: (2n * largest).toString() });
  });

  it('GenerateInvoice stores any period, the same invoice each time', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await setPlan(tenant, 'api_calls', '1', '0');
    await ingest(tenant, [{ metric: 'api_calls', quantity: 3 }]);
    await aggregateAndDeliver(tenant);
    const period = { organizationId: tenant.organizationId, periodStart: monthStart.toISOString().slice(0, 10), periodEnd: nextMonth.toISOString().slice(0, 10) };
    const first = (await rpc.call(BillingRpc.generateInvoice, period)).invoice!;
    const again = (await rpc.call(BillingRpc.generateInvoice, period)).invoice!;
    expect(again.id).toBe(first.id);
    expect(first.amount).toBe('3.00');

    const lastMonth = { organizationId: tenant.organizationId, periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString(), periodEnd: monthStart.toISOString() };
    const empty = (await rpc.call(BillingRpc.generateInvoice, lastMonth)).invoice!;
    expect(empty).toMatchObject({ amount: '0.00', status: 'draft' });
    expect((await invoices(tenant)).map((i) => i.periodStart)).toEqual([monthStart.toISOString(), lastMonth.periodStart]);

    const bad = await grpcError(rpc.call(BillingRpc.generateInvoice, { ...period, periodEnd: period.periodStart }));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toContain('period_end:');
  });

  it('FinalizeInvoice freezes an invoice: later usage never changes it', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await setPlan(tenant, 'api_calls', '1', '0');
    await ingest(tenant, [{ metric: 'api_calls', quantity: 2 }]);
    await aggregateAndDeliver(tenant);
    const [draft] = await invoices(tenant);
    const finalized = (await rpc.call(BillingRpc.finalizeInvoice, { invoiceId: draft!.id })).invoice!;
    expect(finalized).toMatchObject({ id: draft!.id, status: 'finalized', amount: '2.00' });

    await ingest(tenant, [{ metric: 'api_calls', quantity: 5 }]);
    await aggregateAndDeliver(tenant);
    await setPlan(tenant, 'api_calls', '100', '0');
    const period = { organizationId: tenant.organizationId, periodStart: draft!.periodStart, periodEnd: draft!.periodEnd };
    expect((await rpc.call(BillingRpc.generateInvoice, period)).invoice).toMatchObject({ status: 'finalized', amount: '2.00' });
    expect((await invoices(tenant))[0]).toMatchObject({ status: 'finalized', amount: '2.00' });
    expect((await rpc.call(BillingRpc.finalizeInvoice, { invoiceId: draft!.id })).invoice!.status).toBe('finalized');

    const missing = await grpcError(rpc.call(BillingRpc.finalizeInvoice, { invoiceId: '00000000-0000-4000-8000-000000000000' }));
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
  });
});
