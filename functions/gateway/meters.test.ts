/**
 * Meters and event properties through the GraphQL gateway, over the real
 * services: the operator defines meters, tenants see them, record events
 * with properties and read usage by window, time zone, group and filter;
 * bad input gets BAD_USER_INPUT naming the field.
 */
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { testAdminToken } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let acme: TestTenant;
let globex: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  acme = await createTenant(host.grpcAddress, 'Acme');
  globex = await createTenant(host.grpcAddress, 'Globex');
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Credentials = { apiKey?: string; bearer?: string };

async function graphql(query: string, variables: object = {}, credentials: Credentials = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
  if (credentials.bearer) headers.authorization = `Bearer ${credentials.bearer}`;
  const response = await fetch(`${host.http}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as Json };
}

const operator: Credentials = { bearer: testAdminToken };
const tenant = () => ({ apiKey: acme.apiKey });
const codes = (body: Json) => (body.errors ?? []).map((e: Json) => e.extensions.code);
/** The fields a BAD_USER_INPUT names. */
const fieldsOf = (body: Json) => (body.errors ?? []).flatMap((e: Json) => (e.extensions.fields ?? []).map((f: Json) => f.field));

async function aggregate() {
  await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
}

const createMeter = `mutation($metric: String!, $name: String!, $aggregation: MeterAggregation!, $valueProperty: String, $groupBy: [String!]) {
  createMeter(metric: $metric, name: $name, aggregation: $aggregation, valueProperty: $valueProperty, groupBy: $groupBy) { metric name aggregation valueProperty groupBy }
}`;
const recordUsage = `mutation($metric: String!, $quantity: Int, $timestamp: String, $properties: EventProperties) {
  recordUsage(metric: $metric, quantity: $quantity, timestamp: $timestamp, properties: $properties)
}`;
const usage = `query($metric: String!, $from: String, $to: String, $windowSize: WindowSize, $timeZone: String, $groupBy: [String!], $where: [PropertyFilter!]) {
  usage(metric: $metric, from: $from, to: $to, windowSize: $windowSize, timeZone: $timeZone, groupBy: $groupBy, where: $where) {
    metric total value periodStart periodEnd groups { key value }
  }
}`;

/** The start of the current UTC hour, minus `hours`, plus `minutes`. */
function hourAgo(hours: number, minutes = 0): Date {
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  return new Date(hour - hours * 3_600_000 + minutes * 60_000);
}

describe('meters', () => {
  it('are created by the operator, and changed in name and groupBy only', async () => {
    const created = await graphql(createMeter, { metric: 'requests', name: 'Requests', aggregation: 'SUM', groupBy: ['region'] }, operator);
    expect(created.body).toEqual({
      data: { createMeter: { metric: 'requests', name: 'Requests', aggregation: 'SUM', valueProperty: null, groupBy: ['region'] } },
    });
    const seats = await graphql(createMeter, { metric: 'seats', name: 'Seats', aggregation: 'UNIQUE_COUNT', valueProperty: 'user_id', groupBy: [] }, operator);
    expect(seats.body.data.createMeter).toEqual({ metric: 'seats', name: 'Seats', aggregation: 'UNIQUE_COUNT', valueProperty: 'user_id', groupBy: [] });
    // A literal enum, and groupBy left out.
    const storage = await graphql('mutation { createMeter(metric: "storage_gb", name: "Storage", aggregation: LATEST) { aggregation groupBy } }', {}, operator);
    expect(storage.body.data.createMeter).toEqual({ aggregation: 'LATEST', groupBy: [] });

    const renamed = await graphql(createMeter, { metric: 'requests', name: 'API requests', aggregation: 'SUM', groupBy: ['region', 'tier'] }, operator);
    expect(renamed.body.data.createMeter).toMatchObject({ name: 'API requests', groupBy: ['region', 'tier'] });
  });

  it('are refused to tenants (FORBIDDEN) and to anonymous callers (UNAUTHENTICATED)', async () => {
    const variables = { metric: 'sneaky', name: 'Sneaky', aggregation: 'COUNT' };
    expect(codes((await graphql(createMeter, variables, tenant())).body)).toEqual(['FORBIDDEN']);
    expect(codes((await graphql(createMeter, variables)).body)).toEqual(['UNAUTHENTICATED']);
    expect(codes((await graphql('{ meters { metric } }')).body)).toEqual(['UNAUTHENTICATED']);
  });

  it('are listed to tenants and to the operator', async () => {
    for (const credentials of [tenant(), { apiKey: globex.apiKey }, operator]) {
      const { body } = await graphql('{ meters { metric name aggregation valueProperty groupBy } }', {}, credentials);
      expect(body.data.meters).toEqual(
        expect.arrayContaining([
          { metric: 'requests', name: 'API requests', aggregation: 'SUM', valueProperty: null, groupBy: ['region', 'tier'] },
          { metric: 'seats', name: 'Seats', aggregation: 'UNIQUE_COUNT', valueProperty: 'user_id', groupBy: [] },
        ]),
      );
      expect(body.data.meters.map((meter: Json) => meter.metric)).not.toContain('sneaky');
    }
  });
});

describe('usage by window, time zone, group and filter', () => {
  // Kathmandu is UTC+05:45: its hours start at a quarter past the UTC hour.
  const first = hourAgo(2, 10);
  const second = hourAgo(2, 20);

  beforeAll(async () => {
    const events = [
      { metric: 'requests', quantity: 5, timestamp: first.toISOString(), properties: { region: 'eu', tier: 'pro', premium: true, cpu: 2.5 } },
      { metric: 'requests', quantity: 7, timestamp: second.toISOString(), properties: { region: 'eu', tier: 'free' } },
      { metric: 'requests', quantity: 11, timestamp: second.toISOString(), properties: { region: 'us' } },
      { metric: 'requests', quantity: 13, timestamp: second.toISOString() },
      // UNIQUE_COUNT: no quantity, two distinct users.
      { metric: 'seats', timestamp: first.toISOString(), properties: { user_id: 'u1' } },
      { metric: 'seats', timestamp: second.toISOString(), properties: { user_id: 'u2' } },
      { metric: 'seats', timestamp: second.toISOString(), properties: { user_id: 'u1' } },
    ];
    for (const event of events) {
      const { body } = await graphql(recordUsage, event, tenant());
      expect(body, JSON.stringify(event)).toEqual({ data: { recordUsage: true } });
    }
    // An object literal too, numbers kept as written.
    const literal = await graphql(
      `mutation { recordUsage(metric: "requests", quantity: 17, timestamp: "${second.toISOString()}", properties: { region: "ap", weight: 1.50, beta: false }) }`,
      {},
      tenant(),
    );
    expect(literal.body).toEqual({ data: { recordUsage: true } });
    await aggregate();
  });

  // Usage answers the windows whose start lies in [from, to).
  const window = { from: hourAgo(4).toISOString(), to: hourAgo(-1).toISOString(), windowSize: 'HOUR', timeZone: 'Asia/Kathmandu' };
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const utcDays = { from: day(first), to: day(new Date(second.getTime() + 86_400_000)), windowSize: 'DAY', timeZone: 'UTC' };
  const byStart = (a: Json, b: Json) => Date.parse(a.periodStart) - Date.parse(b.periodStart) || String(a.groups[0]?.value).localeCompare(String(b.groups[0]?.value));

  it('groups HOUR windows in Asia/Kathmandu by region, filtered by where', async () => {
    const { body } = await graphql(usage, { metric: 'requests', ...window, groupBy: ['region'], where: [{ key: 'region', values: ['eu', 'us'] }] }, tenant());
    expect(body.errors).toBeUndefined();
    const aggregates = [...body.data.usage].sort(byStart);
    expect(aggregates).toHaveLength(3);
    const quarterPast = (date: Date) => new Date(Math.floor((date.getTime() - 15 * 60_000) / 3_600_000) * 3_600_000 + 15 * 60_000).getTime();
    expect(aggregates.map((a: Json) => [Date.parse(a.periodStart), Date.parse(a.periodEnd) - Date.parse(a.periodStart), a.groups, a.value, a.total])).toEqual([
      [quarterPast(first), 3_600_000, [{ key: 'region', value: 'eu' }], '5', 5],
      [quarterPast(second), 3_600_000, [{ key: 'region', value: 'eu' }], '7', 7],
      [quarterPast(second), 3_600_000, [{ key: 'region', value: 'us' }], '11', 11],
    ]);
  });

  it('answers null for a group whose events lack the key', async () => {
    const { body } = await graphql(usage, { metric: 'requests', ...window, groupBy: ['region'] }, tenant());
    const groups = body.data.usage.filter((a: Json) => Date.parse(a.periodStart) <= second.getTime() && second.getTime() < Date.parse(a.periodEnd));
    const byRegion = new Map(groups.map((a: Json) => [a.groups[0].value, a.value]));
    expect(byRegion).toEqual(
      new Map([
        ['ap', '17'],
        ['eu', '7'],
        ['us', '11'],
        [null, '13'],
      ]),
    );
  });

  it('counts distinct values of valueProperty, with quantity left out', async () => {
    // Ten minutes apart within one UTC hour, so one UTC day.
    const { body } = await graphql(usage, { metric: 'seats', ...utcDays }, tenant());
    expect(body.data.usage).toMatchObject([{ metric: 'seats', value: '2', total: 2, groups: [] }]);
  });

  it('answers v1 usage(metric, from, to) as before: daily UTC sums', async () => {
    const { body } = await graphql(
      'query($from: String, $to: String) { usage(metric: "requests", from: $from, to: $to) { metric total periodStart periodEnd } }',
      { from: day(first), to: day(new Date(second.getTime() + 86_400_000)) },
      tenant(),
    );
    expect(body.data.usage).toEqual([
      { metric: 'requests', total: 5 + 7 + 11 + 13 + 17, periodStart: expect.stringMatching(/T00:00:00(\.000)?Z$/), periodEnd: expect.any(String) },
    ]);
    const [only] = body.data.usage;
    expect(Date.parse(only.periodEnd) - Date.parse(only.periodStart)).toBe(86_400_000);
  });

  it('shows one organization none of another’s usage', async () => {
    const { body } = await graphql(usage, { metric: 'requests', ...window, groupBy: ['region'] }, { apiKey: globex.apiKey });
    expect(body.data.usage).toEqual([]);
  });

  it('is the operator’s through organization(id) { usage }', async () => {
    const { body } = await graphql(
      'query($o: ID!, $from: String, $to: String, $w: WindowSize, $z: String) { organization(id: $o) { usage(metric: "requests", from: $from, to: $to, windowSize: $w, timeZone: $z, where: [{ key: "region", values: ["us"] }]) { value } } }',
      { o: acme.organizationId, from: window.from, to: window.to, w: 'HOUR', z: 'Asia/Kathmandu' },
      operator,
    );
    expect(body.data.organization.usage).toEqual([{ value: '11' }]);
  });
});

describe('bad input gets BAD_USER_INPUT naming the field', () => {
  it.each([
    ['an unknown groupBy key', { metric: 'requests', groupBy: ['colour'] }, /^groupBy\b/],
    ['an unknown time zone', { metric: 'requests', timeZone: 'Mars/Olympus_Mons' }, /^timeZone$/],
  ])('usage with %s', async (_what, variables, field) => {
    const { body } = await graphql(usage, variables, tenant());
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toContainEqual(expect.stringMatching(field));
  });

  it('a windowSize that is not one', async () => {
    const { status, body } = await graphql(usage, { metric: 'requests', windowSize: 'WEEK' }, tenant());
    expect(status).toBe(400);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
  });

  it('a meter redefined with another aggregation, also over a metric with v1 events', async () => {
    const { body } = await graphql(createMeter, { metric: 'requests', name: 'Requests', aggregation: 'COUNT' }, operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toContain('aggregation');

    expect((await graphql(recordUsage, { metric: 'legacy_calls', quantity: 3 }, tenant())).body.data.recordUsage).toBe(true);
    const legacy = await graphql(createMeter, { metric: 'legacy_calls', name: 'Calls', aggregation: 'MAX' }, operator);
    expect(codes(legacy.body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(legacy.body)).toContain('aggregation');
    // The meter is as it was.
    const { body: listed } = await graphql('{ meters { metric aggregation } }', {}, operator);
    expect(listed.data.meters).toContainEqual({ metric: 'requests', aggregation: 'SUM' });
    expect(listed.data.meters.map((meter: Json) => meter.metric)).not.toContain('legacy_calls');
  });

  it.each([
    ['a list', { x: [1] }],
    ['an object', { x: { y: 1 } }],
    ['null', { x: null }],
  ])('a property value that is %s, as a variable', async (_what, properties) => {
    const { status, body } = await graphql(recordUsage, { metric: 'requests', quantity: 1, properties }, tenant());
    expect(status).toBe(400);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toEqual(['properties.x']);
  });

  it('a property value of the wrong type in a literal, and properties that are no object', async () => {
    const literal = await graphql('mutation { recordUsage(metric: "requests", quantity: 1, properties: { x: [1] }) }', {}, tenant());
    expect(codes(literal.body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(literal.body)).toEqual(['properties.x']);
    const text = await graphql('mutation { recordUsage(metric: "requests", quantity: 1, properties: "region=eu") }', {}, tenant());
    expect(codes(text.body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(text.body)).toEqual(['properties']);
  });

  it('takes numbers written with an exponent, in a literal and as a variable', async () => {
    const literal = await graphql('mutation { recordUsage(metric: "requests", quantity: 1, properties: { size: 1.5e21, tiny: 2E-7 }) }', {}, tenant());
    expect(literal.body).toEqual({ data: { recordUsage: true } });
    const variable = await graphql(recordUsage, { metric: 'requests', quantity: 1, properties: { size: 1.5e21 } }, tenant());
    expect(variable.body).toEqual({ data: { recordUsage: true } });
  });

  it('a property the service refuses keeps its key as sent (properties.user_id, not properties.userId)', async () => {
    const { body } = await graphql(recordUsage, { metric: 'requests', quantity: 1, properties: { user_id: 'x'.repeat(257) } }, tenant());
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toEqual(['properties.user_id']);
  });
});
