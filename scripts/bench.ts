/**
 * `npm run bench`: Polaris's speed as ratios to baselines measured in the same
 * run, since shared machines are noisy. Absolute figures are printed beside.
 *
 *   single-event ingest (authenticated, durable, 50 connections) vs a bare Fastify route
 *   batch ingest (100 events a request) vs raw COPY into an equivalent indexed table
 *
 * Uses DATABASE_URL when set, else an embedded PostgreSQL under .polaris/bench;
 * NATS_URL as `npm start` does. Results also go to .polaris/bench/results.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { IdentityService } from '../proto/gen/polaris/identity/v1/identity.js';
import { GrpcClients } from '../shared/grpc/clients.js';
import { Metadata } from '@grpc/grpc-js';
import { findFreePort, startEmbeddedPostgres, type RunningService } from './local/infrastructure.js';

const durationSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const stateDir = resolve('.polaris/bench');
const tsx = resolve('node_modules/.bin/tsx');

interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  goal?: string;
  extra?: Record<string, number>;
}

const figures: Figure[] = [];

async function main(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    let serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      const embedded: RunningService = await startEmbeddedPostgres({ dataDir: resolve(stateDir, 'postgres') });
      cleanup.push(() => embedded.stop());
      serverUrl = embedded.url;
    }
    const database = `polaris_bench_${randomBytes(4).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${database}`);
    cleanup.push(async () => {
      await admin.unsafe(`drop database if exists ${database} with (force)`);
      await admin.end();
    });
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;

    const adminToken = randomBytes(24).toString('base64url');
    const [httpPort, grpcPort, baselinePort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const polaris = await startProcess([tsx, 'scripts/start.ts'], 'Polaris is ready', {
      DATABASE_URL: url.toString(),
      POLARIS_HTTP_PORT: String(httpPort),
      POLARIS_GRPC_PORT: String(grpcPort),
      POLARIS_ADMIN_TOKEN: adminToken,
      POLARIS_AGGREGATION_INTERVAL: '0',
      POLARIS_NATS_STREAM: `BENCH_${database}`,
      POLARIS_NATS_SUBJECT_PREFIX: `bench.${database}`,
      LOG_LEVEL: 'warn',
    });
    cleanup.push(() => stop(polaris));
    const baseline = await startProcess([tsx, 'scripts/bench/baseline-server.ts'], 'baseline ready', { PORT: String(baselinePort) });
    cleanup.push(() => stop(baseline));

    const clients = new GrpcClients({ address: `127.0.0.1:${grpcPort}`, addressTemplate: '{name}' });
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${adminToken}`);
    const { apiKey } = await clients.call(IdentityService.createOrganization, { name: 'Bench' }, metadata);
    clients.close();

    await benchSingleEvents(`http://127.0.0.1:${httpPort}`, `http://127.0.0.1:${baselinePort}`, apiKey);
    await benchBatches(`http://127.0.0.1:${httpPort}`, apiKey, url.toString());
  } finally {
    for (const step of cleanup.reverse()) await step();
  }
  report();
}

async function benchSingleEvents(polaris: string, baseline: string, apiKey: string): Promise<void> {
  const request = {
    method: 'POST' as const,
    path: '/ingest',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    // autocannon replaces [<id>] with a unique id per request: every event is new.
    body: '{"metric":"api_calls","quantity":1,"idempotency_key":"[<id>]"}',
  };
  const base = await load(baseline, request, 50);
  const ours = await load(polaris, request, 50);
  figures.push({
    name: 'single-event ingest',
    value: ours.rps,
    unit: 'req/s',
    baseline: { name: 'bare Fastify', value: base.rps },
    goal: '≥ 0.35 × baseline, p99 ≤ 25 ms',
    extra: { p50_ms: ours.p50, p99_ms: ours.p99, baseline_p99_ms: base.p99, non2xx: ours.non2xx },
  });
}

async function benchBatches(polaris: string, apiKey: string, databaseUrl: string): Promise<void> {
  const events = Array.from({ length: 100 }, (_, i) => `{"metric":"api_calls","quantity":${i},"idempotency_key":"[<id>]-${i}"}`);
  const ours = await load(polaris, {
    method: 'POST',
    path: '/ingest',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: `[${events.join(',')}]`,
  }, 10);
  const eventsPerSecond = ours.rps * 100;

  // Raw COPY of as many rows as Polaris took, into a table shaped and indexed like usage_events.
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const rows = Math.max(10_000, Math.round(eventsPerSecond * durationSeconds));
  await sql`create table copy_baseline (like usage.usage_events including all)`;
  const orgId = (await sql<{ id: string }[]>`select gen_random_uuid() as id`)[0]!.id;
  const started = performance.now();
  const writable = await sql`copy copy_baseline (id, org_id, metric, quantity, occurred_at, idempotency_key) from stdin`.writable();
  const now = new Date().toISOString();
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
  const copyPerSecond = rows / ((performance.now() - started) / 1000);
  await sql.end();
  figures.push({
    name: 'batch ingest (100 events a request)',
    value: eventsPerSecond,
    unit: 'events/s',
    baseline: { name: 'raw COPY', value: copyPerSecond },
    goal: '≥ 0.40 × baseline',
    extra: { p99_ms: ours.p99, non2xx: ours.non2xx },
  });
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(url: string, request: autocannon.Request, connections: number): Promise<LoadResult> {
  const result = await autocannon({ url, connections, duration: durationSeconds, requests: [request], idReplacement: true });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

function report(): void {
  const lines = figures.map((figure) => {
    const ratio = figure.baseline ? figure.value / figure.baseline.value : undefined;
    const extra = Object.entries(figure.extra ?? {})
      .map(([key, value]) => `${key}=${Math.round(value * 10) / 10}`)
      .join(' ');
    return [
      figure.name.padEnd(38),
      `${Math.round(figure.value)} ${figure.unit}`.padEnd(18),
      figure.baseline ? `${figure.baseline.name} ${Math.round(figure.baseline.value)}`.padEnd(24) : ''.padEnd(24),
      ratio === undefined ? '' : `ratio ${ratio.toFixed(2)}`.padEnd(12),
      (figure.goal ?? '').padEnd(34),
      extra,
    ].join(' ');
  });
  console.log(['', 'figure'.padEnd(38) + ' value'.padEnd(19) + ' baseline'.padEnd(25) + ' ratio'.padEnd(13) + ' goal', ...lines].join('\n'));
  writeFileSync(resolve(stateDir, 'results.json'), JSON.stringify({ at: new Date().toISOString(), durationSeconds, figures }, null, 2));
}

function startProcess(command: string[], readyLine: string, env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes(readyLine)) resolvePromise(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited ${code}:\n${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

await main();
process.exit(0);
