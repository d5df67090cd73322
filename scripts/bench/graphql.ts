/**
 * GraphQL at a steady rate: `me`, `usage` and `invoices` in one query with a
 * tenant's API key (each field an RPC behind the gateway), against a bare
 * Fastify route answering similar JSON at the same rate.
 */
import { createTenant, graphql, histogram, meanMs, requestAggregation, settle, type Bench, type Tenant } from './context.js';
import { formatCpu } from './cpu.js';
import { interleaved } from './load.js';

const connections = 50;
export const dashboardQuery = '{ me { id name } usage(metric: "api_calls") { total } invoices { id amount } }';

/** A tenant with a plan, some usage and a draft invoice, for when the event → draft part did not run. */
async function tenantWithData(bench: Bench): Promise<Tenant> {
  const tenant = await createTenant(bench, 'Bench GraphQL', { plan: true });
  const response = await fetch(`${bench.polaris}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: '{"metric":"api_calls","quantity":42}',
  });
  await response.text();
  await requestAggregation(bench, tenant.organizationId);
  await settle(bench);
  return tenant;
}

/**
 * One request at a time, per field: what a single RPC behind the gateway costs
 * (`__typename` needs none; `me`, `usage` and `invoices` one each): the median
 * the client saw, the mean the gateway measured for `/graphql`, and the mean
 * handling time of the RPCs as their server measured it.
 */
async function sequentialLatency(bench: Bench, tenant: Tenant): Promise<Record<string, string>> {
  const queries: Record<string, string> = {
    '__typename (no RPC)': '{ __typename }',
    'me (GetOrganization)': '{ me { id name } }',
    'usage (GetUsageSummary)': '{ usage(metric: "api_calls") { total } }',
    'invoices (ListInvoices)': '{ invoices { id amount } }',
    'all three': dashboardQuery,
  };
  const medians: Record<string, string> = {};
  for (const [name, query] of Object.entries(queries)) {
    await graphql(bench, query, { apiKey: tenant.apiKey });
    const gatewayBefore = await histogram(bench, 'http_request_duration_seconds', 'route="/graphql"');
    const rpcBefore = await histogram(bench, 'grpc_server_handling_seconds');
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      await graphql(bench, query, { apiKey: tenant.apiKey });
      times.push(performance.now() - started);
    }
    const gateway = meanMs(gatewayBefore, await histogram(bench, 'http_request_duration_seconds', 'route="/graphql"'));
    const rpc = meanMs(rpcBefore, await histogram(bench, 'grpc_server_handling_seconds'));
    times.sort((a, b) => a - b);
    const median = Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
    medians[name] = `client ${median} ms, gateway ${gateway} ms, each RPC handled in ${Number.isNaN(rpc) ? '—' : `${rpc} ms`}`;
  }
  return medians;
}

export async function benchGraphql(bench: Bench, existing?: Tenant): Promise<void> {
  const { durationSeconds, graphqlRate } = bench.settings;
  const tenant = existing ?? (await tenantWithData(bench));
  const sample = await graphql(bench, dashboardQuery, { apiKey: tenant.apiKey });
  const request = {
    method: 'POST' as const,
    path: '/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: JSON.stringify({ query: dashboardQuery }),
  };
  const idle = async () => void (await settle(bench));
  const [base, ours, floor] = await interleaved(
    [
      { url: bench.baseline, before: idle },
      { url: bench.polaris, before: idle },
      // The baseline server's floor: the same answer from two RPCs, each a PostgreSQL round trip.
      { url: bench.baseline, request: { ...request, path: '/graphql/floor' } },
    ],
    { request, connections, overallRate: graphqlRate, cpu: bench.cpu },
    durationSeconds,
    bench.settings.rounds,
  );
  if (!base || !ours || !floor) throw new Error('no load results');

  await settle(bench);
  const sequential = await sequentialLatency(bench, tenant);

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu[`GraphQL at ${graphqlRate}/s: bare Fastify`] = formatCpu(base.cpu);
  cpu[`GraphQL at ${graphqlRate}/s: Polaris`] = formatCpu(ours.cpu);
  cpu[`GraphQL at ${graphqlRate}/s: floor`] = formatCpu(floor.cpu);
  bench.results.diagnostics.graphql = { polaris: ours, baseline: base, answer: sample, sequentialMedianMs: sequential };

  const failed = ours.non2xx + ours.errors + ours.timeouts;
  bench.results.add({
    section: 'graphql',
    name: `GraphQL me+usage+invoices at ${graphqlRate}/s, p99`,
    value: ours.p99,
    unit: 'ms',
    baseline: { name: 'bare Fastify', value: base.p99 },
    goal: '≤ 20 ms',
    extra: {
      achieved_rps: ours.rps,
      baseline_achieved_rps: base.rps,
      p50_ms: ours.p50,
      p90_ms: ours.p90,
      max_ms: ours.max,
      baseline_p50_ms: base.p50,
      rounds_p99_ms: ours.rounds!.map((round) => round.p99).join('/'),
      baseline_rounds_p99_ms: base.rounds!.map((round) => round.p99).join('/'),
      failed,
      one_at_a_time: `[${Object.entries(sequential).map(([name, text]) => `${name}: ${text}`).join('; ')}]`,
    },
  }).met = ours.p99 <= 20 && failed === 0 && ours.rps >= 0.95 * graphqlRate;
  bench.results.add({
    section: 'graphql',
    name: `GraphQL at ${graphqlRate}/s, floor (two RPCs, no GraphQL), p99`,
    value: floor.p99,
    unit: 'ms',
    baseline: { name: 'bare Fastify', value: base.p99 },
    extra: {
      achieved_rps: floor.rps,
      p50_ms: floor.p50,
      rounds_p99_ms: floor.rounds!.map((round) => round.p99).join('/'),
      failed: floor.non2xx + floor.errors + floor.timeouts,
    },
  });
}
