/**
 * A noisy neighbour: one organization floods ingest (then GraphQL) as fast as
 * 50 connections go, while another sends 50 requests a second. The quiet
 * organization's p99 is measured alone and under each flood, in the same run,
 * on a Polaris with the default per-organization limits on (the rest of the
 * bench runs with them off: POLARIS_RATE_LIMIT_PER_SECOND=0). Goal: the
 * quiet organization's p99 within 2× its p99 alone.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import type { Request } from 'autocannon';
import { findFreePorts } from '../local/index.js';
import { createTenant, deleteStream, type Bench, type Tenant } from './context.js';
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

/** The quiet organization's paced load, alone and then beside `flood` (autocannon, unpaced), on `url`. */
async function aloneAndFlooded(url: string, quiet: Request, flood: Request, durationSeconds: number) {
  const paced = (seconds = durationSeconds) => pacedLoad({ url, request: quiet, rate: quietRate, durationSeconds: seconds, connections: 10, afterMs: floodBurstMs });
  // Warm up first (JIT, pools, caches), so that "alone" is not a cold start.
  await paced(Math.min(3, durationSeconds));
  const alone = await paced();
  const flooding = autocannon({ url, connections: floodConnections, duration: durationSeconds + 1, requests: [flood] });
  const flooded = await paced();
  const floodResult = await flooding;
  const statusCounts = floodResult as unknown as Record<string, number>;
  return {
    alone,
    flooded,
    flood: { rps: Math.round(floodResult.requests.total / floodResult.duration), accepted2xx: statusCounts['2xx'] ?? 0, refused4xx: statusCounts['4xx'] ?? 0 },
  };
}

function report(bench: Bench, name: string, measured: { alone: PacedResult; flooded: PacedResult; flood: Record<string, number> }): void {
  const { alone, flooded, flood } = measured;
  bench.results.add({
    section: 'noisy',
    name,
    value: flooded.latencies.p99,
    unit: 'ms',
    baseline: { name: 'alone', value: alone.latencies.p99 },
    goal: '≤ 2× alone',
    extra: {
      quiet_p50_ms: flooded.latencies.p50,
      quiet_p99_after_first_2s_ms: flooded.p99After ?? NaN,
      quiet_alone_p99_after_first_2s_ms: alone.p99After ?? NaN,
      quiet_alone_p50_ms: alone.latencies.p50,
      quiet_failed: flooded.non2xx + flooded.errors,
      flood_rps: flood.rps!,
      flood_2xx: flood.accepted2xx!,
      flood_4xx: flood.refused4xx!,
    },
  }).met = flooded.latencies.p99 <= 2 * alone.latencies.p99 && flooded.non2xx + flooded.errors === 0;
}

export async function benchNoisyNeighbour(bench: Bench): Promise<void> {
  const { durationSeconds } = bench.settings;
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
    report(bench, `quiet organization's ingest at ${quietRate}/s while another floods ingest, p99`, await aloneAndFlooded(url, ingestRequest(quiet), ingestRequest(noisy), durationSeconds));
    report(bench, `quiet organization's GraphQL at ${quietRate}/s while another floods GraphQL, p99`, await aloneAndFlooded(url, graphqlRequest(quiet), graphqlRequest(noisy), durationSeconds));
  } finally {
    await stopProcess(limited);
    await deleteStream(bench.natsUrl, stream);
  }
}
