/**
 * Fault, through `npm start` as a whole: NATS stops while usage keeps
 * arriving and aggregation keeps running, then comes back. Ingest answers
 * throughout; afterwards every usage.recorded and aggregate.updated is on the
 * stream once, and the draft invoice converges on the full usage.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '../../scripts/local/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readStream } from '../support/nats.js';
import { graphqlCall, startPolaris, type PolarisProcess } from '../support/polaris-process.js';

const stateDir = mkdtempSync(join(tmpdir(), 'polaris-nats-fault-'));
const suffix = randomBytes(4).toString('hex');
const stream = `TEST_E2E_${suffix}`;
let db: TestDatabase;
let nats: NatsServerHandle;
let polaris: PolarisProcess;

beforeAll(async () => {
  chmodSync(stateDir, 0o755);
  db = await createTestDatabase({ migrate: false });
  nats = await startNatsServer({ stateDir });
  polaris = await startPolaris({
    DATABASE_URL: db.url,
    NATS_URL: nats.url,
    POLARIS_STATE_DIR: stateDir,
    POLARIS_NATS_STREAM: stream,
    POLARIS_NATS_SUBJECT_PREFIX: `test.e2e.${suffix}`,
    POLARIS_AGGREGATION_INTERVAL: '1',
  });
}, 90_000);

afterAll(async () => {
  await polaris?.stop();
  await nats?.stop();
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('NATS down and back, end to end', () => {
  it('keeps ingest answering, loses and doubles no event, and converges the invoice', async () => {
    const operator = { authorization: `Bearer ${polaris.adminToken}` };
    const created = await graphqlCall(polaris.http, 'mutation { createOrganization(name: "Converging") { organization { id } apiKey } }', {}, operator);
    const { organization, apiKey } = created.data.createOrganization;
    await graphqlCall(
      polaris.http,
      'mutation($o: ID!) { setPlan(organizationId: $o, name: "API", metric: "api_calls", unitPrice: "0.01", freeQuota: 0) { id } }',
      { o: organization.id },
      operator,
    );
    const ingest = async (from: number, count: number) => {
      const ids: string[] = [];
      for (let i = from; i < from + count; i++) {
        const response = await fetch(`${polaris.http}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify({ metric: 'api_calls', quantity: 10, idempotency_key: `e2e-${i}` }),
        });
        expect(response.status).toBe(202);
        ids.push(((await response.json()) as { id: string }).id);
      }
      return ids;
    };
    const draftAmount = async () => (await graphqlCall(polaris.http, '{ invoices { status amount } }', {}, { 'x-api-key': apiKey })).data?.invoices?.[0]?.amount;

    const before = await ingest(0, 10);
    await waitFor('the draft to price the first events', async () => ((await draftAmount()) === '1.00' ? true : undefined));

    await nats.stop();
    const during = await ingest(10, 20);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // aggregation runs while NATS is down
    nats = await startNatsServer({ stateDir, port: nats.port });

    await waitFor('the draft to converge', async () => ((await draftAmount()) === '3.00' ? true : undefined), 60_000);
    const events = await readStream(nats.url, stream);
    const recorded = events.filter((e) => e.event.type === 'dev.polaris.usage.recorded').map((e) => e.event.id);
    expect(recorded.sort()).toEqual([...before, ...during].sort());
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    const updates = events.filter((e) => e.event.type === 'dev.polaris.aggregate.updated');
    expect(updates.at(-1)!.event.data.total).toBe('300');
    console.log(`faults: nats-down-end-to-end events=${recorded.length} aggregate.updated=${updates.length} duplicates=${events.length - new Set(events.map((e) => e.event.id)).size} lost=0 invoice=3.00`);
    expect(await polaris.stop()).toBe(0);
  }, 120_000);
});
