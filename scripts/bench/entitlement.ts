/**
 * CheckEntitlement, a backend's hot path, at BENCH_ENTITLEMENT_RATE calls a
 * second over real gRPC against `npm start`, beside `grpc.health.v1`'s Check
 * on the same port at the same rate: what the RPC costs over the least a gRPC
 * call can cost there. The entitlement is metered and has usage, so each
 * answer is the full one (usage, limit, resetsAt) from the cache billing fills
 * from PostgreSQL at most once a second.
 */
import type * as grpc from '@grpc/grpc-js';
import { BillingService as BillingRpc, type CheckEntitlementRequest } from '../../proto/gen/polaris/billing/v1/billing.js';
import { createTenant, graphql, requestAggregation, rpcClient, settle, type Bench } from './context.js';
import { formatCpu, type CpuSplit } from './cpu.js';
import { median } from './load.js';
import { pacedGrpcLoad } from './paced-grpc.js';
import type { PacedResult } from './paced.js';

const channels = 4;

/** `grpc.health.v1.Health/Check` for the whole server: an empty request, written out as bytes. */
const healthCheck: grpc.MethodDefinition<Record<string, never>, unknown> = {
  path: '/grpc.health.v1.Health/Check',
  requestStream: false,
  responseStream: false,
  requestSerialize: () => Buffer.alloc(0),
  requestDeserialize: () => ({}),
  responseSerialize: () => Buffer.alloc(0),
  responseDeserialize: (bytes) => bytes,
};

interface Run {
  result: PacedResult;
  cpu: CpuSplit;
}

export async function benchEntitlement(bench: Bench): Promise<void> {
  const { durationSeconds, rounds, entitlementRate: rate } = bench.settings;
  const tenant = await createTenant(bench, 'Bench entitlements');
  await graphql(bench, 'mutation($o: ID!) { setEntitlement(organizationId: $o, feature: "api_calls", limit: 1000000) { id } }', {
    variables: { o: tenant.organizationId },
    admin: true,
  });
  const ingest = await fetch(`${bench.polaris}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: '{"metric":"api_calls","quantity":42}',
  });
  await ingest.text();
  await requestAggregation(bench, tenant.organizationId);
  await settle(bench);

  const request: CheckEntitlementRequest = { organizationId: tenant.organizationId, feature: 'api_calls' };
  const client = rpcClient(bench);
  const sample = await client.call(BillingRpc.checkEntitlement, request);
  client.close();
  if (sample.usage !== '42') throw new Error(`CheckEntitlement answered ${JSON.stringify(sample)} after the aggregation; expected usage 42`);

  const contenders = {
    health: { method: healthCheck, request: {} },
    entitlement: { method: BillingRpc.checkEntitlement, request },
  } as const;
  const run = async (name: keyof typeof contenders, seconds: number): Promise<Run> => {
    const stopCpu = bench.cpu();
    const { method, request: body } = contenders[name];
    const result = await pacedGrpcLoad({ address: bench.grpcAddress, method: method as grpc.MethodDefinition<unknown, unknown>, request: body, rate, durationSeconds: seconds, channels });
    return { result, cpu: stopCpu() };
  };

  // Warm-up (JIT, pools, the answer cached), then the two in turn, so noise falls on both alike.
  await run('health', 2);
  await run('entitlement', 2);
  const seconds = Math.max(2, Math.round(durationSeconds / rounds));
  const runs: Record<keyof typeof contenders, Run[]> = { health: [], entitlement: [] };
  for (let round = 0; round < rounds; round++) {
    runs.health.push(await run('health', seconds));
    runs.entitlement.push(await run('entitlement', seconds));
  }

  const summary = (list: Run[]) => ({
    p50: median(list.map((r) => r.result.latencies.p50)),
    p90: median(list.map((r) => r.result.latencies.p90)),
    p99: median(list.map((r) => r.result.latencies.p99)),
    max: Math.max(...list.map((r) => r.result.latencies.max)),
    rps: list.reduce((sum, r) => sum + r.result.rps, 0) / list.length,
    failed: list.reduce((sum, r) => sum + r.result.non2xx + r.result.errors, 0),
    rounds: list.map((r) => r.result.latencies.p99).join('/'),
  });
  const base = summary(runs.health);
  const ours = summary(runs.entitlement);

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu[`CheckEntitlement at ${rate}/s: grpc.health.v1 Check`] = formatCpu(runs.health.at(-1)!.cpu);
  cpu[`CheckEntitlement at ${rate}/s: CheckEntitlement`] = formatCpu(runs.entitlement.at(-1)!.cpu);
  bench.results.diagnostics.entitlement = { answer: sample, health: runs.health.map((r) => r.result), checkEntitlement: runs.entitlement.map((r) => r.result) };

  const figure = bench.results.add({
    section: 'entitlement',
    name: `CheckEntitlement p99 at ${rate.toLocaleString('en-US')} requests/s`,
    value: ours.p99,
    unit: 'ms',
    baseline: { name: `grpc.health.v1 Check at ${rate.toLocaleString('en-US')}/s`, value: base.p99 },
    goal: '≤ 2× the health check',
    extra: {
      achieved_rps: ours.rps,
      baseline_achieved_rps: base.rps,
      p50_ms: ours.p50,
      p90_ms: ours.p90,
      max_ms: ours.max,
      baseline_p50_ms: base.p50,
      rounds_p99_ms: ours.rounds,
      baseline_rounds_p99_ms: base.rounds,
      failed: ours.failed,
      baseline_failed: base.failed,
      channels,
    },
  });
  figure.met = figure.ratio! <= 2 && ours.failed === 0 && ours.rps >= 0.95 * rate;
}
