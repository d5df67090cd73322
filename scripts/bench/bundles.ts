/**
 * The bundles as Knative runs them (`node dist/functions/<name>/index.mjs`
 * with PORT and env): cold start from spawn to the first 200 from
 * `/health/liveness` (polled every 5 ms), against a bare Node `http` server
 * spawned the same way; the bundle's size; its RSS once it answered and sat
 * idle for 2 s.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { functionRegistry } from '../../functions/registry.js';
import { buildAll, bundlePath } from '../build.js';
import { findFreePort } from '../local/index.js';
import type { Bench } from './context.js';
import { median } from './load.js';
import { httpStatus, rssBytes, rssSplit, sleep, spawnTracked, stopProcess } from './processes.js';

const pollMs = 5;
const idleMs = 2_000;
const startTimeoutMs = 30_000;
const maxGrpcBundleBytes = 1024 * 1024;
const maxRssBytes = 60 * 1024 * 1024;

const bareNode = `require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;

interface Spawned {
  child: ChildProcess;
  output: () => string;
}

function spawnNode(args: string[], env: Record<string, string>): Spawned {
  const child = spawnTracked(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env } });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Spawns, polls until the first 200, optionally waits idle and reads RSS, stops. */
async function coldStart(
  args: string[],
  env: Record<string, string>,
  port: number,
  measureRss: boolean,
): Promise<{ ms: number; rss?: number; split?: { anon: number; file: number } }> {
  const started = performance.now();
  const spawned = spawnNode(args, { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}/health/liveness`;
  try {
    for (;;) {
      if (spawned.child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${spawned.child.exitCode}: ${spawned.output().slice(-2000)}`);
      try {
        if ((await httpStatus(url, 1000)) === 200) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > startTimeoutMs) throw new Error(`${args.join(' ')}: no 200 within ${startTimeoutMs} ms: ${spawned.output().slice(-2000)}`);
      await sleep(pollMs);
    }
    const ms = performance.now() - started;
    if (!measureRss) return { ms };
    await sleep(idleMs);
    return { ms, rss: rssBytes(spawned.child.pid!), split: rssSplit(spawned.child.pid!) };
  } finally {
    await stopProcess(spawned.child, 5_000);
  }
}

/**
 * Builds the bundles (unless told not to) and copies each function's folder to
 * a private directory at once: dist/ is shared, and anyone's `npm run build`
 * empties it. Returns the directory; the bundles are `<dir>/<name>/index.mjs`.
 */
async function privateBundles(bench: Bench, build: boolean): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'polaris-bench-bundles-'));
  for (let attempt = 1; ; attempt++) {
    if (build) {
      const started = performance.now();
      await buildAll();
      bench.results.setup['npm run build (every bundle)'] = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    }
    try {
      for (const entry of functionRegistry) cpSync(dirname(bundlePath(entry.name)), join(directory, entry.name), { recursive: true });
      if (functionRegistry.every((entry) => existsSync(join(directory, entry.name, 'index.mjs')))) return directory;
    } catch {
      // dist/ changed under us
    }
    if (!build || attempt >= 3) {
      rmSync(directory, { recursive: true, force: true });
      throw new Error(`the bundles in ${dirname(dirname(bundlePath('x')))} are missing or changing (run npm run build, or leave BENCH_BUILD unset)`);
    }
  }
}

export async function benchBundles(bench: Bench, options: { build: boolean }): Promise<void> {
  const directory = await privateBundles(bench, options.build);
  try {
    await measureBundles(bench, (name) => join(directory, name, 'index.mjs'));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function measureBundles(bench: Bench, bundlePath: (name: string) => string): Promise<void> {
  const env = {
    DATABASE_URL: bench.databaseUrl,
    NATS_URL: bench.natsUrl,
    POLARIS_ADMIN_TOKEN: bench.adminToken,
    POLARIS_GRPC_ADDRESS: bench.grpcAddress,
    POLARIS_NATS_STREAM: bench.stream,
    POLARIS_NATS_SUBJECT_PREFIX: bench.subjectPrefix,
    LOG_LEVEL: 'warn',
  };
  const port = await findFreePort();
  const spawns = bench.settings.coldStartSpawns;

  // Rounds interleave the baseline with every function, so noise falls on all alike.
  const baselineTimes: number[] = [];
  const times = new Map<string, number[]>();
  const rss = new Map<string, number | undefined>();
  const splits = new Map<string, { anon: number; file: number } | undefined>();
  let baselineRss: number | undefined;
  let baselineSplit: { anon: number; file: number } | undefined;
  for (let round = 0; round < spawns; round++) {
    const base = await coldStart(['-e', bareNode], {}, port, round === 0);
    baselineTimes.push(base.ms);
    if (round === 0) {
      baselineRss = base.rss;
      baselineSplit = base.split;
    }
    for (const entry of functionRegistry) {
      const result = await coldStart([bundlePath(entry.name)], { ...env, K_SERVICE: entry.name, K_REVISION: `${entry.name}-bench` }, port, round === 0);
      times.set(entry.name, [...(times.get(entry.name) ?? []), result.ms]);
      if (round === 0) {
        rss.set(entry.name, result.rss);
        splits.set(entry.name, result.split);
      }
    }
    process.stdout.write(`  cold starts: round ${round + 1} of ${spawns} done\n`);
  }

  const baselineMs = median(baselineTimes);
  let worst: { name: string; ratio: number; ms: number } | undefined;
  for (const entry of functionRegistry) {
    const ms = median(times.get(entry.name)!);
    const ratio = ms / baselineMs;
    if (!worst || ratio > worst.ratio) worst = { name: entry.name, ratio, ms };
    const bytes = codeBytes(dirname(bundlePath(entry.name)));
    const idle = rss.get(entry.name);
    bench.results.functions.push({ name: entry.name, kind: entry.kind, bundleBytes: bytes, coldStartMs: ms, coldStartRatio: ratio, idleRssBytes: idle });
    bench.results.add({
      section: 'bundles',
      name: `cold start: ${entry.name}`,
      value: ms,
      unit: 'ms',
      baseline: { name: 'bare Node http', value: baselineMs },
      goal: '≤ 2 × baseline',
      extra: { spawns: times.get(entry.name)!.map((t) => Math.round(t)).join('/') },
    }).met = ratio <= 2;
    bench.results.add({
      section: 'bundles',
      name: `bundle size: ${entry.name} (${entry.kind})`,
      value: bytes,
      unit: 'bytes',
      ...(entry.kind === 'grpc' ? { goal: '≤ 1 MiB (gRPC)' } : {}),
    }).met = entry.kind === 'grpc' ? bytes <= maxGrpcBundleBytes : undefined;
    bench.results.add({
      section: 'bundles',
      name: `idle RSS: ${entry.name}`,
      value: idle ?? Number.NaN,
      unit: 'bytes',
      ...(baselineRss ? { baseline: { name: 'bare Node http', value: baselineRss } } : {}),
      goal: '≤ 60 MiB',
      extra: mib({ anon: splits.get(entry.name)?.anon, file_backed: splits.get(entry.name)?.file, bare_node_anon: baselineSplit?.anon, bare_node_file_backed: baselineSplit?.file }),
    }).met = idle !== undefined && idle <= maxRssBytes;
  }
  bench.results.add({
    section: 'bundles',
    name: `cold start, worst function (${worst!.name})`,
    value: worst!.ms,
    unit: 'ms',
    baseline: { name: 'bare Node http', value: baselineMs },
    goal: '≤ 2 × baseline',
    extra: { baseline_spawns: baselineTimes.map((t) => Math.round(t)).join('/'), spawns_each: spawns },
  }).met = worst!.ratio <= 2;
  const grpc = bench.results.functions.filter((fn) => fn.kind === 'grpc');
  const largest = grpc.reduce((a, b) => ((a.bundleBytes ?? 0) >= (b.bundleBytes ?? 0) ? a : b));
  bench.results.add({
    section: 'bundles',
    name: `bundle size, largest gRPC function (${largest.name})`,
    value: largest.bundleBytes!,
    unit: 'bytes',
    goal: '≤ 1 MiB',
  }).met = largest.bundleBytes! <= maxGrpcBundleBytes;
  const fattest = bench.results.functions.reduce((a, b) => ((a.idleRssBytes ?? 0) >= (b.idleRssBytes ?? 0) ? a : b));
  bench.results.add({
    section: 'bundles',
    name: `idle RSS, largest (${fattest.name})`,
    value: fattest.idleRssBytes ?? Number.NaN,
    unit: 'bytes',
    ...(baselineRss ? { baseline: { name: 'bare Node http', value: baselineRss } } : {}),
    goal: '≤ 60 MiB',
  }).met = fattest.idleRssBytes !== undefined && fattest.idleRssBytes <= maxRssBytes;
}

/** The code a bundle runs (its scripts), without the code cache, source map or assets beside it. */
function codeBytes(directory: string): number {
  return readdirSync(directory)
    .filter((file) => /\.[cm]js$/.test(file))
    .reduce((sum, file) => sum + statSync(join(directory, file)).size, 0);
}

/** Byte counts as MiB with one decimal, for the details. */
function mib(values: Record<string, number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined && !Number.isNaN(value)) out[`${key}`] = `${(value / 1024 / 1024).toFixed(1)}MiB`;
  return out;
}
