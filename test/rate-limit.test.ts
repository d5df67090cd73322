/**
 * Each organization's limits at ingest and the gateway, over the real
 * services: counted per organization whatever key sends, answered 429 with
 * Retry-After and the RateLimit headers, storing nothing; events counted one
 * by one; an organization's own limits set by the operator; and one limit
 * held by two processes of the ingest bundle sharing the database.
 *
 * The defaults here are low (5 requests, 20 events and 3 GraphQL cost a
 * second, bursts of twice that), so a few sequential requests spend them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePath } from '../scripts/build.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { codes, dataOf, graphqlAt, operator, type Graphql } from './support/graphql.js';
import { startTestHost, type TestHost } from './support/host.js';
import { testAdminToken } from './support/grpc.js';
import { deleteStream } from './support/nats.js';
import { spawnBundleOnFreePort, waitForOk, type SpawnedFunction } from './support/process.js';
import { createTenant, type TestTenant } from './support/tenants.js';

const limits = {
  POLARIS_RATE_LIMIT_PER_SECOND: '5',
  POLARIS_RATE_LIMIT_INGEST_EVENTS_PER_SECOND: '20',
  POLARIS_RATE_LIMIT_GRAPHQL_COST_PER_SECOND: '3',
  // Every request asks Identity: an organization's new limits show at once.
  POLARIS_API_KEY_CACHE_SECONDS: '0',
};

let db: TestDatabase;
let host: TestHost;
let graphql: Graphql;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: limits });
  graphql = graphqlAt(host.http);
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

let sent = 0;
function ingest(at: string, apiKey: string, body: unknown = { metric: 'api_calls', quantity: 1, idempotency_key: `event-${(sent += 1)}` }) {
  return fetch(`${at}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body) });
}

async function secondKey(organizationId: string): Promise<string> {
  const data = dataOf(await graphql('mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [INGEST]) { apiKey } }', { o: organizationId }, operator));
  return data.createApiKey.apiKey;
}

async function setLimits(organizationId: string, limits: object) {
  return graphql(
    'mutation($o: ID!, $l: OrganizationLimitsInput!) { setOrganizationLimits(organizationId: $o, limits: $l) { id limits { ingestRequestsPerSecond ingestEventsPerSecond graphqlCostPerSecond enforced } } }',
    { o: organizationId, l: limits },
    operator,
  );
}

const storedEvents = async (organizationId: string) =>
  (await db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events where org_id = ${organizationId}`)[0]!.n;

describe('ingest limits per organization', () => {
  it("counts an organization's requests whatever key sends them, and leaves other organizations alone", async () => {
    const acme = await createTenant(host.grpcAddress, 'Acme');
    const keys = [acme.apiKey, await secondKey(acme.organizationId)];
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => ingest(host.http, keys[i % 2]!).then((answer) => answer.status)));
    const seconds = (Date.now() - started) / 1000;
    const accepted = statuses.filter((status) => status === 202).length;
    // A burst of 10, then 5 a second: per key it would be twice that.
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThanOrEqual(10 + Math.ceil(5 * seconds));
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 202 && status !== 429)).toEqual([]);
    expect(await storedEvents(acme.organizationId)).toBe(accepted);

    const globex = await createTenant(host.grpcAddress, 'Globex');
    expect((await ingest(host.http, globex.apiKey)).status).toBe(202);
  });

  it('answers 429 with Retry-After and the RateLimit headers, and stores nothing of the refused request', async () => {
    const tenant = await createTenant(host.grpcAddress);
    let refused: Response | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const answer = await ingest(host.http, tenant.apiKey, { metric: 'api_calls', quantity: 1, idempotency_key: `headers-${i}` });
      if (answer.status === 429) refused = answer;
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused!.headers.get('ratelimit-policy')).toBe('"ingest-requests";q=5;w=1');
    expect(refused!.headers.get('ratelimit')).toMatch(/^"ingest-requests";r=0;t=[1-9]\d*$/);
    expect(((await refused!.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const accepted = await storedEvents(tenant.organizationId);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events where org_id = ${tenant.organizationId} and idempotency_key = ${`headers-${accepted}`}`;
    expect(row!.n).toBe(0);
  });

  it('tells an accepted request what its limits have left, in the RateLimit headers', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const first = await ingest(host.http, tenant.apiKey);
    const second = await ingest(host.http, tenant.apiKey);
    const remaining = (answer: Response) => [...answer.headers.get('ratelimit')!.matchAll(/;r=(\d+);t=\d+/g)].map((match) => Number(match[1]));
    for (const answer of [first, second]) {
      expect(answer.status).toBe(202);
      expect(answer.headers.get('ratelimit-policy')).toBe('"ingest-requests";q=5;w=1, "ingest-events";q=20;w=1');
      expect(answer.headers.get('ratelimit')).toMatch(/^"ingest-requests";r=\d+;t=\d+, "ingest-events";r=\d+;t=\d+$/);
    }
    // A burst of 10 requests and 40 events: each request takes one of both.
    expect(remaining(first)).toEqual([9, 39]);
    // The second took one more of each; on a busy machine the refill (an event
    // every 50 ms, a request every 200) may have brought one back meanwhile.
    const [requests, events] = remaining(second);
    expect([8, 9]).toContain(requests);
    expect([38, 39]).toContain(events);
  });

  it('counts events, not requests: a batch takes one per event', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const batch = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ metric: 'api_calls', quantity: 1, idempotency_key: `${prefix}-${i}` }));
    expect((await ingest(host.http, tenant.apiKey, batch(30, 'first'))).status).toBe(200);
    // 10 of the burst of 40 are left (and a few more by the time this is sent): 30 more are not.
    const refused = await ingest(host.http, tenant.apiKey, batch(30, 'second'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"ingest-events";q=20;w=1');
    expect(await storedEvents(tenant.organizationId)).toBe(30);
  });
});

describe("each organization's share of the requests in flight", () => {
  async function shareWaits(limit: string): Promise<number> {
    const metrics = await (await fetch(`${host.http}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith(`polaris_rate_limit_share_waits_total{`) && l.includes(`limit="${limit}"`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('holds an organization beyond its share while another sends, answers every request, and holds none while it is alone', async () => {
    const flood = await createTenant(host.grpcAddress, 'Flood');
    const quiet = await createTenant(host.grpcAddress, 'Quiet');
    // 250 requests a second: a share of one in flight.
    dataOf(await setLimits(flood.organizationId, { ingestRequestsPerSecond: 250, ingestEventsPerSecond: 1000 }));
    const concurrently = (count: number) => Promise.all(Array.from({ length: count }, () => ingest(host.http, flood.apiKey).then((r) => r.status)));

    // Alone (no other organization within the last second): nothing waits.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const before = await shareWaits('ingest-requests');
    expect(await concurrently(10)).toEqual(Array(10).fill(202));
    expect(await shareWaits('ingest-requests')).toBe(before);

    // Shared: beyond the first in flight, the flood's requests wait their turn, and all go through.
    expect((await ingest(host.http, quiet.apiKey)).status).toBe(202);
    expect(await concurrently(10)).toEqual(Array(10).fill(202));
    expect(await shareWaits('ingest-requests')).toBeGreaterThan(before);
    expect(await storedEvents(flood.organizationId)).toBe(20);
  });
});

describe('GraphQL limits per organization', () => {
  it('answers 429 with RATE_LIMITED, retryAfter and the RateLimit headers once the cost is spent', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const ask = () => fetch(`${host.http}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey }, body: '{"query":"{ me { id } }"}' });
    let refused: Response | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const answer = await ask();
      if (answer.status === 429) refused = answer;
      else expect(answer.status).toBe(200);
    }
    expect(refused).toBeDefined();
    expect(refused!.headers.get('ratelimit-policy')).toBe('"graphql-cost";q=3;w=1');
    expect(refused!.headers.get('ratelimit')).toMatch(/^"graphql-cost";r=0;t=[1-9]\d*$/);
    const body = (await refused!.json()) as { data: null; errors: { extensions: { code: string; retryAfter: number } }[] };
    expect(body.data).toBeNull();
    expect(body.errors[0]!.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: Number(refused!.headers.get('retry-after')) });
  });

  it('tells an accepted request what its cost left, in the RateLimit headers', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const answer = await fetch(`${host.http}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey }, body: '{"query":"{ me { id } }"}' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-policy')).toBe('"graphql-cost";q=3;w=1');
    // A burst of 6; \`me\` costs 1.
    expect(answer.headers.get('ratelimit')).toMatch(/^"graphql-cost";r=5;t=\d+$/);
  });

  it('never limits the operator', async () => {
    for (let i = 0; i < 12; i++) expect((await graphql('{ organizations { id } }', {}, operator)).status).toBe(200);
  });
});

describe("an organization's own limits, set by the operator", () => {
  it('replace the defaults at once, show on Organization, and go back to the defaults when left out', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const set = dataOf(await setLimits(tenant.organizationId, { ingestRequestsPerSecond: 100, ingestEventsPerSecond: 1000 }));
    expect(set.setOrganizationLimits.limits).toEqual({ ingestRequestsPerSecond: 100, ingestEventsPerSecond: 1000, graphqlCostPerSecond: 3, enforced: true });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await ingest(host.http, tenant.apiKey)).status);
    // 30 in a row, well past the default burst of 10.
    expect(statuses.every((status) => status === 202)).toBe(true);

    const own = dataOf(await graphql('{ me { limits { ingestRequestsPerSecond graphqlCostPerSecond } } }', {}, { apiKey: tenant.apiKey }));
    expect(own.me.limits).toEqual({ ingestRequestsPerSecond: 100, graphqlCostPerSecond: 3 });

    const reset = dataOf(await setLimits(tenant.organizationId, {}));
    expect(reset.setOrganizationLimits.limits).toMatchObject({ ingestRequestsPerSecond: 5, ingestEventsPerSecond: 20 });
    const entries = dataOf(await graphql('query($o: ID) { auditLog(organizationId: $o, action: "organization.set_limits") { actor target } }', { o: tenant.organizationId }, operator));
    expect(entries.auditLog).toEqual([
      { actor: 'operator', target: `organization:${tenant.organizationId}` },
      { actor: 'operator', target: `organization:${tenant.organizationId}` },
    ]);
  });

  it('refuses bad limits naming the field, and an unknown organization', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const negative = await setLimits(tenant.organizationId, { ingestRequestsPerSecond: -1, graphqlCostPerSecond: 20_000_000 });
    expect(codes(negative.body)).toEqual(['BAD_USER_INPUT']);
    expect(negative.body.errors[0].extensions.fields.map((f: { field: string }) => f.field)).toEqual(['ingestRequestsPerSecond', 'graphqlCostPerSecond']);
    // 0 is "the default" only over gRPC; in GraphQL a limit is left out for that.
    const zero = await setLimits(tenant.organizationId, { ingestEventsPerSecond: 0 });
    expect(zero.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(zero.body.errors[0].extensions.fields.map((f: { field: string }) => f.field)).toEqual(['ingestEventsPerSecond']);
    const fraction = await setLimits(tenant.organizationId, { ingestEventsPerSecond: 1.5 });
    expect(codes(fraction.body)).toEqual(['BAD_USER_INPUT']);
    expect(fraction.body.errors[0].message).toContain('ingestEventsPerSecond');
    const unknown = await setLimits('00000000-0000-4000-8000-000000000000', { ingestRequestsPerSecond: 10 });
    expect(codes(unknown.body)).toEqual(['NOT_FOUND']);
    const notId = await setLimits('acme', { ingestRequestsPerSecond: 10 });
    expect(codes(notId.body)).toEqual(['BAD_USER_INPUT']);
    const byTenant = await graphql('mutation($o: ID!) { setOrganizationLimits(organizationId: $o, limits: { ingestRequestsPerSecond: 1000000 }) { id } }', { o: tenant.organizationId }, { apiKey: tenant.apiKey });
    expect(codes(byTenant.body)).toEqual(['FORBIDDEN']);
  });
});

describe('one limit across two instances of ingest', () => {
  // Two processes of the ingest bundle, as Knative runs two pods of it: each
  // with its own caches and leases, on the same database, asking the host's
  // Identity for keys.
  const instances: SpawnedFunction[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const instance = await spawnBundleOnFreePort(bundlePath('ingest'), {
        ...limits,
        DATABASE_URL: db.url,
        POLARIS_ADMIN_TOKEN: testAdminToken,
        POLARIS_GRPC_ADDRESS: host.grpcAddress,
        K_SERVICE: 'ingest',
        K_REVISION: `ingest-0000${i + 1}`,
      });
      instances.push(instance);
      await waitForOk(`http://127.0.0.1:${instance.port}/health/liveness`, 60_000);
    }
  });

  afterAll(async () => {
    for (const instance of instances) {
      instance.child.kill('SIGTERM');
      await instance.exited;
    }
  });

  it("accepts no more than the organization's allowance, whichever instance each request reaches", async () => {
    const tenant: TestTenant = await createTenant(host.grpcAddress);
    // 1 a second, a burst of 2: each instance on its own would accept 2 at once.
    dataOf(await setLimits(tenant.organizationId, { ingestRequestsPerSecond: 1 }));
    const started = Date.now();
    const [first, second] = instances.map((instance) => `http://127.0.0.1:${instance.port}`);
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => ingest(i % 2 === 0 ? first! : second!, tenant.apiKey).then((r) => r.status)));
    const seconds = (Date.now() - started) / 1000;
    const accepted = statuses.filter((status) => status === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(2 + Math.floor(seconds));
    expect(statuses.filter((status) => status !== 202 && status !== 429)).toEqual([]);
    expect(await storedEvents(tenant.organizationId)).toBe(accepted);
  });
});
