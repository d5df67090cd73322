/**
 * Ingest: single events (authenticated, durable, 50 connections) against a
 * bare Fastify route answering the same 202; the same with five properties
 * per event against without; and batches of 100 events against a raw COPY
 * into a plain table holding what usage_events and its keys hold. Single
 * events and batches are also sent to the baseline server's durable floor,
 * which only group-commits them, to show what any durable ingest reaches here.
 */
import postgres from 'postgres';
import { createEventsBaselineTable, createTenant, histogram, meanMs, settle, type Bench } from './context.js';
import { formatCpu } from './cpu.js';
import { interleaved, load, median, warmUp, type LoadResult } from './load.js';
import type { CpuSplit } from './cpu.js';
import { sleep } from './processes.js';

const connections = 50;
/**
 * The baseline server's durable floor (scripts/bench/baseline-server.ts):
 * the least a route answering only once its events are committed does here,
 * shown beside Polaris so its ratios can be read against what is reachable.
 */
const durableFloorPath = '/ingest/durable';
const ratio = (value: number, of: number) => `${(value / of).toFixed(2)}×`;

interface DbCounters {
  commits: number;
  walSyncs: number;
  events: number;
}

async function dbCounters(bench: Bench): Promise<DbCounters> {
  // Statistics reach pg_stat_* up to a second late.
  await sleep(1100);
  // PostgreSQL 18 moved the WAL sync count from pg_stat_wal to pg_stat_io.
  const [{ version }] = (await bench.sql`select current_setting('server_version_num')::int as version`) as unknown as [{ version: number }];
  const walSyncs = version >= 180000 ? bench.sql`select sum(fsyncs) from pg_stat_io where object = 'wal'` : bench.sql`select wal_sync from pg_stat_wal`;
  const [row] = await bench.sql<{ commits: string; wal_syncs: string; events: number }[]>`
    select (select xact_commit from pg_stat_database where datname = current_database()) as commits,
           (${walSyncs}) as wal_syncs,
           (select count(*)::int from usage.usage_events) as events`;
  return { commits: Number(row!.commits), walSyncs: Number(row!.wal_syncs), events: row!.events };
}

function perSecond(before: DbCounters, after: DbCounters, seconds: number) {
  const commits = after.commits - before.commits;
  const events = after.events - before.events;
  return {
    db_commits_per_s: commits / seconds,
    events_per_commit: commits > 0 ? events / commits : 0,
    wal_syncs_per_s: (after.walSyncs - before.walSyncs) / seconds,
  };
}

export async function benchSingleEvents(bench: Bench): Promise<void> {
  const { durationSeconds, rounds } = bench.settings;
  const tenant = await createTenant(bench, 'Bench ingest');
  const request = {
    method: 'POST' as const,
    path: '/ingest',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    // autocannon replaces [<id>] with a unique id per request: every event is new.
    body: '{"metric":"api_calls","quantity":1,"idempotency_key":"[<id>]"}',
  };
  const idle = async () => void (await settle(bench));
  let before!: DbCounters;
  let serverBefore!: { sum: number; count: number };
  const [base, ours, floor] = await interleaved(
    [
      { url: bench.baseline, before: idle },
      { url: bench.polaris, before: idle },
      { url: bench.baseline, request: { ...request, path: durableFloorPath } },
    ],
    { request, connections, cpu: bench.cpu },
    durationSeconds,
    rounds,
    {
      afterWarmUp: async () => {
        await settle(bench);
        before = await dbCounters(bench);
        serverBefore = await histogram(bench, 'http_request_duration_seconds', 'route="/ingest"');
      },
    },
  );
  const serverMs = meanMs(serverBefore, await histogram(bench, 'http_request_duration_seconds', 'route="/ingest"'));
  const after = await dbCounters(bench);
  const drained = await settle(bench);
  const db = perSecond(before, after, ours!.cpu.wallSeconds);
  if (!base || !ours || !floor) throw new Error('no load results');

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu['ingest: bare Fastify'] = formatCpu(base.cpu);
  cpu['ingest: Polaris'] = formatCpu(ours.cpu);
  cpu['ingest: durable floor'] = formatCpu(floor.cpu);
  bench.results.diagnostics.ingest = { polaris: ours, baseline: base, db, outboxDrainSeconds: drained.seconds };

  const failed = ours.non2xx + ours.errors + ours.timeouts;
  bench.results.add({
    section: 'ingest',
    name: 'single-event ingest throughput',
    value: ours.rps,
    unit: 'req/s',
    baseline: { name: 'bare Fastify', value: base.rps },
    goal: '≥ 0.35 × baseline',
    extra: {
      requests: ours.requests,
      failed,
      ...db,
      outbox_drained_after_s: drained.seconds,
      rounds_rps: ours.rounds!.map((round) => round.rps).join('/'),
      baseline_rounds_rps: base.rounds!.map((round) => round.rps).join('/'),
      of_durable_floor: ratio(ours.rps, floor.rps),
    },
  }).met = ours.rps >= 0.35 * base.rps && failed === 0;
  bench.results.add({
    section: 'ingest',
    name: 'single-event ingest, durable floor',
    value: floor.rps,
    unit: 'req/s',
    baseline: { name: 'bare Fastify', value: base.rps },
    extra: { p50_ms: floor.p50, p99_ms: floor.p99, failed: floor.non2xx + floor.errors + floor.timeouts, rounds_rps: floor.rounds!.map((round) => round.rps).join('/') },
  });
  bench.results.add({
    section: 'ingest',
    name: 'single-event ingest p50 latency',
    value: ours.p50,
    unit: 'ms',
    baseline: { name: 'bare Fastify', value: base.p50 },
    extra: { p90_ms: ours.p90, max_ms: ours.max, mean_in_fastify_ms: serverMs, rounds_p99_ms: ours.rounds!.map((round) => round.p99).join('/') },
  });
  bench.results.add({
    section: 'ingest',
    name: 'single-event ingest p99 latency',
    value: ours.p99,
    unit: 'ms',
    baseline: { name: 'bare Fastify', value: base.p99 },
    goal: '≤ 25 ms',
  }).met = ours.p99 <= 25;
}

/**
 * Single events with five properties (two strings, one unique per event, a
 * number, a boolean and a string of a few values) against the same events
 * without properties, to the same route and tenant, rounds alternating. The
 * metric has no meter: the properties are validated and stored with the
 * event and its pending row, nothing is grouped.
 */
export async function benchProperties(bench: Bench): Promise<void> {
  const { durationSeconds, rounds } = bench.settings;
  const tenant = await createTenant(bench, 'Bench ingest with properties');
  const headers = { 'content-type': 'application/json', 'x-api-key': tenant.apiKey };
  // autocannon replaces [<id>] with a unique id per request: every event is new.
  const plain = { method: 'POST' as const, path: '/ingest', headers, body: '{"metric":"api_calls","quantity":1,"idempotency_key":"[<id>]"}' };
  const withProperties = {
    ...plain,
    body: '{"metric":"api_calls","quantity":1,"idempotency_key":"[<id>]","properties":{"customer":"c-0042","request_id":"[<id>]","region":"eu-west","tokens":1234.5,"cached":false}}',
  };
  const idle = async () => void (await settle(bench));
  const [base, ours] = await interleaved(
    [
      { url: bench.polaris, request: plain, before: idle },
      { url: bench.polaris, request: withProperties, before: idle },
    ],
    { request: plain, connections, cpu: bench.cpu },
    durationSeconds,
    rounds,
  );
  await settle(bench);
  if (!base || !ours) throw new Error('no load results');

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu['ingest: without properties'] = formatCpu(base.cpu);
  cpu['ingest: 5 properties'] = formatCpu(ours.cpu);
  bench.results.diagnostics.properties = { withProperties: ours, without: base };

  const failed = ours.non2xx + ours.errors + ours.timeouts + base.non2xx + base.errors + base.timeouts;
  bench.results.add({
    section: 'properties',
    name: 'single-event ingest with 5 properties, throughput',
    value: ours.rps,
    unit: 'req/s',
    baseline: { name: 'without properties', value: base.rps },
    extra: {
      failed,
      rounds_rps: ours.rounds!.map((round) => round.rps).join('/'),
      baseline_rounds_rps: base.rounds!.map((round) => round.rps).join('/'),
    },
  });
  bench.results.add({
    section: 'properties',
    name: 'single-event ingest with 5 properties, p99 latency',
    value: ours.p99,
    unit: 'ms',
    baseline: { name: 'without properties', value: base.p99 },
    extra: { p50_ms: ours.p50, baseline_p50_ms: base.p50, rounds_p99_ms: ours.rounds!.map((round) => round.p99).join('/'), baseline_rounds_p99_ms: base.rounds!.map((round) => round.p99).join('/') },
  });
}

export async function benchBatches(bench: Bench): Promise<void> {
  const { durationSeconds, rounds } = bench.settings;
  const tenant = await createTenant(bench, 'Bench batch ingest');
  const events = Array.from({ length: 100 }, (_, i) => `{"metric":"api_calls","quantity":${i},"idempotency_key":"[<id>]-${i}"}`);
  const request = {
    method: 'POST' as const,
    path: '/ingest',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: `[${events.join(',')}]`,
  };
  await warmUp({ url: bench.polaris, request, connections: 10 });
  await settle(bench);

  // Rounds alternate Polaris and a raw COPY of as many rows as Polaris took in that round, into a
  // plain table holding what usage_events and its keys hold (but without Polaris's pending and outbox rows).
  const seconds = Math.max(2, Math.round(durationSeconds / rounds));
  const loads: LoadResult[] = [];
  const floors: LoadResult[] = [];
  const copies: number[] = [];
  const drains: number[] = [];
  let copyCpu: CpuSplit | undefined;
  let db = { db_commits_per_s: 0, events_per_commit: 0, wal_syncs_per_s: 0 };
  for (let round = 0; round < rounds; round++) {
    const before = await dbCounters(bench);
    const ours = await load({ url: bench.polaris, request, connections: 10, durationSeconds: seconds, cpu: bench.cpu });
    const after = await dbCounters(bench);
    if (round === 0) db = perSecond(before, after, ours.cpu.wallSeconds);
    loads.push(ours);
    drains.push((await settle(bench)).seconds);
    floors.push(await load({ url: bench.baseline, request: { ...request, path: durableFloorPath }, connections: 10, durationSeconds: seconds, cpu: bench.cpu }));
    const copy = await copyRows(bench, Math.max(10_000, ours.requests * 100));
    copies.push(copy.perSecond);
    if (round === 0) copyCpu = copy.cpu;
  }
  const wall = loads.reduce((sum, run) => sum + run.cpu.wallSeconds, 0);
  const eventsPerSecond = (loads.reduce((sum, run) => sum + run.requests, 0) * 100) / wall;
  const copyPerSecond = median(copies);
  const floorEventsPerSecond = (floors.reduce((sum, run) => sum + run.requests, 0) * 100) / floors.reduce((sum, run) => sum + run.cpu.wallSeconds, 0);
  const p99s = loads.map((run) => run.p99);

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu['batch ingest: Polaris (first round)'] = formatCpu(loads[0]!.cpu);
  cpu['batch ingest: durable floor (first round)'] = formatCpu(floors[0]!.cpu);
  cpu['batch ingest: raw COPY (first round)'] = formatCpu(copyCpu!);
  bench.results.diagnostics.batchIngest = { polaris: loads, db, copyPerSecond: copies, outboxDrainSeconds: drains };

  const failed = loads.reduce((sum, run) => sum + run.non2xx + run.errors + run.timeouts, 0);
  bench.results.add({
    section: 'batch',
    name: 'batch ingest (100 events a request)',
    value: eventsPerSecond,
    unit: 'events/s',
    baseline: { name: 'raw COPY', value: copyPerSecond },
    goal: '≥ 0.40 × baseline',
    extra: {
      rounds_events_per_s: loads.map((run) => Math.round(run.rps * 100)).join('/'),
      copy_rounds_per_s: copies.map((value) => Math.round(value)).join('/'),
      p99_ms: median(p99s),
      failed,
      ...db,
      outbox_drained_after_s: drains.map((value) => Math.round(value * 10) / 10).join('/'),
      of_durable_floor: ratio(eventsPerSecond, floorEventsPerSecond),
    },
  }).met = eventsPerSecond >= 0.4 * copyPerSecond && failed === 0;
  bench.results.add({
    section: 'batch',
    name: 'batch ingest, durable floor',
    value: floorEventsPerSecond,
    unit: 'events/s',
    baseline: { name: 'raw COPY', value: copyPerSecond },
    extra: {
      rounds_events_per_s: floors.map((run) => Math.round(run.rps * 100)).join('/'),
      p99_ms: median(floors.map((run) => run.p99)),
      failed: floors.reduce((sum, run) => sum + run.non2xx + run.errors + run.timeouts, 0),
    },
  });
}

/** COPYs `rows` rows into a fresh plain table holding what usage_events and its keys hold; rows a second. */
async function copyRows(bench: Bench, rows: number): Promise<{ perSecond: number; cpu: CpuSplit }> {
  const sql = postgres(bench.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await createEventsBaselineTable(sql, 'copy_baseline');
    const stopCpu = bench.cpu();
    const orgId = crypto.randomUUID();
    const now = new Date().toISOString();
    const started = performance.now();
    const writable = await sql`copy public.copy_baseline (id, org_id, metric, quantity, occurred_at, idempotency_key) from stdin`.writable();
    await new Promise<void>((resolve, reject) => {
      writable.on('error', reject);
      writable.on('finish', resolve);
      let i = 0;
      const write = () => {
        let ok = true;
        while (i < rows && ok) {
          ok = writable.write(`${crypto.randomUUID()}\t${orgId}\tapi_calls\t${i % 100}\t${now}\tcopy-${i}\n`);
          i++;
        }
        if (i < rows) writable.once('drain', write);
        else writable.end();
      };
      write();
    });
    const perSecond = rows / ((performance.now() - started) / 1000);
    const cpu = stopCpu();
    await sql`drop table public.copy_baseline`;
    return { perSecond, cpu };
  } finally {
    await sql.end();
  }
}
