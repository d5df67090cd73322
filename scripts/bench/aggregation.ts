/**
 * Aggregation, triggered as users do (the aggregation CloudEvent to
 * `POST /events`, answered once the run is over):
 *
 *   - an empty run (nothing pending) over an empty history, then over a
 *     history of BENCH_HISTORY_EVENTS aggregated events: its cost must follow
 *     the new events, not the history;
 *   - a run over BENCH_AGGREGATION_EVENTS new events.
 *
 * Events and their pending rows are filled with SQL (see fill.ts). The
 * history is filled as pending too and counted by one real aggregation run
 * before anything is measured, so its buckets are exactly what production
 * would hold after aggregating those events.
 */
import { randomUUID } from 'node:crypto';
import { requestAggregation, settle, subjectMessages, type Bench } from './context.js';
import { formatCpu } from './cpu.js';
import { compact, fill, fillAggregated, tidy, type FillShape } from './fill.js';

const emptyRuns = 15;
const day = 86_400_000;

const metrics = ['api_calls', 'storage_gb', 'seats'];
/** Ids of fill rows start here, far from each other, so two fills never collide. */
const historyIdBase = 0;
const pendingIdBase = 1_000_000_000;

async function emptyRunsMedian(bench: Bench): Promise<{ median: number; min: number; max: number }> {
  await requestAggregation(bench); // a first one that is not counted
  const times: number[] = [];
  for (let i = 0; i < emptyRuns; i++) times.push(await requestAggregation(bench));
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times.at(-1)! };
}

export async function benchAggregation(bench: Bench): Promise<void> {
  const { aggregationEvents, historyEvents } = bench.settings;
  const setup = bench.results.setup;

  // Whatever earlier parts of the run left pending is counted now, then the usage tables start empty.
  await requestAggregation(bench);
  await settle(bench);
  await bench.sql`truncate usage.usage_events, usage.pending_event_groups, usage.meter_buckets, usage.meter_unique_values, usage.daily_groups`;
  await tidy(bench);

  console.log(`aggregation: empty runs over an empty history …`);
  const overNone = await emptyRunsMedian(bench);

  const now = Date.now();
  const historyShape: FillShape = {
    orgs: Array.from({ length: 8 }, () => randomUUID()),
    metrics,
    fromMs: now - 30 * day,
    toMs: now - 3 * day,
    properties: false,
  };
  console.log(`aggregation: filling a history of ${historyEvents.toLocaleString('en-US')} events and aggregating them …`);
  const history = await fillAggregated(bench, historyEvents, historyIdBase, historyShape);
  setup[`fill ${historyEvents.toLocaleString('en-US')} history events (pending)`] = `${history.fillSeconds.toFixed(1)} s`;
  setup['aggregate the history (real runs)'] = `${history.runSeconds.toFixed(1)} s, ${Math.round(historyEvents / history.runSeconds).toLocaleString('en-US')} events/s`;
  setup['history: aggregate.updated fan-out to billing'] = `${(await settle(bench, 600_000)).seconds.toFixed(1)} s`;
  setup['vacuum analyze + checkpoint after the history'] = `${(await tidy(bench)).toFixed(1)} s`;

  console.log(`aggregation: empty runs over ${historyEvents.toLocaleString('en-US')} aggregated events …`);
  const overHistory = await emptyRunsMedian(bench);
  bench.results.add({
    section: 'aggregation',
    name: `aggregation: empty run over ${compact(historyEvents)} aggregated events`,
    value: overHistory.median,
    unit: 'ms',
    baseline: { name: 'over none', value: overNone.median },
    goal: '≤ 2 × baseline',
    extra: { runs: emptyRuns, min_ms: overHistory.min, max_ms: overHistory.max, baseline_min_ms: overNone.min, baseline_max_ms: overNone.max },
  }).met = overHistory.median <= 2 * overNone.median;

  // New events: a few organizations (some of the history's, some new), every metric, the last 3 days.
  const pendingShape: FillShape = {
    orgs: [...historyShape.orgs.slice(0, 2), randomUUID(), randomUUID()],
    metrics,
    fromMs: now - 3 * day,
    toMs: now,
    properties: false,
  };
  console.log(`aggregation: filling ${aggregationEvents.toLocaleString('en-US')} new (pending) events …`);
  setup[`fill ${aggregationEvents.toLocaleString('en-US')} pending events`] = `${(await fill(bench, aggregationEvents, pendingIdBase, pendingShape)).toFixed(1)} s`;
  setup['vacuum analyze + checkpoint after the pending fill'] = `${(await tidy(bench)).toFixed(1)} s`;

  console.log(`aggregation: one run over ${aggregationEvents.toLocaleString('en-US')} new events …`);
  const announcedBefore = await subjectMessages(bench, 'dev.polaris.aggregate.updated');
  const stopCpu = bench.cpu();
  const runMs = await requestAggregation(bench);
  const runCpu = stopCpu();
  const [left] = await bench.sql<{ count: number }[]>`select coalesce(sum(cardinality(event_ids)), 0)::int as count from usage.pending_event_groups`;
  // The run announced every changed total; billing reprices drafts from them. Wait for that before the next figure.
  const fanOut = await settle(bench, 600_000);
  const announced = (await subjectMessages(bench, 'dev.polaris.aggregate.updated')) - announcedBefore;
  const afterRun = await emptyRunsMedian(bench);

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu[`aggregation of ${compact(aggregationEvents)} events`] = formatCpu(runCpu);
  cpu['aggregation: aggregate.updated fan-out to billing'] = formatCpu(fanOut.cpu);
  bench.results.add({
    section: 'aggregation',
    name: `aggregation: run over ${compact(aggregationEvents)} new events`,
    value: runMs / 1000,
    unit: 's',
    extra: {
      events_per_s: Math.round(aggregationEvents / (runMs / 1000)),
      pending_left: left?.count ?? -1,
      aggregate_updated_events: announced,
      fan_out_to_billing_drained_s: fanOut.seconds,
      empty_run_right_after_ms: afterRun.median,
      history_events: historyEvents,
    },
  });
}
