/**
 * Aggregation, triggered as users do (the aggregation CloudEvent to
 * `POST /events`, answered once the run is over):
 *
 *   - an empty run (nothing pending) over an empty history, then over a
 *     history of BENCH_HISTORY_EVENTS aggregated events: its cost must follow
 *     the new events, not the history;
 *   - a run over BENCH_AGGREGATION_EVENTS new events.
 *
 * The tables are filled with SQL, shaped as ingest writes them (an event, and
 * a pending row beside each new one; the history's totals in usage_aggregates),
 * in batches so memory stays flat.
 */
import { randomUUID } from 'node:crypto';
import { requestAggregation, settle, subjectMessages, type Bench } from './context.js';
import { formatCpu } from './cpu.js';

const fillBatch = 250_000;
const emptyRuns = 15;
const day = 86_400_000;

const metrics = ['api_calls', 'storage_gb', 'seats'];
/** Ids of fill rows start here, far from each other, so two fills never collide. */
const historyIdBase = 0;
const pendingIdBase = 1_000_000_000;

interface FillShape {
  orgs: string[];
  metrics: string[];
  /** Milliseconds since the epoch of the first and (just after) the last event. */
  fromMs: number;
  toMs: number;
}

/**
 * Inserts `count` events into usage_events, evenly spread over the shape's
 * time span in id order (ids are UUIDv7 of the event's time, as ingest's are
 * of the time of receipt), organizations and metrics interleaved. With
 * `pending`, each gets its pending_aggregation row, as ingest writes them;
 * otherwise their totals are added to usage_aggregates, as if aggregated.
 */
async function fill(bench: Bench, count: number, idBase: number, shape: FillShape, mode: 'pending' | 'aggregated'): Promise<number> {
  const started = performance.now();
  const span = shape.toMs - shape.fromMs;
  for (let from = 0; from < count; from += fillBatch) {
    const to = Math.min(count, from + fillBatch);
    const events = bench.sql`
      insert into usage.usage_events (id, org_id, metric, quantity, occurred_at, idempotency_key, received_at)
      select (lpad(to_hex(ms), 12, '0') || '7' || lpad(to_hex(i % 4096), 3, '0') || '8' || lpad(to_hex(${idBase}::bigint + i), 15, '0'))::uuid,
             (${shape.orgs}::uuid[])[1 + i % ${shape.orgs.length}],
             (${shape.metrics}::text[])[1 + (i / ${shape.orgs.length}) % ${shape.metrics.length}],
             1 + i % 10, to_timestamp(ms / 1000.0), 'bench-' || lpad((${idBase}::bigint + i)::text, 12, '0'), to_timestamp(ms / 1000.0)
      from (
        select i, ${shape.fromMs}::bigint + (i::float8 * ${span} / ${count})::bigint as ms
        from generate_series(${from}::bigint, ${to - 1}::bigint) as i
      ) as s
      returning org_id, metric, occurred_at, quantity`;
    if (mode === 'pending') {
      await bench.sql`
        with events as (${events})
        insert into usage.pending_aggregation (org_id, metric, day, quantity)
        select org_id, metric, (occurred_at at time zone 'UTC')::date, quantity from events`;
    } else {
      await bench.sql`
        with events as (${events})
        insert into usage.usage_aggregates as a (org_id, metric, day, total)
        select org_id, metric, (occurred_at at time zone 'UTC')::date, sum(quantity) from events group by 1, 2, 3
        on conflict (org_id, metric, day) do update set total = a.total + excluded.total, updated_at = now()`;
    }
    if (to < count && (to / fillBatch) % 8 === 0) process.stdout.write(`  … ${to.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} events\n`);
  }
  return (performance.now() - started) / 1000;
}

/** What autovacuum would have done by now, and a checkpoint, so neither lands inside a measurement. */
async function tidy(bench: Bench): Promise<number> {
  const started = performance.now();
  await bench.sql`vacuum analyze usage.usage_events, usage.pending_aggregation, usage.usage_aggregates`;
  await bench.sql`checkpoint`;
  return (performance.now() - started) / 1000;
}

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
  await bench.sql`truncate usage.usage_events, usage.pending_aggregation, usage.usage_aggregates`;
  await tidy(bench);

  console.log(`aggregation: empty runs over an empty history …`);
  const overNone = await emptyRunsMedian(bench);

  const now = Date.now();
  const historyShape: FillShape = {
    orgs: Array.from({ length: 8 }, () => randomUUID()),
    metrics,
    fromMs: now - 30 * day,
    toMs: now - 3 * day,
  };
  console.log(`aggregation: filling a history of ${historyEvents.toLocaleString('en-US')} aggregated events …`);
  setup[`fill ${historyEvents.toLocaleString('en-US')} aggregated events (history)`] = `${(await fill(bench, historyEvents, historyIdBase, historyShape, 'aggregated')).toFixed(1)} s`;
  setup['vacuum analyze + checkpoint after the history fill'] = `${(await tidy(bench)).toFixed(1)} s`;

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
  };
  console.log(`aggregation: filling ${aggregationEvents.toLocaleString('en-US')} new (pending) events …`);
  setup[`fill ${aggregationEvents.toLocaleString('en-US')} pending events`] = `${(await fill(bench, aggregationEvents, pendingIdBase, pendingShape, 'pending')).toFixed(1)} s`;
  setup['vacuum analyze + checkpoint after the pending fill'] = `${(await tidy(bench)).toFixed(1)} s`;

  console.log(`aggregation: one run over ${aggregationEvents.toLocaleString('en-US')} new events …`);
  const announcedBefore = await subjectMessages(bench, 'dev.polaris.aggregate.updated');
  const stopCpu = bench.cpu();
  const runMs = await requestAggregation(bench);
  const runCpu = stopCpu();
  const [left] = await bench.sql<{ count: number }[]>`select count(*)::int as count from usage.pending_aggregation`;
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

function compact(count: number): string {
  if (count >= 1_000_000 && count % 100_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 100 === 0) return `${count / 1_000}k`;
  return String(count);
}
