/**
 * Fault: the ingest function is stopped (SIGTERM) and started again, three
 * times, while clients send events and retry with the same idempotency keys.
 * Every event that got a 2xx is counted exactly once after aggregation.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deleteStream } from '../support/nats.js';
import { BundleSet } from './bundles.js';
import { ingestUnderFaults, summarize } from './retrying-client.js';

const suffix = randomBytes(4).toString('hex');
let db: TestDatabase;
let bundles: BundleSet;

beforeAll(async () => {
  db = await createTestDatabase();
  bundles = await BundleSet.start(['validate-api-key', 'create-organization', 'ingest', 'aggregate'], {
    DATABASE_URL: db.url,
    POLARIS_NATS_STREAM: `TEST_FAULT_${suffix}`,
    POLARIS_NATS_SUBJECT_PREFIX: `test.fault.${suffix}`,
  });
}, 120_000);

afterAll(async () => {
  bundles?.killAll();
  await deleteStream('nats://127.0.0.1:4222', `TEST_FAULT_${suffix}`);
  await db?.drop();
});

describe('SIGTERM under load', () => {
  it('counts every acknowledged event exactly once', async () => {
    const tenant = await bundles.createTenant();
    const exitCodes: Array<number | string> = [];
    let restarts = 0;
    const chaos = (async () => {
      for (let round = 0; round < 3; round++) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        exitCodes.push(await bundles.stop('ingest'));
        await bundles.startOne('ingest');
        restarts += 1;
      }
    })();
    const report = await ingestUnderFaults({ url: bundles.url('ingest'), apiKey: tenant.apiKey, workers: 8, eventsPerWorker: 60, prefix: 'sigterm' });
    await chaos;

    const run = await fetch(`${bundles.url('aggregate')}/`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': `run-${suffix}`, 'ce-source': '/test', 'ce-type': 'dev.polaris.aggregation.requested', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(run.status).toBe(202);

    const rows = await db.sql<{ key: string; n: number }[]>`
      select idempotency_key as key, count(*)::int as n from usage.usage_events where org_id = ${tenant.organizationId} group by 1`;
    const stored = new Map(rows.map((row) => [row.key, row.n]));
    const lost = [...report.acknowledged.keys()].filter((key) => !stored.has(key));
    const duplicates = rows.filter((row) => row.n > 1);
    const [aggregate] = await db.sql<{ total: string }[]>`
      select coalesce(sum(quantity_sum), 0)::text as total from usage.meter_buckets where org_id = ${tenant.organizationId} and width_minutes = 1440`;
    const acknowledgedTotal = [...report.acknowledged.values()].reduce((a, b) => a + b, 0);

    console.log(summarize('sigterm-under-load', report, { restarts, lost: lost.length, duplicates: duplicates.length }));
    expect(exitCodes).toEqual([0, 0, 0]);
    expect(report.unexpected).toEqual([]);
    expect(report.unacknowledged).toEqual([]);
    expect(lost).toEqual([]);
    expect(duplicates).toEqual([]);
    // Retried requests whose first attempt committed are still one event each.
    expect(stored.size).toBe(report.acknowledged.size);
    expect(Number(aggregate!.total)).toBe(acknowledgedTotal);
  }, 120_000);
});
