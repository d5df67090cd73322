/**
 * Meters: one aggregation run over BENCH_AGGREGATION_EVENTS new events per
 * aggregation type, each against SUM measured in the same run. Every kind
 * gets a metric of its own, its meter made through gRPC CreateMeter, and
 * the same events (four organizations, the last 3 days, the five properties
 * of fill.ts), so only the meter differs:
 *
 *   SUM (the baseline), COUNT, MAX, LATEST, UNIQUE_COUNT of `user` (10,000
 *   values), and SUM grouped by `customer` (1,000 values).
 *
 * Each run's events, buckets and values are deleted after it, so every run
 * meets the same tables. A run reads its events by id, and PostgreSQL reads
 * them by scanning the whole month's partition while that holds up to a
 * million or two events, by its index beyond; so while the partition grew
 * over the section, each kind's time followed its place in line (300,000
 * events a run: SUM, COUNT, MAX and LATEST, the same work, took 5.7, 7.9,
 * 9.4 and 10.1 s; in the opposite order LATEST, MAX and COUNT took 7.7,
 * 8.7 and 8.5 s). SUM still runs first and again last, and the baseline is
 * their mean.
 */
import { randomUUID } from 'node:crypto';
import { MeterAggregation, UsageService } from '../../proto/gen/polaris/usage/v1/usage.js';
import { requestAggregation, rpcClient, settle, type Bench } from './context.js';
import { formatCpu } from './cpu.js';
import { compact, customerValues, fill, tidy, userValues, type FillShape } from './fill.js';

const day = 86_400_000;
/** Far from the aggregation section's fills (see aggregation.ts). */
const idBase = 3_000_000_000;

interface Kind {
  label: string;
  metric: string;
  aggregation: MeterAggregation;
  valueProperty?: string;
  groupBy?: string[];
}

const sum: Kind = { label: 'SUM', metric: 'bench_meter_sum', aggregation: MeterAggregation.METER_AGGREGATION_SUM };
const others: Kind[] = [
  { label: 'COUNT', metric: 'bench_meter_count', aggregation: MeterAggregation.METER_AGGREGATION_COUNT },
  { label: 'MAX', metric: 'bench_meter_max', aggregation: MeterAggregation.METER_AGGREGATION_MAX },
  { label: 'LATEST', metric: 'bench_meter_latest', aggregation: MeterAggregation.METER_AGGREGATION_LATEST },
  {
    label: `UNIQUE_COUNT (${compact(userValues)} values)`,
    metric: 'bench_meter_unique',
    aggregation: MeterAggregation.METER_AGGREGATION_UNIQUE_COUNT,
    valueProperty: 'user',
  },
  { label: `SUM by a ${compact(customerValues)}-value property`, metric: 'bench_meter_grouped', aggregation: MeterAggregation.METER_AGGREGATION_SUM, groupBy: ['customer'] },
];

interface Run {
  seconds: number;
  eventsPerSecond: number;
  bucketRows: number;
  uniqueValueRows: number;
  pendingLeft: number;
  cpu: string;
}

export async function benchMeters(bench: Bench): Promise<void> {
  const { aggregationEvents } = bench.settings;
  const rpc = rpcClient(bench);
  try {
    for (const kind of [sum, ...others]) {
      await rpc.call(UsageService.createMeter, {
        metric: kind.metric,
        name: `Bench ${kind.label}`,
        aggregation: kind.aggregation,
        valueProperty: kind.valueProperty ?? '',
        groupBy: kind.groupBy ?? [],
      });
    }
  } finally {
    rpc.close();
  }
  // Whatever earlier parts of the run left pending is counted first.
  await requestAggregation(bench);
  await settle(bench);

  const now = Date.now();
  const orgs = Array.from({ length: 4 }, () => randomUUID());
  let fills = 0;
  const run = async (kind: Kind): Promise<Run> => {
    const shape: FillShape = { orgs, metrics: [kind.metric], fromMs: now - 3 * day, toMs: now, properties: true };
    console.log(`meters: ${kind.label}: filling ${aggregationEvents.toLocaleString('en-US')} pending events, then one run …`);
    const fillSeconds = await fill(bench, aggregationEvents, idBase + fills++ * aggregationEvents, shape);
    bench.results.setup[`meters: fill ${compact(aggregationEvents)} events (${kind.label}, run ${fills})`] = `${fillSeconds.toFixed(1)} s`;
    await tidy(bench);
    const stopCpu = bench.cpu();
    const ms = await requestAggregation(bench);
    const cpu = formatCpu(stopCpu());
    await settle(bench);
    const [counts] = await bench.sql<{ bucketRows: number; uniqueValueRows: number; pendingLeft: number }[]>`
      select (select count(*)::int from usage.meter_buckets where metric = ${kind.metric}) as "bucketRows",
             (select count(*)::int from usage.meter_unique_values where metric = ${kind.metric}) as "uniqueValueRows",
             (select coalesce(sum(cardinality(event_ids)), 0)::int from usage.pending_event_groups) as "pendingLeft"`;
    // SUM's second run would add to the buckets of its first: each run starts from none.
    await bench.sql`delete from usage.meter_buckets where metric = ${kind.metric}`;
    await bench.sql`delete from usage.meter_unique_values where metric = ${kind.metric}`;
    await bench.sql`delete from usage.usage_events where metric = ${kind.metric}`;
    return { seconds: ms / 1000, eventsPerSecond: aggregationEvents / (ms / 1000), cpu, ...counts! };
  };

  const first = await run(sum);
  const measured: Array<[Kind, Run]> = [];
  for (const kind of others) measured.push([kind, await run(kind)]);
  const last = await run(sum);
  const baseline = (first.eventsPerSecond + last.eventsPerSecond) / 2;

  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  cpu[`meters: SUM over ${compact(aggregationEvents)} events (first run)`] = first.cpu;
  bench.results.add({
    section: 'meters',
    name: `meters: SUM aggregation of ${compact(aggregationEvents)} events`,
    value: baseline,
    unit: 'events/s',
    extra: {
      first_run_events_per_s: first.eventsPerSecond,
      last_run_events_per_s: last.eventsPerSecond,
      first_run_s: first.seconds,
      bucket_rows: first.bucketRows,
      pending_left: first.pendingLeft + last.pendingLeft,
    },
  });
  for (const [kind, result] of measured) {
    cpu[`meters: ${kind.label} over ${compact(aggregationEvents)} events`] = result.cpu;
    bench.results.add({
      section: 'meters',
      name: `meters: ${kind.label} aggregation of ${compact(aggregationEvents)} events`,
      value: result.eventsPerSecond,
      unit: 'events/s',
      baseline: { name: 'SUM', value: baseline },
      extra: {
        run_s: result.seconds,
        bucket_rows: result.bucketRows,
        ...(result.uniqueValueRows > 0 ? { unique_value_rows: result.uniqueValueRows } : {}),
        pending_left: result.pendingLeft,
      },
    });
  }
}
