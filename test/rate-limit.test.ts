/** The per-credential rate limit at ingest and the gateway: 429 with Retry-After, nothing stored. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestHost, type TestHost } from './support/host.js';
import { deleteStream } from './support/nats.js';
import { createTenant, type TestTenant } from './support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let tenant: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_RATE_LIMIT_PER_SECOND: '1', POLARIS_RATE_LIMIT_BURST: '2' } });
  tenant = await createTenant(host.grpcAddress);
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

describe('rate limit per API key', () => {
  it('answers ingest 429 with Retry-After once the burst is spent, storing nothing', async () => {
    const send = (key: string) =>
      fetch(`${host.http}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey }, body: JSON.stringify({ metric: 'api_calls', quantity: 1, idempotency_key: key }) });
    expect((await send('a')).status).toBe(202);
    expect((await send('b')).status).toBe(202);
    const limited = await send('c');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events where idempotency_key = 'c'`;
    expect(row!.n).toBe(0);
  });

  it('answers GraphQL 429 with a coded error', async () => {
    const ask = () =>
      fetch(`${host.http}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `${tenant.apiKey}` }, body: '{"query":"{ me { id } }"}' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await ask();
      statuses.push(last.status);
    }
    expect(statuses).toContain(429);
    expect(last!.headers.get('retry-after')).toBeTruthy();
    expect(((await last!.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
  });
});
