/**
 * A noisy neighbour: one organization floods ingest (then GraphQL) as fast as
 * 50 connections go, while another sends 50 requests a second. The quiet
 * organization's p99 is measured alone and under each flood, in the same run,
 * in alternating rounds (the median round of each counts, as in the other
 * sections), on a Polaris with the default per-organization limits on (the
 * rest of the bench runs with them off: POLARIS_RATE_LIMIT_PER_SECOND=0).
 * Goal: the quiet organization's p99 within 2× its p99 alone.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import type { Request } from 'autocannon';
import { findFreePorts } from '../local/index.js';
import { createTenant, deleteStream, type Bench, type Tenant } from './context.js';
import { median } from './load.js';
import { pacedLoad, type PacedResult } from './paced.js';
import { startProcess, stopProcess } from './processes.js';

const quietRate = 50;
const floodConnections = 50;
/**
 * A flood starts with its organization's whole burst (twice its rate) at
 * once; the quiet organization's p99 is also shown for what it sent after
 * that, to tell the burst from the flood that follows.
 */
const floodBurstMs = 2_000;

const ingestRequest = (tenant: Tenant): Request => ({
  method: 'POST',
  path: '/ingest',
  headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
  body: '{"metric":"api_calls","quantity":1}',
});

const graphqlRequest = (tenant: Tenant): Request => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
  body: JSON.stringify({ query: '{ me { id name } }' }),
});

interface Round {
  alone: PacedResult;
  flooded: PacedResult;
  flood: { rps: number; accepted2xx: number; refused4xx: number };
}

/**
 * The quiet organization's paced load alone, then beside `flood` (autocannon,
 * unpaced), on `url`, `rounds` times in turn, so the machine's noise falls on
 * both alike; each round's flood starts afresh, with its organization's burst.
 */
async function aloneAndFlooded(url: string, quiet: Request, flood: Request, durationSeconds: number, rounds: number): Promise<Round[]> {
  const paced = (seconds = durationSeconds) => pacedLoad({ url, request: quiet, rate: quietRate, durationSeconds: seconds, connections: 10, afterMs: floodBurstMs });
  // Warm up first (JIT, pools, caches), so that "alone" is not a cold start.
  await paced(Math.min(3, durationSeconds));
  const measured: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    const alone = await paced();
    const flooding = autocannon({ url, connections: floodConnections, duration: durationSeconds + 1, requests: [flood] });
    const flooded = await paced();
    const floodResult = await flooding;
    const statusCounts = floodResult as unknown as Record<string, number>;
    measured.push({
      alone,
      flooded,
      flood: { rps: Math.round(floodResult.requests.total / floodResult.duration), accepted2xx: statusCounts['2xx'] ?? 0, refused4xx: statusCounts['4xx'] ?? 0 },
    });
  }
  return measured;
}

/** The median round's p99 under the flood against the median round's p99 alone. */
function report(bench: Bench, name: string, rounds: Round[]): void {
  const p99 = (results: PacedResult[]) => median(results.map((result) => result.latencies.p99));
  const alone = rounds.map((round) => round.alone);
  const flooded = rounds.map((round) => round.flooded);
  const failed = flooded.reduce((sum, result) => sum + result.non2xx + result.errors, 0);
  const value = p99(flooded);
  const baseline = p99(alone);
  const each = (pick: (round: Round) => number) => rounds.map(pick).join('/');
  bench.results.add({
    section: 'noisy',
    name,
    value,
    unit: 'ms',
    baseline: { name: 'alone', value: baseline },
    goal: '≤ 2× alone',
    extra: {
      rounds_p99_ms: each((round) => round.flooded.latencies.p99),
      rounds_alone_p99_ms: each((round) => round.alone.latencies.p99),
      quiet_p50_ms: median(flooded.map((result) => result.latencies.p50)),
      quiet_alone_p50_ms: median(alone.map((result) => result.latencies.p50)),
      rounds_p99_after_first_2s_ms: each((round) => round.flooded.p99After ?? NaN),
      rounds_alone_p99_after_first_2s_ms: each((round) => round.alone.p99After ?? NaN),
      quiet_failed: failed,
      flood_rps: each((round) => round.flood.rps),
      flood_2xx: each((round) => round.flood.accepted2xx),
      flood_4xx: each((round) => round.flood.refused4xx),
    },
  }).met = value <= 2 * baseline && failed === 0;
}

export async function benchNoisyNeighbour(bench: Bench): Promise<void> {
  const { durationSeconds, rounds } = bench.settings;
  // A Polaris of its own with the default limits on, over the bench's database (the organizations are shared).
  const [httpPort, grpcPort] = await findFreePorts(2);
  const stream = `${bench.stream}_NOISY_${randomBytes(2).toString('hex')}`;
  const limited = await startProcess([process.execPath, '--import', 'tsx', 'scripts/start.ts'], 'Polaris is ready', {
    DATABASE_URL: bench.databaseUrl,
    NATS_URL: bench.natsUrl,
    POLARIS_HTTP_PORT: String(httpPort),
    POLARIS_GRPC_PORT: String(grpcPort),
    POLARIS_ADMIN_TOKEN: bench.adminToken,
    POLARIS_AGGREGATION_INTERVAL: '0',
    POLARIS_NATS_STREAM: stream,
    // Not under the bench's own prefix: its stream's subjects would overlap this one's.
    POLARIS_NATS_SUBJECT_PREFIX: `${bench.subjectPrefix}_noisy`,
    POLARIS_RATE_LIMIT_PER_SECOND: '',
    LOG_LEVEL: 'warn',
  });
  try {
    const url = `http://127.0.0.1:${httpPort}`;
    const quiet = await createTenant(bench, 'Quiet neighbour');
    const noisy = await createTenant(bench, 'Noisy neighbour');
    report(bench, `quiet organization's ingest at ${quietRate}/s while another floods ingest, p99`, await aloneAndFlooded(url, ingestRequest(quiet), ingestRequest(noisy), durationSeconds, rounds));
    report(bench, `quiet organization's GraphQL at ${quietRate}/s while another floods GraphQL, p99`, await aloneAndFlooded(url, graphqlRequest(quiet), graphqlRequest(noisy), durationSeconds, rounds));
  } finally {
    await stopProcess(limited);
    await deleteStream(bench.natsUrl, stream);
  }
}
