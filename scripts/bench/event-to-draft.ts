/**
 * Event → draft invoice: an organization with a plan (1 USD a call, no free
 * quota); again and again, ingest one call, request an aggregation run, and
 * poll GraphQL `invoices { amount }` with the tenant's key every 10 ms until
 * the draft shows it. The figure runs from the aggregation request to the
 * updated draft: the run, the aggregate.updated outbox relay, JetStream, the
 * delivery to billing's on-aggregate-updated, its GetUsageSummary and the
 * draft's commit.
 */
import { createTenant, graphql, histogram, meanMs, requestAggregation, settle, type Bench, type Tenant } from './context.js';
import { sleep } from './processes.js';

const pollMs = 10;
const timeoutMs = 10_000;

async function draftAmount(bench: Bench, tenant: Tenant): Promise<number | undefined> {
  const { invoices } = await graphql<{ invoices: Array<{ amount: string }> }>(bench, '{ invoices { amount } }', { apiKey: tenant.apiKey });
  return invoices[0] === undefined ? undefined : Number(invoices[0].amount);
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The tenant it measured with (a plan, usage and a draft): the GraphQL load reuses it. */
export async function benchEventToDraft(bench: Bench): Promise<Tenant> {
  const tenant = await createTenant(bench, 'Bench draft', { plan: true });
  // Nothing else pending, nothing on its way to billing.
  await requestAggregation(bench);
  await settle(bench);

  const deliveryBefore = await histogram(bench, 'polaris_delivery_duration_seconds', 'function="on-aggregate-updated"');
  const summaryBefore = await histogram(bench, 'grpc_server_handling_seconds', 'GetUsageSummary');
  const totals: number[] = [];
  const runs: number[] = [];
  const ingests: number[] = [];
  let timeouts = 0;
  for (let i = 1; i <= bench.settings.draftRepeats; i++) {
    const ingestStarted = performance.now();
    const response = await fetch(`${bench.polaris}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
      body: JSON.stringify({ metric: 'api_calls', quantity: 1, idempotency_key: `draft-${i}` }),
    });
    await response.text();
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
    ingests.push(performance.now() - ingestStarted);

    const started = performance.now();
    runs.push(await requestAggregation(bench));
    for (;;) {
      const amount = await draftAmount(bench, tenant);
      if (amount !== undefined && amount >= i) break;
      if (performance.now() - started > timeoutMs) {
        timeouts++;
        break;
      }
      await sleep(pollMs);
    }
    totals.push(performance.now() - started);
  }

  const deliveryMs = meanMs(deliveryBefore, await histogram(bench, 'polaris_delivery_duration_seconds', 'function="on-aggregate-updated"'));
  const summaryMs = meanMs(summaryBefore, await histogram(bench, 'grpc_server_handling_seconds', 'GetUsageSummary'));
  const sorted = [...totals].sort((a, b) => a - b);
  const sortedRuns = [...runs].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const extra = {
    repeats: totals.length,
    timeouts,
    aggregation_request_p50_ms: percentile(sortedRuns, 50),
    aggregation_request_p99_ms: percentile(sortedRuns, 99),
    after_run_to_draft_p50_ms: percentile(
      totals.map((total, i) => total - runs[i]!).sort((a, b) => a - b),
      50,
    ),
    on_aggregate_updated_mean_ms: deliveryMs,
    get_usage_summary_handled_mean_ms: summaryMs,
    ingest_p50_ms: percentile([...ingests].sort((a, b) => a - b), 50),
    poll_every_ms: pollMs,
  };
  bench.results.diagnostics.eventToDraft = { totalsMs: totals, aggregationRequestMs: runs };
  bench.results.add({ section: 'draft', name: 'event → draft invoice p50', value: p50, unit: 'ms', extra });
  bench.results.add({ section: 'draft', name: 'event → draft invoice p99', value: p99, unit: 'ms', goal: '< 1000 ms' }).met = p99 < 1000 && timeouts === 0;
  return tenant;
}
