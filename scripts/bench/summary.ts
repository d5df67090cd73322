/**
 * A month's usage by group: one organization's BENCH_SUMMARY_EVENTS events
 * of a SUM meter grouped by `customer` (1,000 values), over the 30 UTC days
 * before today, aggregated by real runs. Then GetUsageSummary over those 30
 * days by DAY (UTC), grouped by `customer` (30 × 1,000 values) against the
 * same query ungrouped (30 values), BENCH_SUMMARY_REQUESTS of each, one at a
 * time and alternating, so noise falls on both alike. Latency is the
 * client's: the gRPC call to Polaris's port, answer decoded.
 */
import { randomUUID } from 'node:crypto';
import { MeterAggregation, UsageService, WindowSize, type GetUsageSummaryRequest } from '../../proto/gen/polaris/usage/v1/usage.js';
import { rpcClient, settle, type Bench } from './context.js';
import { percentile } from './event-to-draft.js';
import { compact, customerValues, fillAggregated, tidy } from './fill.js';

const day = 86_400_000;
const days = 30;
const warmUpRequests = 5;
/** Far from the other sections' fills (see aggregation.ts, meters.ts). */
const idBase = 4_000_000_000;
const metric = 'bench_summary_by_customer';

export async function benchSummary(bench: Bench): Promise<void> {
  const { summaryEvents, summaryRequests } = bench.settings;
  const rpc = rpcClient(bench);
  try {
    await rpc.call(UsageService.createMeter, {
      metric,
      name: 'Bench usage by customer',
      aggregation: MeterAggregation.METER_AGGREGATION_SUM,
      valueProperty: '',
      groupBy: ['customer'],
    });
    const orgId = randomUUID();
    const toMs = Math.floor(Date.now() / day) * day;
    const fromMs = toMs - days * day;
    console.log(`summary: filling and aggregating ${summaryEvents.toLocaleString('en-US')} events over ${days} days …`);
    const filled = await fillAggregated(bench, summaryEvents, idBase, { orgs: [orgId], metrics: [metric], fromMs, toMs, properties: true });
    const setup = bench.results.setup;
    setup[`summary: fill ${compact(summaryEvents)} events`] = `${filled.fillSeconds.toFixed(1)} s`;
    setup[`summary: aggregate them (grouped by customer)`] = `${filled.runSeconds.toFixed(1)} s`;
    await settle(bench, 600_000);
    await tidy(bench);

    const query = (groupBy: string[]): GetUsageSummaryRequest => ({
      organizationId: orgId,
      metric,
      from: new Date(fromMs).toISOString().slice(0, 10),
      to: new Date(toMs).toISOString().slice(0, 10),
      windowSize: WindowSize.WINDOW_SIZE_DAY,
      timeZone: '',
      groupBy,
      where: [],
    });
    const grouped = query(['customer']);
    const ungrouped = query([]);
    const answer = async (request: GetUsageSummaryRequest) => (await rpc.call(UsageService.getUsageSummary, request)).aggregates.length;
    const groupedRows = await answer(grouped);
    const ungroupedRows = await answer(ungrouped);
    if (groupedRows !== days * customerValues || ungroupedRows !== days) {
      throw new Error(`summary: expected ${days * customerValues} grouped and ${days} ungrouped windows, got ${groupedRows} and ${ungroupedRows}`);
    }
    for (let i = 0; i < warmUpRequests; i++) {
      await answer(grouped);
      await answer(ungrouped);
    }

    console.log(`summary: ${summaryRequests.toLocaleString('en-US')} requests each, grouped and ungrouped, alternating …`);
    const times = { grouped: [] as number[], ungrouped: [] as number[] };
    for (let i = 0; i < summaryRequests; i++) {
      for (const [name, request] of [['grouped', grouped], ['ungrouped', ungrouped]] as const) {
        const started = performance.now();
        await answer(request);
        times[name].push(performance.now() - started);
      }
    }
    const sorted = { grouped: times.grouped.sort((a, b) => a - b), ungrouped: times.ungrouped.sort((a, b) => a - b) };
    const name = `usage summary: ${days} days by DAY, grouped by a ${compact(customerValues)}-value property`;
    for (const p of [50, 99]) {
      bench.results.add({
        section: 'summary',
        name: `${name}, p${p}`,
        value: percentile(sorted.grouped, p),
        unit: 'ms',
        baseline: { name: 'ungrouped', value: percentile(sorted.ungrouped, p) },
        extra:
          p === 50
            ? { requests: summaryRequests, events: summaryEvents, grouped_windows: groupedRows, ungrouped_windows: ungroupedRows, max_ms: sorted.grouped.at(-1)!, baseline_max_ms: sorted.ungrouped.at(-1)! }
            : undefined,
      });
    }
  } finally {
    rpc.close();
  }
}
