/**
 * Usage alerts and entitlements against the real functions (Usage, Identity,
 * Billing), PostgreSQL and NATS: thresholds crossed once per (alert,
 * threshold, period) under concurrent aggregation runs and redelivered
 * events, each on the stream once; budgets on a metric and on the invoice
 * amount; a new period crossing again; entitlement answers before and after
 * a hard limit is reached, soft limits, boolean features, resetsAt in the
 * organization's time zone; bad input naming the field and storing nothing.
 */
import * as grpc from '@grpc/grpc-js';
import { CloudEvent } from 'cloudevents';
import { DateTime } from 'luxon';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BillingService as BillingRpc,
  EntitlementType,
  type CheckEntitlementResponse,
  type CreateUsageAlertRequest,
  type SetEntitlementRequest,
} from '../../proto/gen/polaris/billing/v1/billing.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, setPlanRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream, readStream, waitForStream, type StoredEvent } from '../../test/support/nats.js';
import { aggregateAndDeliver as deliverAggregation } from '../../test/support/aggregation.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let rpc: ReturnType<typeof rpcClient>;
let sql: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  rpc = rpcClient(host.grpcAddress);
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  rpc?.close();
  await sql?.end();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
const lastMonthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
/** An hour before this month began: last month, and within the accepted event age whatever today's date. */
const lateInLastMonth = new Date(monthStart.getTime() - 3_600_000).toISOString();
const thresholdType = 'dev.polaris.usage.threshold.crossed';

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

const createAlert = (fields: Partial<CreateUsageAlertRequest> & { organizationId: string }) =>
  rpc.call(BillingRpc.createUsageAlert, { metric: '', budget: '', percentages: [], ...fields });
const setEntitlement = (fields: Partial<SetEntitlementRequest> & { organizationId: string; feature: string }) =>
  rpc.call(BillingRpc.setEntitlement, { metric: '', limit: '', soft: false, disabled: false, ...fields });
const check = (tenant: TestTenant, feature: string) => rpc.call(BillingRpc.checkEntitlement, { organizationId: tenant.organizationId, feature });

/** The threshold events of an organization on the stream, oldest first. */
async function crossingsOnStream(orgId: string): Promise<StoredEvent[]> {
  return (await readStream(host.natsUrl, host.stream.stream)).filter((e) => e.event.type === thresholdType && e.event.data.orgId === orgId);
}

/** Waits until `count` threshold events of the organization are on the stream, lets the relay settle, and answers them all. */
async function awaitCrossings(orgId: string, count: number): Promise<StoredEvent[]> {
  await waitForStream(host.natsUrl, host.stream.stream, (all) => all.filter((e) => e.event.type === thresholdType && e.event.data.orgId === orgId).length >= count);
  await new Promise((resolve) => setTimeout(resolve, 500)); // anything written twice would be relayed by now
  return crossingsOnStream(orgId);
}

/** Polls CheckEntitlement until `done` holds; answers the last response and how long it took. */
async function checkUntil(tenant: TestTenant, feature: string, done: (r: CheckEntitlementResponse) => boolean, timeoutMs = 5000) {
  const started = performance.now();
  for (;;) {
    const response = await check(tenant, feature);
    if (done(response)) return { response, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(response)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('usage alerts', () => {
  it('emit each threshold once per period, however many aggregation runs and redelivered events see it', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Concurrent');
    const org = tenant.organizationId;
    const { alert } = await createAlert({ organizationId: org, metric: 'api_calls', budget: '100', percentages: ['50', '100'] });
    expect(alert).toMatchObject({ metric: 'api_calls', budget: '100', percentages: ['50', '100'], crossings: [] });

    await ingest(tenant, [{ metric: 'api_calls', quantity: 70 }, { metric: 'api_calls', quantity: 50 }]);
    const before = new Set((await readStream(host.natsUrl, host.stream.stream)).map((e) => e.event.id));
    // Four runs at once: one of them counts the events; each announces what it saw.
    await Promise.all([1, 2, 3, 4].map(() => host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: { orgId: org } }))));
    const updates = (await waitForStream(host.natsUrl, host.stream.stream, (all) => all.some((e) => !before.has(e.event.id) && e.event.type === 'dev.polaris.aggregate.updated' && e.event.data.orgId === org))).filter(
      (e) => !before.has(e.event.id) && e.event.type === 'dev.polaris.aggregate.updated' && e.event.data.orgId === org,
    );
    // Every update delivered four times over, all at once, as redeliveries and concurrent consumers would.
    await Promise.all(updates.flatMap((update) => [1, 2, 3, 4].map(() => host.dispatch(new CloudEvent(update.event as never)))));

    const events = await awaitCrossings(org, 2);
    expect(events.map((e) => [e.event.data.percent, e.event.data.threshold, e.event.data.value])).toEqual([
      ['50', '50', '120'],
      ['100', '100', '120'],
    ]);
    expect(events[0]!.event.data).toEqual({
      orgId: org,
      alertId: alert!.id,
      metric: 'api_calls',
      threshold: '50',
      value: '120',
      percent: '50',
      periodStart: monthStart.toISOString(),
      periodEnd: nextMonth.toISOString(),
    });
    expect(events[0]!.msgId).toBe(events[0]!.event.id);
    const rows = await sql`select count(*)::int as n from billing.threshold_crossings where source_id = ${alert!.id}`;
    expect(rows[0]!.n).toBe(2);

    // More usage in the same period: nothing crosses again.
    await ingest(tenant, [{ metric: 'api_calls', quantity: 500 }]);
    await aggregateAndDeliver(tenant);
    expect(await awaitCrossings(org, 2)).toHaveLength(2);
    const { alerts } = await rpc.call(BillingRpc.listUsageAlerts, { organizationId: org });
    expect(alerts[0]!.crossings.map((c) => [c.percent, c.value, c.periodStart])).toEqual([
      ['50', '120', monthStart.toISOString()],
      ['100', '120', monthStart.toISOString()],
    ]);
  });

  it('emit 80% and 100% of a budget when each is reached, at different times', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Two thresholds');
    const org = tenant.organizationId;
    const { alert } = await createAlert({ organizationId: org, metric: 'tokens', budget: '1000' });
    expect(alert!.percentages).toEqual(['80', '100']);

    await ingest(tenant, [{ metric: 'tokens', quantity: 500 }]);
    await aggregateAndDeliver(tenant);
    await ingest(tenant, [{ metric: 'tokens', quantity: 350 }]);
    await aggregateAndDeliver(tenant);
    let events = await awaitCrossings(org, 1);
    expect(events.map((e) => [e.event.data.percent, e.event.data.value])).toEqual([['80', '850']]);

    await ingest(tenant, [{ metric: 'tokens', quantity: 150.5 }]);
    await aggregateAndDeliver(tenant);
    events = await awaitCrossings(org, 2);
    expect(events.map((e) => [e.event.data.percent, e.event.data.threshold, e.event.data.value])).toEqual([
      ['80', '800', '850'],
      ['100', '1000', '1000.5'],
    ]);
  });

  it('watch the draft invoice amount', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Spend');
    const org = tenant.organizationId;
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: org, metric: 'api_calls', unitPrice: '0.01' }));
    const { alert } = await createAlert({ organizationId: org, budget: '10.00', percentages: ['50', '100', '150'] });
    expect(alert!.metric).toBe('');

    await ingest(tenant, [{ metric: 'api_calls', quantity: 600 }]); // 6.00
    await aggregateAndDeliver(tenant);
    let events = await awaitCrossings(org, 1);
    expect(events.map((e) => e.event.data)).toEqual([expect.objectContaining({ alertId: alert!.id, metric: null, percent: '50', threshold: '5', value: '6' })]);

    await ingest(tenant, [{ metric: 'api_calls', quantity: 400 }]); // 10.00
    await aggregateAndDeliver(tenant);
    events = await awaitCrossings(org, 2);
    expect(events.map((e) => [e.event.data.percent, e.event.data.value])).toEqual([
      ['50', '6'],
      ['100', '10'],
    ]);
  });

  it('cross again in a new period, and at once when made over a budget already reached', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Periods');
    const org = tenant.organizationId;
    const { alert } = await createAlert({ organizationId: org, metric: 'api_calls', budget: '10', percentages: ['100'] });

    await ingest(tenant, [{ metric: 'api_calls', quantity: 12, timestamp: lateInLastMonth }]);
    await aggregateAndDeliver(tenant);
    await ingest(tenant, [{ metric: 'api_calls', quantity: 11 }]);
    await aggregateAndDeliver(tenant);
    const events = await awaitCrossings(org, 2);
    expect(events.map((e) => [e.event.data.alertId, e.event.data.periodStart, e.event.data.value])).toEqual([
      [alert!.id, lastMonthStart.toISOString(), '12'],
      [alert!.id, monthStart.toISOString(), '11'],
    ]);

    // Made over a budget this period already passed: announced now, not at the next change.
    const { alert: late } = await createAlert({ organizationId: org, metric: 'api_calls', budget: '5', percentages: ['100'] });
    expect(late!.crossings.map((c) => [c.percent, c.value])).toEqual([['100', '11']]);
    const all = await awaitCrossings(org, 3);
    expect(all.filter((e) => e.event.data.alertId === late!.id)).toHaveLength(1);

    // Deleted: gone with its crossings; another organization's id is NOT_FOUND to a caller naming its own.
    const other = await createTenant(host.grpcAddress, 'Other');
    const elsewhere = await grpcError(rpc.call(BillingRpc.deleteUsageAlert, { alertId: late!.id, organizationId: other.organizationId }));
    expect(elsewhere.code).toBe(grpc.status.NOT_FOUND);
    const deleted = await rpc.call(BillingRpc.deleteUsageAlert, { alertId: late!.id, organizationId: org });
    expect(deleted.alert!.id).toBe(late!.id);
    expect((await rpc.call(BillingRpc.listUsageAlerts, { organizationId: org })).alerts.map((a) => a.id)).toEqual([alert!.id]);
    expect((await grpcError(rpc.call(BillingRpc.deleteUsageAlert, { alertId: late!.id, organizationId: '' }))).code).toBe(grpc.status.NOT_FOUND);
  });

  it.each([
    [{ budget: '' }, 'budget'],
    [{ budget: '-5' }, 'budget'],
    [{ budget: '0' }, 'budget'],
    [{ budget: 'ten' }, 'budget'],
    [{ budget: '1.0000000000001' }, 'budget'],
    [{ percentages: ['0'] }, 'percentages[0]'],
    [{ percentages: ['80', '80'] }, 'percentages[1]'],
    [{ percentages: ['1001'] }, 'percentages[0]'],
    [{ percentages: ['eighty'] }, 'percentages[0]'],
    [{ metric: 'API calls' }, 'metric'],
    [{ organizationId: 'acme' }, 'organization_id'],
  ])('refuses %o naming %s, storing nothing', async (change, field) => {
    const tenant = await createTenant(host.grpcAddress, 'Bad alert');
    const err = await grpcError(createAlert({ organizationId: tenant.organizationId, metric: 'api_calls', budget: '100', ...change }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(`${field}:`);
    expect((await rpc.call(BillingRpc.listUsageAlerts, { organizationId: tenant.organizationId })).alerts).toEqual([]);
  });

  it('are the operator’s to make (the gateway makes them for managers), and need an organization that exists', async () => {
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    const request = { organizationId: '00000000-0000-4000-8000-000000000000', metric: '', budget: '5', percentages: [] };
    expect((await grpcError(anonymous.call(BillingRpc.createUsageAlert, request))).code).toBe(grpc.status.UNAUTHENTICATED);
    anonymous.close();
    expect((await grpcError(rpc.call(BillingRpc.createUsageAlert, request))).code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('entitlements', () => {
  it('answer a hard limit before and after it is reached, turning within the cache time of the aggregation', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Hard');
    const org = tenant.organizationId;
    const { entitlement } = await setEntitlement({ organizationId: org, feature: 'api_calls', limit: '100' });
    expect(entitlement).toMatchObject({ feature: 'api_calls', type: EntitlementType.ENTITLEMENT_TYPE_METERED, metric: 'api_calls', limit: '100', soft: false });

    expect(await check(tenant, 'api_calls')).toEqual({
      hasAccess: true,
      type: EntitlementType.ENTITLEMENT_TYPE_METERED,
      usage: '0',
      limit: '100',
      soft: false,
      overLimit: false,
      resetsAt: nextMonth.toISOString(),
    });

    await ingest(tenant, [{ metric: 'api_calls', quantity: 60 }]);
    await aggregateAndDeliver(tenant);
    expect((await checkUntil(tenant, 'api_calls', (r) => r.usage === '60')).response.hasAccess).toBe(true);

    await ingest(tenant, [{ metric: 'api_calls', quantity: 40 }]);
    await aggregateAndDeliver(tenant);
    const { response, ms } = await checkUntil(tenant, 'api_calls', (r) => !r.hasAccess);
    expect(response).toMatchObject({ usage: '100', limit: '100', overLimit: true, hasAccess: false });
    expect(ms).toBeLessThan(1500); // the cache's second, and a poll

    // Reaching the limit is a threshold event like an alert's at 100%.
    const [event] = await awaitCrossings(org, 1);
    expect(event!.event.data).toEqual({
      orgId: org,
      alertId: null,
      feature: 'api_calls',
      metric: 'api_calls',
      threshold: '100',
      value: '100',
      percent: '100',
      periodStart: monthStart.toISOString(),
      periodEnd: nextMonth.toISOString(),
    });

    // A higher limit gives access back (this process forgets its cached answer at once).
    await setEntitlement({ organizationId: org, feature: 'api_calls', limit: '150' });
    expect(await check(tenant, 'api_calls')).toMatchObject({ hasAccess: true, usage: '100', limit: '150', overLimit: false });
  });

  it('count usage from before the entitlement was set, and answer soft limits, other metrics and boolean features', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Soft');
    const org = tenant.organizationId;
    await ingest(tenant, [{ metric: 'emails', quantity: 30 }]);
    await aggregateAndDeliver(tenant);

    await setEntitlement({ organizationId: org, feature: 'email_sending', metric: 'emails', limit: '20', soft: true });
    expect(await check(tenant, 'email_sending')).toMatchObject({ hasAccess: true, soft: true, overLimit: true, usage: '30', limit: '20' });
    await setEntitlement({ organizationId: org, feature: 'emails', limit: '25' });
    expect(await check(tenant, 'emails')).toMatchObject({ hasAccess: false, soft: false, overLimit: true, usage: '30' });

    await setEntitlement({ organizationId: org, feature: 'sso' });
    expect(await check(tenant, 'sso')).toEqual({ hasAccess: true, type: EntitlementType.ENTITLEMENT_TYPE_BOOLEAN, usage: '', limit: '', soft: false, overLimit: false, resetsAt: '' });
    await setEntitlement({ organizationId: org, feature: 'sso', disabled: true });
    expect((await check(tenant, 'sso')).hasAccess).toBe(false);
    expect(await check(tenant, 'audit_export')).toEqual({ hasAccess: false, type: EntitlementType.ENTITLEMENT_TYPE_UNSPECIFIED, usage: '', limit: '', soft: false, overLimit: false, resetsAt: '' });

    const { entitlements } = await rpc.call(BillingRpc.listEntitlements, { organizationId: org });
    expect(entitlements.map((e) => [e.feature, e.type, e.enabled, e.metric, e.limit, e.soft])).toEqual([
      ['email_sending', EntitlementType.ENTITLEMENT_TYPE_METERED, true, 'emails', '20', true],
      ['emails', EntitlementType.ENTITLEMENT_TYPE_METERED, true, 'emails', '25', false],
      ['sso', EntitlementType.ENTITLEMENT_TYPE_BOOLEAN, false, '', '', false],
    ]);

    expect(await rpc.call(BillingRpc.deleteEntitlement, { organizationId: org, feature: 'emails' })).toEqual({ deleted: true });
    expect(await rpc.call(BillingRpc.deleteEntitlement, { organizationId: org, feature: 'emails' })).toEqual({ deleted: false });
    expect((await check(tenant, 'emails')).hasAccess).toBe(false);
  });

  it('reset at the end of the billing period in the organization’s time zone', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Kathmandu');
    const org = tenant.organizationId;
    const zone = 'Asia/Kathmandu';
    await rpc.call(BillingRpc.setBillingTerms, { organizationId: org, timeZone: zone, recurringFee: '', recurringFeeName: '', minimum: '', currency: '' });
    await setEntitlement({ organizationId: org, feature: 'seats', limit: '5' });
    const end = DateTime.now().setZone(zone).startOf('month').plus({ months: 1 });
    const { resetsAt } = await check(tenant, 'seats');
    expect(resetsAt).toBe(end.toUTC().toISO());
    expect(DateTime.fromISO(resetsAt, { zone }).toFormat('dd HH:mm')).toBe('01 00:00');
  });

  it.each([
    [{ feature: '' }, 'feature'],
    [{ feature: 'SSO' }, 'feature'],
    [{ metric: 'emails' }, 'limit'],
    [{ soft: true }, 'limit'],
    [{ limit: '-1' }, 'limit'],
    [{ limit: 'lots' }, 'limit'],
    [{ limit: '10', metric: 'E-mails' }, 'metric'],
    [{ limit: '10', disabled: true }, 'disabled'],
    [{ organizationId: '' }, 'organization_id'],
  ])('refuses %o naming %s, storing nothing', async (change, field) => {
    const tenant = await createTenant(host.grpcAddress, 'Bad entitlement');
    const err = await grpcError(setEntitlement({ organizationId: tenant.organizationId, feature: 'sso', ...change }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(`${field}:`);
    expect((await rpc.call(BillingRpc.listEntitlements, { organizationId: tenant.organizationId })).entitlements).toEqual([]);
  });

  it('refuses a check without an organization id or a feature key, naming them', async () => {
    const err = await grpcError(rpc.call(BillingRpc.checkEntitlement, { organizationId: 'nope', feature: 'Big Feature' }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain('organization_id:');
    expect(err.details).toContain('feature:');
  });
});
