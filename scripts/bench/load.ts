/**
 * autocannon (or, at a fixed rate, {@link pacedLoad}), run in this process,
 * with the CPU split of the machine while it ran.
 */
import autocannon from 'autocannon';
import type { CpuSplit } from './cpu.js';
import { pacedLoad } from './paced.js';

export interface LoadResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  cpu: CpuSplit;
  /** Per round, when interleaved. */
  rounds?: Array<{ rps: number; p50: number; p99: number; otherCores: number }>;
}

export interface LoadOptions {
  url: string;
  request: autocannon.Request;
  connections: number;
  durationSeconds: number;
  /** Requests a second over all connections, paced evenly; unset: as fast as the server answers. */
  overallRate?: number;
  cpu: () => () => CpuSplit;
}

function options(options: Omit<LoadOptions, 'cpu'>): autocannon.Options {
  return {
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: [options.request],
    idReplacement: true,
  };
}

export async function load(loadOptions: LoadOptions): Promise<LoadResult> {
  if (loadOptions.overallRate) return loadAtRate({ ...loadOptions, overallRate: loadOptions.overallRate });
  const stopCpu = loadOptions.cpu();
  const result = await autocannon(options(loadOptions));
  const cpu = stopCpu();
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpu,
  };
}

/** A fixed rate is paced by {@link pacedLoad}, which measures latency from when each request was due. */
async function loadAtRate(loadOptions: LoadOptions & { overallRate: number }): Promise<LoadResult> {
  const stopCpu = loadOptions.cpu();
  const result = await pacedLoad({ ...loadOptions, rate: loadOptions.overallRate });
  return { ...result.latencies, rps: result.rps, requests: result.requests, non2xx: result.non2xx, errors: result.errors, timeouts: 0, cpu: stopCpu() };
}

/** A short run that warms up JIT, pools and caches before a measured one; its results are dropped. */
export async function warmUp(loadOptions: Omit<LoadOptions, 'durationSeconds' | 'cpu'>, seconds = 2): Promise<void> {
  if (loadOptions.overallRate) await pacedLoad({ ...loadOptions, rate: loadOptions.overallRate, durationSeconds: seconds });
  else await autocannon(options({ ...loadOptions, durationSeconds: seconds }));
}

export interface Contender {
  url: string;
  /** Its own request instead of the common one. */
  request?: autocannon.Request;
  /** Before each of its rounds (e.g. wait until the previous round's work is done). */
  before?: () => Promise<void>;
}

/**
 * Loads the contenders in turn, `rounds` times, each for its share of
 * `durationSeconds`, so that noise from other users of the machine falls on
 * all of them alike. Throughput is over all rounds; latency percentiles are
 * the median of the rounds'.
 */
export async function interleaved(
  contenders: readonly Contender[],
  common: Omit<LoadOptions, 'url' | 'durationSeconds'>,
  durationSeconds: number,
  rounds: number,
  hooks: { afterWarmUp?: () => Promise<void> } = {},
): Promise<LoadResult[]> {
  const seconds = Math.max(2, Math.round(durationSeconds / rounds));
  const runs: LoadResult[][] = contenders.map(() => []);
  for (const contender of contenders) await warmUp({ ...common, url: contender.url, request: contender.request ?? common.request });
  await hooks.afterWarmUp?.();
  for (let round = 0; round < rounds; round++) {
    for (const [index, contender] of contenders.entries()) {
      await contender.before?.();
      runs[index]!.push(await load({ ...common, url: contender.url, request: contender.request ?? common.request, durationSeconds: seconds }));
    }
  }
  return runs.map(merge);
}

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function merge(runs: LoadResult[]): LoadResult {
  const wall = runs.reduce((sum, run) => sum + run.cpu.wallSeconds, 0);
  const cores: Record<string, number> = {};
  for (const run of runs) {
    for (const [group, value] of Object.entries(run.cpu.cores)) cores[group] = (cores[group] ?? 0) + (value * run.cpu.wallSeconds) / wall;
  }
  for (const group of Object.keys(cores)) cores[group] = Math.round(cores[group]! * 100) / 100;
  const others = new Map<string, number>();
  for (const run of runs) for (const other of run.cpu.others) others.set(other.command, (others.get(other.command) ?? 0) + (other.cores * run.cpu.wallSeconds) / wall);
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  return {
    rps: runs.reduce((sum, run) => sum + run.rps * run.cpu.wallSeconds, 0) / wall,
    p50: median(runs.map((run) => run.p50)),
    p90: median(runs.map((run) => run.p90)),
    p99: median(runs.map((run) => run.p99)),
    max: Math.max(...runs.map((run) => run.max)),
    requests,
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    timeouts: runs.reduce((sum, run) => sum + run.timeouts, 0),
    cpu: {
      wallSeconds: Math.round(wall * 100) / 100,
      machineCores: runs[0]!.cpu.machineCores,
      cores,
      others: [...others]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([command, value]) => ({ command, cores: Math.round(value * 100) / 100 })),
    },
    rounds: runs.map((run) => ({ rps: Math.round(run.rps), p50: run.p50, p99: run.p99, otherCores: run.cpu.cores.other ?? 0 })),
  };
}
