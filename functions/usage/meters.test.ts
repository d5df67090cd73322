/**
 * Meters against real PostgreSQL: every aggregation × window × time zone ×
 * group-by × filter compared with a naive model computed from the raw events,
 * with duplicates, late events, concurrent ingest and overlapping runs; and
 * the meter rules (no aggregation change, group-by changes regroup history,
 * UNIQUE_COUNT needs its property, group limits).
 */
import * as grpc from '@grpc/grpc-js';
import { CloudEvent } from 'cloudevents';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterAggregation as RpcAggregation, UsageService as UsageRpc, WindowSize, type UsageAggregate } from '../../proto/gen/polaris/usage/v1/usage.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, usageSummaryRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { naiveUsage, type NaiveAggregation, type NaiveEvent, type NaiveRow } from '../../test/support/naive-meters.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let rpc: ReturnType<typeof rpcClient>;
let tenant: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_MAX_GROUPS_PER_DAY: '12' } });
  rpc = rpcClient(host.grpcAddress);
  tenant = await createTenant(host.grpcAddress, 'Meters');
});

afterAll(async () => {
  rpc?.close();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const rpcAggregation: Record<NaiveAggregation, RpcAggregation> = {
  SUM: RpcAggregation.METER_AGGREGATION_SUM,
  COUNT: RpcAggregation.METER_AGGREGATION_COUNT,
  MAX: RpcAggregation.METER_AGGREGATION_MAX,
  LATEST: RpcAggregation.METER_AGGREGATION_LATEST,
  UNIQUE_COUNT: RpcAggregation.METER_AGGREGATION_UNIQUE_COUNT,
};
const rpcWindow = { HOUR: WindowSize.WINDOW_SIZE_HOUR, DAY: WindowSize.WINDOW_SIZE_DAY, MONTH: WindowSize.WINDOW_SIZE_MONTH, PERIOD: WindowSize.WINDOW_SIZE_PERIOD } as const;

function createMeter(metric: string, aggregation: NaiveAggregation, options: { valueProperty?: string; groupBy?: string[] } = {}) {
  return rpc.call(UsageRpc.createMeter, {
    metric,
    name: `${metric} meter`,
    aggregation: rpcAggregation[aggregation],
    valueProperty: options.valueProperty ?? '',
    groupBy: options.groupBy ?? [],
  });
}

function ingest(apiKey: string, body: unknown) {
  return fetch(`${host.http}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body) });
}

function aggregate() {
  return host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
}

/** The service's rows in the model's shape, in the model's order. */
function asRows(aggregates: UsageAggregate[]): NaiveRow[] {
  const rows = aggregates.map((a) => ({
    periodStart: a.periodStart,
    periodEnd: a.periodEnd,
    groups: a.groups.map((g) => ({ key: g.key, value: g.present ? g.value : null })),
    value: a.total,
  }));
  return sortRows(rows);
}

const sortRows = (rows: NaiveRow[]) =>
  [...rows].sort((a, b) => a.periodStart.localeCompare(b.periodStart) || JSON.stringify(a.groups).localeCompare(JSON.stringify(b.groups)));

const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago'];
const minute = 60_000;

describe('meters against a naive model of the raw events', () => {
  it('agrees for every aggregation, window, time zone, group-by and filter, with duplicates, late events and concurrent runs', async () => {
    const now = Date.now();
    let run = 0;
    const scenario = fc.record({
      aggregation: fc.constantFrom<NaiveAggregation>('SUM', 'COUNT', 'MAX', 'LATEST', 'UNIQUE_COUNT'),
      events: fc.array(
        fc.record({
          // Minutes before now, some on the same instant, so LATEST must break ties by id.
          minutesAgo: fc.oneof(fc.integer({ min: 0, max: 20 * 1440 }), fc.constantFrom(0, 60, 1440, 1441)),
          quantity: fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 99 })).map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`),
          model: fc.option(fc.constantFrom('gpt', 'claude', 'llama'), { nil: undefined }),
          region: fc.option(fc.constantFrom('eu', 'us'), { nil: undefined }),
          user: fc.constantFrom('u1', 'u2', 'u3', 'u4', 7, true),
          replayed: fc.boolean(),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      windowSize: fc.constantFrom('HOUR', 'DAY', 'MONTH', 'PERIOD') as fc.Arbitrary<'HOUR' | 'DAY' | 'MONTH' | 'PERIOD'>,
      timeZone: fc.constantFrom(...zones),
      groupBy: fc.subarray(['model', 'region']),
      where: fc.option(fc.subarray(['gpt', 'claude', 'llama'], { minLength: 1 }), { nil: undefined }),
      lateShare: fc.integer({ min: 0, max: 3 }),
    });

    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const metric = `m${run++}_${s.aggregation.toLowerCase()}`;
        await createMeter(metric, s.aggregation, { valueProperty: s.aggregation === 'UNIQUE_COUNT' ? 'user' : undefined, groupBy: ['model', 'region'] });
        const sent = s.events.map((e, i) => {
          const properties: Record<string, string | number | boolean> = { user: e.user };
          if (e.model) properties.model = e.model;
          if (e.region) properties.region = e.region;
          const timestamp = new Date(Math.floor((now - e.minutesAgo * minute) / 1000) * 1000);
          return { body: { metric, quantity: Number(e.quantity), timestamp: timestamp.toISOString(), idempotency_key: `${metric}-${i}`, properties }, event: e, timestamp, properties };
        });
        // Concurrent batches with overlapping runs; a share of the events arrives after the first runs (late), and replays after that.
        const lateFrom = Math.floor((sent.length * (4 - s.lateShare)) / 4);
        const first = sent.slice(0, lateFrom);
        const late = sent.slice(lateFrom);
        const answers = await Promise.all([
          ingest(tenant.apiKey, first.slice(0, first.length >> 1).map((x) => x.body)),
          ingest(tenant.apiKey, first.slice(first.length >> 1).map((x) => x.body)),
          aggregate(),
          aggregate(),
        ]);
        const ids = new Map<string, string>();
        for (const answer of answers.slice(0, 2) as Response[]) {
          if (answer.status === 400) continue; // an empty half
          const { results } = (await answer.json()) as { results: { status: string; id: string }[] };
          for (const result of results) expect(result.status).toBe('accepted');
        }
        await aggregate();
        if (late.length > 0) {
          const { results } = (await (await ingest(tenant.apiKey, late.map((x) => x.body))).json()) as { results: { status: string }[] };
          expect(results.map((r) => r.status)).toEqual(late.map(() => 'accepted'));
        }
        const replays = sent.filter((x) => x.event.replayed).map((x) => x.body);
        if (replays.length > 0) {
          const { results } = (await (await ingest(tenant.apiKey, replays)).json()) as { results: { status: string }[] };
          expect(results.every((r) => r.status === 'duplicate')).toBe(true);
        }
        await Promise.all([aggregate(), aggregate()]);

        const stored = await db.sql<{ id: string; idempotencyKey: string }[]>`
          select id, idempotency_key from usage.usage_events where org_id = ${tenant.organizationId} and metric = ${metric}`;
        for (const row of stored) ids.set(row.idempotencyKey, row.id);
        expect(ids.size).toBe(sent.length);
        const events: NaiveEvent[] = sent.map((x) => ({
          id: ids.get(x.body.idempotency_key)!,
          occurredAt: x.timestamp,
          // COUNT and UNIQUE_COUNT ignore it; a quantity sent is kept as sent.
          quantity: x.event.quantity,
          properties: x.properties,
        }));

        const from = new Date(now - 21 * 1440 * minute);
        const to = new Date(now + 1440 * minute);
        // PERIOD windows need quarter-hour bounds; the others start wherever the zone's windows do.
        const quarter = (at: Date) => new Date(Math.floor(at.getTime() / (15 * minute)) * 15 * minute);
        const query = {
          from: s.windowSize === 'PERIOD' ? quarter(from) : from,
          to: s.windowSize === 'PERIOD' ? quarter(to) : to,
          windowSize: s.windowSize,
          timeZone: s.timeZone,
          groupBy: s.groupBy,
          where: s.where ? [{ key: 'model', values: s.where }] : [],
        };
        const { aggregates } = await rpc.call(
          UsageRpc.getUsageSummary,
          usageSummaryRequest({
            organizationId: tenant.organizationId,
            metric,
            from: query.from.toISOString(),
            to: query.to.toISOString(),
            windowSize: rpcWindow[query.windowSize],
            timeZone: query.timeZone,
            groupBy: query.groupBy,
            where: query.where,
          }),
        );
        expect(asRows(aggregates)).toEqual(sortRows(naiveUsage(events, { aggregation: s.aggregation, valueProperty: 'user' }, query)));
      }),
      { numRuns: 30, endOnFailure: true },
    );
  }, 240_000);
});

describe('meter rules', () => {
  it('never changes an aggregation under events, and regroups history when the group-by keys change', async () => {
    await ingest(tenant.apiKey, { metric: 'tokens', quantity: 5, properties: { model: 'gpt' } });
    await ingest(tenant.apiKey, { metric: 'tokens', quantity: 7, properties: { model: 'claude' } });
    await aggregate();

    const changed = await grpcError(createMeter('tokens', 'MAX'));
    expect(changed.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(changed.details).toContain('aggregation:');

    // The history was counted without groups; the new key regroups it.
    const meter = await createMeter('tokens', 'SUM', { groupBy: ['model'] });
    expect(meter).toMatchObject({ metric: 'tokens', aggregation: RpcAggregation.METER_AGGREGATION_SUM, groupBy: ['model'] });
    await aggregate();
    const { aggregates } = await rpc.call(
      UsageRpc.getUsageSummary,
      usageSummaryRequest({ organizationId: tenant.organizationId, metric: 'tokens', windowSize: WindowSize.WINDOW_SIZE_MONTH, groupBy: ['model'] }),
    );
    expect(aggregates.map((a) => [a.groups[0]!.value, a.total])).toEqual([
      ['claude', '7'],
      ['gpt', '5'],
    ]);
    expect((await rpc.call(UsageRpc.listMeters, {})).meters.map((m) => m.metric)).toContain('tokens');
  });

  it('lists a summary by window, then by group values in group-by order, a value the events lack last', async () => {
    await createMeter('requests', 'COUNT', { groupBy: ['route', 'region'] });
    // Two whole days in the past (UTC), so no event is in the future whatever the hour.
    const second = new Date((Math.floor(Date.now() / 86_400_000) - 2) * 86_400_000);
    const first = new Date(second.getTime() - 86_400_000);
    const event = (day: Date, properties: Record<string, string>) => ({ metric: 'requests', timestamp: new Date(day.getTime() + 12 * 3_600_000).toISOString(), properties });
    const response = await ingest(tenant.apiKey, [
      event(second, { route: 'b', region: 'eu' }),
      event(second, { region: 'eu' }),
      event(second, { route: 'a' }),
      event(second, { route: 'a', region: 'us' }),
      event(second, { route: 'a', region: 'eu' }),
      event(first, { route: 'z', region: 'us' }),
    ]);
    const { results } = (await response.json()) as { results: { status: string }[] };
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('accepted'));
    await aggregate();

    const { aggregates } = await rpc.call(
      UsageRpc.getUsageSummary,
      usageSummaryRequest({
        organizationId: tenant.organizationId,
        metric: 'requests',
        from: first.toISOString(),
        to: new Date(second.getTime() + 86_400_000).toISOString(),
        windowSize: WindowSize.WINDOW_SIZE_DAY,
        groupBy: ['route', 'region'],
      }),
    );
    const value = (g: { value: string; present: boolean } | undefined) => (g!.present ? g!.value : '(none)');
    expect(aggregates.map((a) => [a.periodStart.slice(0, 10), value(a.groups[0]), value(a.groups[1]), a.total])).toEqual([
      [first.toISOString().slice(0, 10), 'z', 'us', '1'],
      [second.toISOString().slice(0, 10), 'a', 'eu', '1'],
      [second.toISOString().slice(0, 10), 'a', 'us', '1'],
      [second.toISOString().slice(0, 10), 'a', '(none)', '1'],
      [second.toISOString().slice(0, 10), 'b', 'eu', '1'],
      [second.toISOString().slice(0, 10), '(none)', 'eu', '1'],
    ]);
    expect(aggregates.every((a) => a.periodEnd === new Date(Date.parse(a.periodStart) + 86_400_000).toISOString())).toBe(true);
  });

  it('refuses a UNIQUE_COUNT event without its property, and a new group beyond the daily limit, storing nothing', async () => {
    await createMeter('seats', 'UNIQUE_COUNT', { valueProperty: 'user_id' });
    const missing = await ingest(tenant.apiKey, { metric: 'seats' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('properties.user_id');
    expect((await ingest(tenant.apiKey, { metric: 'seats', properties: { user_id: 'ada' } })).status).toBe(202);

    await createMeter('calls', 'COUNT', { groupBy: ['route'] });
    // The host allows 12 groups a day: a 13th is refused, a known one still counts.
    const routes = [...Array.from({ length: 13 }, (_, i) => `r${i}`), 'r0'];
    const batch = routes.map((route) => ({ metric: 'calls', properties: { route } }));
    const { results } = (await (await ingest(tenant.apiKey, batch)).json()) as { results: { status: string; error?: { message: string } }[] };
    expect(results.map((r) => r.status)).toEqual([...Array(12).fill('accepted'), 'rejected', 'accepted']);
    expect(results[12]!.error!.message).toContain('more than 12 groups');
    const [{ n }] = await db.sql<[{ n: number }]>`select count(*)::int as n from usage.usage_events where metric = 'calls'`;
    expect(n).toBe(13);
  });

  it.each([
    ['a meter of an unknown aggregation', { aggregation: RpcAggregation.METER_AGGREGATION_UNSPECIFIED }, 'aggregation'],
    ['UNIQUE_COUNT without its property', { aggregation: RpcAggregation.METER_AGGREGATION_UNIQUE_COUNT }, 'value_property'],
    ['a value property on SUM', { valueProperty: 'user' }, 'value_property'],
    ['a bad group-by key', { groupBy: ['ok', 'not ok'] }, 'group_by[1]'],
    ['a repeated group-by key', { groupBy: ['a', 'a'] }, 'group_by'],
    ['an empty name', { name: ' ' }, 'name'],
  ])('refuses %s, naming the field', async (_case, fields, field) => {
    const error = await grpcError(
      rpc.call(UsageRpc.createMeter, { metric: 'bad_meter', name: 'Bad', aggregation: RpcAggregation.METER_AGGREGATION_SUM, valueProperty: '', groupBy: [], ...fields }),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain(`${field}:`);
    expect((await rpc.call(UsageRpc.listMeters, {})).meters.map((m) => m.metric)).not.toContain('bad_meter');
  });
});
