/**
 * Fault: the functions' PostgreSQL sessions are terminated (as a failover or
 * a restart of the server would) while clients send events. Requests fail
 * with a retryable 503 and Retry-After, never a false 2xx, and the functions
 * recover without a restart.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { deleteStream } from '../support/nats.js';
import { BundleSet } from './bundles.js';
import { ingestUnderFaults, summarize } from './retrying-client.js';

const suffix = randomBytes(4).toString('hex');
let db: TestDatabase;
let bundles: BundleSet;

beforeAll(async () => {
  db = await createTestDatabase();
  bundles = await BundleSet.start(['validate-api-key', 'create-organization', 'ingest'], {
    DATABASE_URL: db.url,
    POLARIS_NATS_STREAM: `TEST_PGLOST_${suffix}`,
    POLARIS_NATS_SUBJECT_PREFIX: `test.pglost.${suffix}`,
  });
}, 120_000);

afterAll(async () => {
  bundles?.killAll();
  await deleteStream('nats://127.0.0.1:4222', `TEST_PGLOST_${suffix}`);
  await db?.drop();
});

/** A fetch that, when the ingest process died, fails with what it logged last. */
async function fetchOrCrash(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const ingest = bundles.running.get('ingest')!;
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (ingest.child.exitCode !== null) throw new Error(`ingest exited ${ingest.child.exitCode}:\n${ingest.output().slice(-4000)}`);
    throw err;
  }
}

describe('PostgreSQL connections lost', () => {
  it('answers 503 with Retry-After, never a false 2xx, and recovers by itself', async () => {
    const tenant = await bundles.createTenant();
    const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
    const databaseName = new URL(db.url).pathname.slice(1);
    let terminated = 0;
    const retryAfter: string[] = [];
    const probes: number[] = [];
    const chaos = (async () => {
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const rows = await admin`
          select pg_terminate_backend(pid) from pg_stat_activity
          where datname = ${databaseName} and application_name in ('ingest', 'validate-api-key')`;
        terminated += rows.length;
        // Catch one answer while the sessions are gone.
        const response = await fetchOrCrash(`${bundles.url('ingest')}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
          body: JSON.stringify({ metric: 'api_calls', quantity: 1, idempotency_key: `probe-${round}` }),
          signal: AbortSignal.timeout(10_000),
        });
        probes.push(response.status);
        if (response.status === 503) retryAfter.push(response.headers.get('retry-after') ?? '');
      }
    })();
    const [report] = await Promise.all([
      ingestUnderFaults({ url: bundles.url('ingest'), apiKey: tenant.apiKey, workers: 8, eventsPerWorker: 60, prefix: 'pglost', isAlive: () => bundles.running.get('ingest')!.child.exitCode === null }),
      chaos,
    ]);
    const ingestProcess = bundles.running.get('ingest')!;
    expect(ingestProcess.child.exitCode, ingestProcess.output().slice(-4000)).toBeNull();
    await admin.end();

    const rows = await db.sql<{ key: string; n: number }[]>`
      select idempotency_key as key, count(*)::int as n from usage.usage_events
      where org_id = ${tenant.organizationId} and idempotency_key like 'pglost-%' group by 1`;
    const stored = new Map(rows.map((row) => [row.key, row.n]));
    const lost = [...report.acknowledged.keys()].filter((key) => !stored.has(key));
    console.log(summarize('postgres-lost', report, { sessionsTerminated: terminated, lost: lost.length }));

    expect(terminated).toBeGreaterThan(0);
    expect(probes.every((status) => status === 202 || status === 503)).toBe(true);
    expect(report.unexpected).toEqual([]);
    expect(lost).toEqual([]);
    expect(rows.every((row) => row.n === 1)).toBe(true);
    for (const value of retryAfter) expect(Number(value)).toBeGreaterThanOrEqual(1);
    // Recovered without a restart: the same processes answer. A connection
    // the last round terminated may still fail one request (503, retryable)
    // before the pool has seen it close; a client's retry then succeeds.
    const afterStatuses: number[] = [];
    while (afterStatuses.at(-1) !== 202 && afterStatuses.length < 10) {
      if (afterStatuses.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const after = await fetch(`${bundles.url('ingest')}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
        body: JSON.stringify({ metric: 'api_calls', quantity: 1, idempotency_key: 'after' }),
      });
      afterStatuses.push(after.status);
    }
    expect(afterStatuses.at(-1)).toBe(202);
    expect(afterStatuses.slice(0, -1).every((status) => status === 503)).toBe(true);
    expect(bundles.running.get('ingest')!.child.exitCode).toBeNull();
  }, 120_000);
});
