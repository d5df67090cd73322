/**
 * `npm run bench`: Polaris's speed as ratios to baselines measured in the same
 * run, since shared machines are noisy. Absolute figures are printed beside.
 *
 *   ingest       single-event ingest (authenticated, durable, 50 connections) vs a bare Fastify route
 *   properties   the same ingest with 5 properties per event vs without (throughput, p99)
 *   batch        batch ingest (100 events a request) vs raw COPY into an equivalent indexed table
 *   aggregation  a run over BENCH_AGGREGATION_EVENTS new events; an empty run over
 *                BENCH_HISTORY_EVENTS aggregated events vs over none
 *   meters       a run over BENCH_AGGREGATION_EVENTS new events per aggregation (COUNT, MAX,
 *                LATEST, UNIQUE_COUNT of 10k values, SUM by a 1,000-value property) vs SUM
 *   summary      GetUsageSummary, 30 days by DAY, grouped by a 1,000-value property vs ungrouped
 *                (p50, p99), over BENCH_SUMMARY_EVENTS events
 *   draft        event → draft invoice updated, after an aggregation run (p50/p99)
 *   graphql      `me` + `usage` + `invoices` at BENCH_GRAPHQL_RATE requests/s vs bare Fastify at that rate
 *   entitlement  CheckEntitlement over gRPC at BENCH_ENTITLEMENT_RATE requests/s (p99) vs
 *                grpc.health.v1 Check on the same port at that rate
 *   bundles      per function: cold start vs a bare Node http server, bundle size, idle RSS
 *   webhooks     webhook deliveries/s to a local receiver, by the fan-out and by the retry run,
 *                vs bare HTTP POSTs to the same receiver
 *   noisy        one organization floods ingest (then GraphQL) while another sends 50 requests/s,
 *                on a Polaris with the per-organization limits on: the quiet one's p99 vs alone
 *   capacity     what one PostgreSQL primary sustains: ingest's own statement from 4 writers, groups of
 *                10, 100 and 1,000 events, with PostgreSQL's CPU and WAL per event
 *
 * Settings (environment): BENCH_SECONDS (each load, default 10), BENCH_ONLY
 * (comma-separated sections above; default all), BENCH_AGGREGATION_EVENTS
 * (1,000,000), BENCH_HISTORY_EVENTS (2,000,000: the history is filled and
 * counted by real aggregation runs, at some 15k events/s on 2 cores, so 10M
 * would take over ten minutes; an empty run never reads the buckets, so a
 * larger history changes little), BENCH_SUMMARY_EVENTS (1,000,000),
 * BENCH_SUMMARY_REQUESTS (of each query, 100), BENCH_DRAFT_REPEATS (50),
 * BENCH_GRAPHQL_RATE (500), BENCH_ENTITLEMENT_RATE (2,000), BENCH_COLD_STARTS (spawns per function, 3),
 * BENCH_WEBHOOK_EVENTS (events per webhook load, 2,000),
 * BENCH_ROUNDS (a load and its baseline alternate this many times, sharing
 * BENCH_SECONDS, so noise from other users falls on both alike; 3),
 * BENCH_BUILD=0 (use dist/ as it is instead of `npm run build`).
 *
 * Uses DATABASE_URL when set, else an embedded PostgreSQL under .polaris/bench,
 * and makes a database of its own there; NATS_URL as `npm start` does, with
 * streams of its own. Both, and every process it started, are removed at the
 * end, also on failure or Ctrl-C. Results go to .polaris/bench/results.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import postgres from 'postgres';
import { benchAggregation } from './bench/aggregation.js';
import { benchBundles } from './bench/bundles.js';
import { measureCpu } from './bench/cpu.js';
import { createEventsBaselineTable, deleteStream, type Bench, type BenchSettings, type Tenant } from './bench/context.js';
import { benchEntitlement } from './bench/entitlement.js';
import { benchEventToDraft } from './bench/event-to-draft.js';
import { benchGraphql } from './bench/graphql.js';
import { benchBatches, benchProperties, benchSingleEvents } from './bench/ingest.js';
import { benchCapacity } from './bench/capacity.js';
import { benchMeters } from './bench/meters.js';
import { benchNoisyNeighbour } from './bench/noisy-neighbour.js';
import { startProcess, stopProcess } from './bench/processes.js';
import { Results } from './bench/report.js';
import { benchSummary } from './bench/summary.js';
import { benchWebhooks } from './bench/webhooks.js';
import { findFreePorts, startEmbeddedPostgres } from './local/index.js';
import { migrateDatabase } from './migrate.js';

const sections = ['ingest', 'properties', 'batch', 'aggregation', 'meters', 'summary', 'draft', 'graphql', 'entitlement', 'bundles', 'webhooks', 'noisy', 'capacity'] as const;
type Section = (typeof sections)[number];

function integer(name: string, fallback: number): number {
  const raw = process.env[name]?.replaceAll('_', '').replaceAll(',', '');
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got '${process.env[name]}'`);
  return value;
}

const settings: BenchSettings = {
  durationSeconds: integer('BENCH_SECONDS', 10),
  rounds: integer('BENCH_ROUNDS', 3),
  aggregationEvents: integer('BENCH_AGGREGATION_EVENTS', 1_000_000),
  historyEvents: integer('BENCH_HISTORY_EVENTS', 2_000_000),
  summaryEvents: integer('BENCH_SUMMARY_EVENTS', 1_000_000),
  summaryRequests: integer('BENCH_SUMMARY_REQUESTS', 100),
  draftRepeats: integer('BENCH_DRAFT_REPEATS', 50),
  graphqlRate: integer('BENCH_GRAPHQL_RATE', 500),
  entitlementRate: integer('BENCH_ENTITLEMENT_RATE', 2_000),
  coldStartSpawns: integer('BENCH_COLD_STARTS', 3),
  webhookEvents: integer('BENCH_WEBHOOK_EVENTS', 2_000),
};
const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const name of only) if (!(sections as readonly string[]).includes(name)) throw new Error(`BENCH_ONLY: unknown section '${name}' (one of ${sections.join(', ')})`);
const selected = new Set<Section>(only.length > 0 ? (only as Section[]) : sections);
const build = process.env.BENCH_BUILD !== '0';

const stateDir = resolve('.polaris/bench');
const tsx = resolve('node_modules/.bin/tsx');
const results = new Results();

const cleanup: Array<{ name: string; run: () => Promise<void> | void }> = [];
let cleaningUp: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`cleanup: ${step.name} failed: ${(err as Error).message}`);
      }
    }
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up …`);
    void cleanUp().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  const log = (line: string) => console.log(line);
  log(`bench: ${[...selected].join(', ')}; ${Object.entries(settings).map(([key, value]) => `${key}=${value.toLocaleString('en-US')}`).join(', ')}`);

  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: resolve(stateDir, 'postgres') });
    cleanup.push({ name: 'embedded PostgreSQL', run: () => embedded.stop() });
    serverUrl = embedded.url;
  }
  const database = `polaris_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  cleanup.push({ name: 'admin connection', run: () => admin.end() });
  await admin.unsafe(`create database ${database}`);
  cleanup.push({ name: `database ${database}`, run: async () => void (await admin.unsafe(`drop database if exists ${database} with (force)`)) });
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();

  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const stream = `BENCH_${database}`;
  const subjectPrefix = `bench.${database}`;
  cleanup.push({ name: 'NATS streams', run: async () => Promise.all([deleteStream(natsUrl, stream), deleteStream(natsUrl, `${stream}_DEAD_LETTER`)]).then(() => undefined) });

  const adminToken = randomBytes(24).toString('base64url');
  const [httpPort, grpcPort, baselinePort, floorGrpcPort] = await findFreePorts(4);
  log('starting Polaris (npm start) and the baseline server …');
  // BENCH_CPU_PROFILE_DIR: Polaris writes a V8 CPU profile per thread there when it stops.
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [];
  // BENCH_NODE_FLAGS: more flags for Polaris's node, e.g. `--heap-prof --heap-prof-dir=<dir>` (allocations by function) or GC settings.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const polaris = await startProcess([process.execPath, ...nodeFlags, ...profile, '--import', 'tsx', 'scripts/start.ts'], 'Polaris is ready', {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    POLARIS_HTTP_PORT: String(httpPort),
    POLARIS_GRPC_PORT: String(grpcPort),
    POLARIS_ADMIN_TOKEN: adminToken,
    POLARIS_AGGREGATION_INTERVAL: '0',
    // The webhook section's receiver is on this machine; its own runs drive the retries.
    POLARIS_WEBHOOK_ALLOW_PRIVATE: 'true',
    POLARIS_WEBHOOK_RETRY_INTERVAL: '0',
    POLARIS_NATS_STREAM: stream,
    POLARIS_NATS_SUBJECT_PREFIX: subjectPrefix,
    // The bench measures the system, not the per-organization limits (but for the noisy section's own Polaris).
    POLARIS_RATE_LIMIT_PER_SECOND: '0',
    LOG_LEVEL: 'warn',
  });
  cleanup.push({ name: 'Polaris', run: () => stopProcess(polaris) });
  // The floors' database (scripts/bench/baseline-server.ts), apart so Polaris's commit counts stay its own
  // (migrated like Polaris's, for the durable floor's table to take usage_events' shape).
  const floorUrl = new URL(serverUrl);
  floorUrl.pathname = `/${database}_floor`;
  await admin.unsafe(`create database ${database}_floor`);
  cleanup.push({ name: `database ${database}_floor`, run: async () => void (await admin.unsafe(`drop database if exists ${database}_floor with (force)`)) });
  await migrateDatabase(floorUrl.toString());
  const floorSql = postgres(floorUrl.toString(), { max: 1, onnotice: () => {} });
  await createEventsBaselineTable(floorSql, 'durable_floor');
  await floorSql.end();
  const baseline = await startProcess([tsx, 'scripts/bench/baseline-server.ts'], 'baseline ready', {
    PORT: String(baselinePort),
    FLOOR_DATABASE_URL: floorUrl.toString(),
    DURABLE_FLOOR_TABLE: 'durable_floor',
    FLOOR_GRPC_PORT: String(floorGrpcPort),
  });
  cleanup.push({ name: 'baseline server', run: () => stopProcess(baseline) });

  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  cleanup.push({ name: 'bench SQL connections', run: () => sql.end({ timeout: 5 }) });

  const pids = { polaris: polaris.pid!, baseline: baseline.pid! };
  const bench: Bench = {
    settings,
    results,
    polaris: `http://127.0.0.1:${httpPort}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    baseline: `http://127.0.0.1:${baselinePort}`,
    adminToken,
    databaseUrl,
    natsUrl,
    stream,
    subjectPrefix,
    sql,
    pids,
    cpu: () => measureCpu({ bench: process.pid, ...pids }),
  };

  let draftTenant: Tenant | undefined;
  const parts: Array<[Section, () => Promise<unknown>]> = [
    ['ingest', () => benchSingleEvents(bench)],
    ['properties', () => benchProperties(bench)],
    ['batch', () => benchBatches(bench)],
    ['aggregation', () => benchAggregation(bench)],
    ['meters', () => benchMeters(bench)],
    ['summary', () => benchSummary(bench)],
    ['draft', async () => (draftTenant = await benchEventToDraft(bench))],
    ['graphql', () => benchGraphql(bench, draftTenant)],
    ['entitlement', () => benchEntitlement(bench)],
    ['bundles', () => benchBundles(bench, { build })],
    ['webhooks', () => benchWebhooks(bench)],
    ['noisy', () => benchNoisyNeighbour(bench)],
    // Last: its million rows leave PostgreSQL vacuuming and checkpointing for a while.
    ['capacity', () => benchCapacity(bench)],
  ];
  for (const [section, run] of parts) {
    if (!selected.has(section)) continue;
    log(`${section} …`);
    const started = performance.now();
    try {
      await run();
    } catch (err) {
      // One part failing does not cost the others' figures.
      console.error(`${section} failed:`, err);
      results.failures.push({ section, error: (err as Error).stack ?? String(err) });
    }
    results.setup[`section ${section} took`] = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  }
}

const reported = { BENCH_SECONDS: settings.durationSeconds, ...(only.length > 0 ? { BENCH_ONLY: only.join(',') } : {}) };
let exitCode = 0;
try {
  await main();
} catch (err) {
  console.error('bench failed:', err);
  results.failures.push({ section: 'setup', error: (err as Error).stack ?? String(err) });
  exitCode = 1;
} finally {
  await cleanUp();
}
const written = { ...settings, only: [...selected], build };
results.print({
  ...reported,
  BENCH_AGGREGATION_EVENTS: settings.aggregationEvents,
  BENCH_HISTORY_EVENTS: settings.historyEvents,
  BENCH_SUMMARY_EVENTS: settings.summaryEvents,
});
results.write(resolve(stateDir, 'results.json'), written);
process.exit(exitCode || (results.failures.length > 0 ? 1 : 0));
