/**
 * NATS stopped during ingest and aggregation, then started again: ingest keeps
 * answering, and afterwards every usage.recorded and aggregate.updated is on
 * the stream exactly once.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '../../scripts/local/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { waitForStream, type StoredEvent } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let nats: NatsServerHandle;
let host: TestHost;
let tenant: TestTenant;
const stateDir = mkdtempSync(join(tmpdir(), 'polaris-nats-outage-'));

beforeAll(async () => {
  chmodSync(stateDir, 0o755);
  db = await createTestDatabase();
  nats = await startNatsServer({ stateDir });
  host = await startTestHost({ databaseUrl: db.url, env: { NATS_URL: nats.url } });
  tenant = await createTenant(host.grpcAddress);
});

afterAll(async () => {
  await host?.close();
  await nats?.stop();
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function ingest(from: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) {
    const response = await fetch(`${host.http}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
      body: JSON.stringify({ metric: i % 2 ? 'api_calls' : 'storage_gb', quantity: i, idempotency_key: `outage-${i}` }),
    });
    expect(response.status).toBe(202);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

const aggregate = () => host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
const ofType = (events: StoredEvent[], type: string) => events.filter((e) => e.event.type === `dev.polaris.${type}`);

describe('NATS down and back', () => {
  it('loses and doubles nothing', async () => {
    const before = await ingest(0, 10);
    await aggregate();
    await waitForStream(nats.url, host.stream.stream, (events) => ofType(events, 'usage.recorded').length === 10);

    await nats.stop();
    const during = await ingest(10, 15);
    await aggregate();
    // A row lists the events committed together by id (a JSON array), or holds one event.
    const [backlog] = await db.sql<{ n: number }[]>`
      select coalesce(sum(events), 0)::int as n from usage.outbox`;
    expect(backlog!.n).toBeGreaterThanOrEqual(15);

    nats = await startNatsServer({ stateDir, port: nats.port });
    const events = await waitForStream(
      nats.url,
      host.stream.stream,
      (all) => ofType(all, 'usage.recorded').length >= 25 && ofType(all, 'aggregate.updated').length >= 4,
      20_000,
    );
    const recorded = ofType(events, 'usage.recorded').map((e) => e.event.id);
    expect(recorded.sort()).toEqual([...before, ...during].sort());
    const updates = ofType(events, 'aggregate.updated');
    // Two runs, each changing two (metric, day) totals; the last totals are the sums.
    expect(updates).toHaveLength(4);
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    const sum = (parity: number) => String(Array.from({ length: 25 }, (_, i) => i).filter((i) => i % 2 === parity).reduce((a, b) => a + b, 0));
    expect(updates.slice(2).map((e) => e.event.data.total).sort()).toEqual([sum(0), sum(1)].sort());
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from usage.outbox`;
    expect(left!.n).toBe(0);
  }, 60_000);
});
