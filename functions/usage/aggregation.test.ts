/**
 * Aggregation against real PostgreSQL: exact totals with ingest running
 * concurrently, overlapping runs, a transaction that commits after a
 * later-numbered one, and late events; plus RecordUsage and GetUsageSummary.
 */
import * as grpc from '@grpc/grpc-js';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageService as UsageRpc, WindowSize } from '../../proto/gen/polaris/usage/v1/usage.js';
import type { Sql } from '../../shared/database.js';
import { Decimal } from '../../shared/decimal.js';
import { uuidv7 } from '../../shared/uuid.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, recordUsageRequest, rpcClient, usageSummaryRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream, waitForStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';
import { UsageStore } from './domain/index.js';

let db: TestDatabase;
let host: TestHost;
let rpc: ReturnType<typeof rpcClient>;
let acme: TestTenant;
let globex: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  rpc = rpcClient(host.grpcAddress);
  acme = await createTenant(host.grpcAddress, 'Acme');
  globex = await createTenant(host.grpcAddress, 'Globex');
});

afterAll(async () => {
  rpc?.close();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

// The start of a UTC day: never in the future, whatever the hour the suite runs at.
const day = (offset: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset));
};
const dayKey = (date: Date) => date.toISOString().slice(0, 10);

function ingest(apiKey: string, body: unknown) {
  return fetch(`${host.http}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body) });
}

function aggregate(data: object = {}) {
  return host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data }));
}

async function aggregates(orgId: string): Promise<Map<string, string>> {
  const rows = await db.sql<{ metric: string; day: Date; total: string }[]>`
    select metric, bucket_start as day, trim_scale(sum(quantity_sum))::text as total from usage.meter_buckets
    where org_id = ${orgId} and width_minutes = 1440 group by metric, bucket_start`;
  return new Map(rows.map((row) => [`${row.metric}/${dayKey(row.day)}`, row.total]));
}

describe('aggregation', () => {
  it('is exact with ingest running concurrently and runs overlapping', async () => {
    const expected = new Map<string, Map<string, Decimal>>([
      [acme.organizationId, new Map()],
      [globex.organizationId, new Map()],
    ]);
    const metrics = ['api_calls', 'storage_gb', 'seats'];
    const requests: Promise<unknown>[] = [];
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const tenant = i % 2 === 0 ? acme : globex;
      const batch = Array.from({ length: 25 }, (_, j) => {
        const quantity = `${(i * 25 + j) % 97}.${String((i * 7 + j) % 1000).padStart(3, '0')}`;
        const metric = metrics[(i + j) % metrics.length]!;
        const when = day(-((i + j) % 4));
        const key = `${metric}/${dayKey(when)}`;
        const totals = expected.get(tenant.organizationId)!;
        totals.set(key, (totals.get(key) ?? Decimal.zero).add(Decimal.of(quantity)));
        return `{"metric":"${metric}","quantity":${quantity},"timestamp":"${when.toISOString()}","idempotency_key":"c-${i}-${j}"}`;
      });
      requests.push(
        fetch(`${host.http}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
          body: `[${batch.join(',')}]`,
        }).then((response) => expect(response.status).toBe(200)),
      );
      if (i % 10 === 0) runs.push(aggregate(), aggregate());
    }
    await Promise.all([...requests, ...runs]);
    await aggregate();

    for (const [orgId, totals] of expected) {
      const actual = await aggregates(orgId);
      expect(Object.fromEntries(actual)).toEqual(Object.fromEntries([...totals].map(([key, total]) => [key, total.toString()])));
    }
    const [pending] = await db.sql<{ n: number }[]>`select count(*)::int as n from usage.pending_event_groups`;
    expect(pending!.n).toBe(0);
  });

  it('counts a transaction that commits after a later-numbered one', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Late committer');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The real store, writing inside a transaction that stays open until released.
    const early = db.sql.begin(async (tx) => {
      await new UsageStore(tx as unknown as Sql).insertEvents([
        { id: uuidv7(), orgId: tenant.organizationId, metric: 'api_calls', quantity: Decimal.of('1'), occurredAt: day(0), properties: new Map() },
      ]);
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // its rows are written, not committed
    expect((await ingest(tenant.apiKey, { metric: 'api_calls', quantity: 10, timestamp: day(0).toISOString() })).status).toBe(202);

    await aggregate({ orgId: tenant.organizationId });
    expect((await aggregates(tenant.organizationId)).get(`api_calls/${dayKey(day(0))}`)).toBe('10');

    release();
    await early;
    await aggregate({ orgId: tenant.organizationId });
    expect((await aggregates(tenant.organizationId)).get(`api_calls/${dayKey(day(0))}`)).toBe('11');
  });

  it('corrects a day when a late event arrives, and announces the new total', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Late events');
    const threeDaysAgo = day(-3);
    await ingest(tenant.apiKey, { metric: 'api_calls', quantity: 5, timestamp: threeDaysAgo.toISOString() });
    await aggregate();
    await ingest(tenant.apiKey, { metric: 'api_calls', quantity: 2.25, timestamp: threeDaysAgo.toISOString() });
    await aggregate();
    expect((await aggregates(tenant.organizationId)).get(`api_calls/${dayKey(threeDaysAgo)}`)).toBe('7.25');

    const events = await waitForStream(host.natsUrl, host.stream.stream, (all) =>
      all.some((e) => e.event.type === 'dev.polaris.aggregate.updated' && e.event.data.orgId === tenant.organizationId && e.event.data.total === '7.25'),
    );
    const updates = events.filter((e) => e.event.type === 'dev.polaris.aggregate.updated' && e.event.data.orgId === tenant.organizationId);
    expect(updates.map((e) => e.event.data.total)).toEqual(['5', '7.25']);
    expect(updates[1]!.event.data).toMatchObject({
      metric: 'api_calls',
      periodStart: `${dayKey(threeDaysAgo)}T00:00:00.000Z`,
      periodEnd: `${dayKey(day(-2))}T00:00:00.000Z`,
    });
    expect(updates[1]!.subject).toBe(`${host.stream.subjectPrefix}.dev.polaris.aggregate.updated`);
  });

  it('sums totals beyond what one event may carry, exactly, and keeps counting everyone else', async () => {
    const large = await createTenant(host.grpcAddress, 'Large');
    const small = await createTenant(host.grpcAddress, 'Small');
    // The largest quantity ingest accepts, twice: the day's total passes 10^26.
    const largest = '99999999999999999999999999.999999999999';
    for (const key of ['a', 'b']) {
      const response = await fetch(`${host.http}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': large.apiKey },
        body: `{"metric":"bytes","quantity":${largest},"idempotency_key":"${key}"}`,
      });
      expect(response.status).toBe(202);
    }
    await ingest(small.apiKey, { metric: 'bytes', quantity: 1 });
    await aggregate();
    expect([...(await aggregates(large.organizationId)).values()]).toEqual([Decimal.of(largest).add(Decimal.of(largest)).toString()]);
    expect([...(await aggregates(small.organizationId)).values()]).toEqual(['1']);
  });

  it('limits a run to one organization when asked', async () => {
    const one = await createTenant(host.grpcAddress, 'One');
    const two = await createTenant(host.grpcAddress, 'Two');
    await ingest(one.apiKey, { metric: 'api_calls', quantity: 1 });
    await ingest(two.apiKey, { metric: 'api_calls', quantity: 1 });
    await aggregate({ orgId: one.organizationId });
    expect((await aggregates(one.organizationId)).size).toBe(1);
    expect((await aggregates(two.organizationId)).size).toBe(0);
    await aggregate();
    expect((await aggregates(two.organizationId)).size).toBe(1);
  });

  it('is triggered over HTTP by a binary-mode CloudEvent or a Knative ping, as the README shows', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Curl');
    await ingest(tenant.apiKey, { metric: 'api_calls', quantity: 3 });
    const send = (type: string) =>
      fetch(`${host.http}/events`, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': uuidv7(), 'ce-source': '/curl', 'ce-type': type, 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await send('dev.polaris.aggregation.requested')).status).toBe(202);
    expect((await aggregates(tenant.organizationId)).get(`api_calls/${dayKey(day(0))}`)).toBe('3');
    expect((await send('dev.knative.sources.ping')).status).toBe(202);
    const bad = await fetch(`${host.http}/events`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': '/curl', 'ce-type': 'dev.polaris.aggregation.requested', 'content-type': 'application/json' },
      body: '{"orgId":"acme"}',
    });
    expect(bad.status).toBe(400);
  });
});

describe('RecordUsage and GetUsageSummary over gRPC', () => {
  it('records through the same logic as ingest, idempotently', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Rpc');
    const request = recordUsageRequest({ organizationId: tenant.organizationId, metric: 'api_calls', quantity: '1.5', idempotencyKey: 'rpc-1' });
    const first = await rpc.call(UsageRpc.recordUsage, request);
    expect(first.duplicate).toBe(false);
    expect(await rpc.call(UsageRpc.recordUsage, request)).toEqual({ eventId: first.eventId, duplicate: true });
    await rpc.call(UsageRpc.recordUsage, { ...request, idempotencyKey: '', timestamp: day(-1).toISOString(), quantity: '2' });
    await aggregate();

    const { aggregates: all } = await rpc.call(UsageRpc.getUsageSummary, usageSummaryRequest({ organizationId: tenant.organizationId, metric: 'api_calls', from: dayKey(day(-1)), to: dayKey(day(1)) }));
    expect(all).toEqual([
      { metric: 'api_calls', total: '2', periodStart: `${dayKey(day(-1))}T00:00:00.000Z`, periodEnd: `${dayKey(day(0))}T00:00:00.000Z`, groups: [] },
      { metric: 'api_calls', total: '1.5', periodStart: `${dayKey(day(0))}T00:00:00.000Z`, periodEnd: `${dayKey(day(1))}T00:00:00.000Z`, groups: [] },
    ]);
    const { aggregates: today } = await rpc.call(UsageRpc.getUsageSummary, usageSummaryRequest({ organizationId: tenant.organizationId, metric: 'api_calls', from: dayKey(day(0)), to: dayKey(day(1)) }));
    expect(today.map((a) => a.total)).toEqual(['1.5']);
  });

  const org = '00000000-0000-4000-8000-000000000000';
  const record = (fields: Partial<Parameters<typeof recordUsageRequest>[0]>) => recordUsageRequest({ organizationId: org, metric: 'ok', quantity: '1', ...fields });
  const summary = (fields: Partial<Parameters<typeof usageSummaryRequest>[0]>) => usageSummaryRequest({ organizationId: org, metric: 'api_calls', ...fields });
  it.each([
    ['recordUsage', record({ organizationId: 'nope' }), 'organization_id'],
    ['recordUsage', record({ metric: 'Bad' }), 'metric'],
    ['recordUsage', record({ quantity: 'five' }), 'quantity'],
    ['recordUsage', record({ quantity: '-1' }), 'quantity'],
    ['recordUsage', record({ timestamp: 'now' }), 'timestamp'],
    ['recordUsage', record({ properties: { model: {} } }), 'properties.model'],
    ['recordUsage', record({ properties: { model: { number: '1e' } } }), 'properties.model'],
    ['recordUsage', record({ properties: { model: { text: 'x'.repeat(257) } } }), 'properties.model'],
    ['recordUsage', record({ properties: { 'no spaces': { text: 'x' } } }), 'properties.no spaces'],
    ['getUsageSummary', summary({ organizationId: '' }), 'organization_id'],
    ['getUsageSummary', summary({ from: 'last week' }), 'from'],
    ['getUsageSummary', summary({ from: '2026-02-01', to: '2026-01-01' }), 'to'],
    ['getUsageSummary', summary({ timeZone: 'Mars/Olympus_Mons' }), 'time_zone'],
    ['getUsageSummary', summary({ groupBy: ['model'] }), 'group_by[0]'],
    ['getUsageSummary', summary({ where: [{ key: 'model', values: ['gpt'] }] }), 'where[0].key'],
    ['getUsageSummary', summary({ where: [{ key: 'model', values: [] }] }), 'where[0].values'],
    ['getUsageSummary', summary({ windowSize: WindowSize.WINDOW_SIZE_HOUR, from: '2026-01-01', to: '2026-06-01' }), 'window_size'],
    ['getUsageSummary', summary({ windowSize: 42 as WindowSize }), 'window_size'],
    ['getUsageSummary', summary({ windowSize: WindowSize.WINDOW_SIZE_PERIOD, from: '2026-01-01T00:10:00Z', to: '2026-01-02' }), 'from'],
  ] as const)('%s with bad %s answers INVALID_ARGUMENT naming it', async (method, request, field) => {
    const err = await grpcError(rpc.call(UsageRpc[method] as grpc.MethodDefinition<object, unknown>, request));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(`${field}:`);
  });
});
