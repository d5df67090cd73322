/**
 * Usage rows written with SQL, shaped as ingest writes them: an event in
 * usage_events and the pending rows listing them beside it, in batches so
 * memory stays flat. Buckets are never written here: the aggregation run
 * builds them from the pending rows, as it does in production.
 *
 * Ingest's daily_groups rows (its limit on new groups a day) are left out:
 * neither aggregation nor GetUsageSummary reads them.
 */
import { ensureEventMonths } from '../../functions/usage/domain/partition-store.js';
import { requestAggregation, type Bench } from './context.js';

const fillBatch = 250_000;
/** Events {@link fillAggregated} fills before each aggregation run. */
const aggregatedSlice = 1_000_000;

/** Distinct values of the `customer` and `user` properties (see {@link eventPropertiesSql}). */
export const customerValues = 1_000;
export const userValues = 10_000;

export interface FillShape {
  orgs: string[];
  metrics: string[];
  /** Milliseconds since the epoch of the first and (just after) the last event. */
  fromMs: number;
  toMs: number;
  /** With the five properties of {@link eventPropertiesSql}; without, none (null), as ingest stores an event without them. */
  properties: boolean;
}

/**
 * The five properties every filled event with properties carries, as ingest
 * stores them (numbers as JSON numbers): `customer` (1,000 values), `user`
 * (10,000), `region` (3), `tokens` (a number), `cached` (a boolean). `j`
 * counts the events of one (organization, metric), so each of them sees every
 * value.
 */
function eventPropertiesSql(bench: Bench, streams: number) {
  const j = bench.sql.unsafe(`(i / ${streams})`);
  return bench.sql`jsonb_build_object(
    'customer', 'c-' || lpad((${j} % ${customerValues})::text, 4, '0'),
    'user', 'u-' || lpad((${j} * 7 % ${userValues})::text, 5, '0'),
    'region', (array['eu-west', 'us-east', 'ap-south'])[1 + ${j} % 3],
    'tokens', ${j} % 977,
    'cached', ${j} % 4 = 0)`;
}

/**
 * Inserts `count` events into usage_events, listed by pending rows (one per
 * organization and thousand events, as ingest's groups are), evenly spread over the shape's time span in id order (ids are UUIDv7
 * of the event's time, as ingest's are of the time of receipt),
 * organizations and metrics interleaved. Ids and idempotency keys start at
 * `idBase`; keep fills' ranges apart. The keys are not entered in
 * usage.idempotency_keys: nothing replays them, and aggregation never reads
 * them. Resolves with the seconds it took.
 */
export async function fill(bench: Bench, count: number, idBase: number, shape: FillShape): Promise<number> {
  const started = performance.now();
  const span = shape.toMs - shape.fromMs;
  const properties = shape.properties ? eventPropertiesSql(bench, shape.orgs.length * shape.metrics.length) : bench.sql`null::jsonb`;
  // The months the ids fall in, as ingest would have made them.
  await ensureEventMonths(bench.sql, new Date(shape.fromMs), new Date(shape.toMs));
  for (let from = 0; from < count; from += fillBatch) {
    const to = Math.min(count, from + fillBatch);
    await bench.sql`
      with events as (
        insert into usage.usage_events (id, org_id, metric, quantity, occurred_at, idempotency_key, received_at, properties)
        select (lpad(to_hex(ms), 12, '0') || '7' || lpad(to_hex(i % 4096), 3, '0') || '8' || lpad(to_hex(${idBase}::bigint + i), 15, '0'))::uuid,
               (${shape.orgs}::uuid[])[1 + i % ${shape.orgs.length}],
               (${shape.metrics}::text[])[1 + (i / ${shape.orgs.length}) % ${shape.metrics.length}],
               1 + i % 10, to_timestamp(ms / 1000.0), 'bench-' || lpad((${idBase}::bigint + i)::text, 12, '0'), to_timestamp(ms / 1000.0),
               ${properties}
        from (
          select i, ${shape.fromMs}::bigint + (i::float8 * ${span} / ${count})::bigint as ms
          from generate_series(${from}::bigint, ${to - 1}::bigint) as i
        ) as s
        returning id, org_id, metric, occurred_at
      ),
      chunked as (select *, (row_number() over (partition by org_id order by occurred_at, id) - 1) / 1000 as chunk from events)
      insert into usage.pending_event_groups (org_id, event_ids, metrics)
      select org_id, array_agg(id order by occurred_at, id), array_agg(distinct metric) from chunked group by org_id, chunk order by min(occurred_at)`;
    if (to < count && (to / fillBatch) % 8 === 0) process.stdout.write(`  … ${to.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} events\n`);
  }
  return (performance.now() - started) / 1000;
}

/**
 * Fills events as {@link fill} does, a slice of the time span at a time, each
 * slice counted by a real aggregation run before the next: the buckets are
 * exactly what production holds after aggregating those events, and the
 * pending table stays small.
 */
export async function fillAggregated(bench: Bench, count: number, idBase: number, shape: FillShape): Promise<{ fillSeconds: number; runSeconds: number }> {
  const span = shape.toMs - shape.fromMs;
  let fillSeconds = 0;
  let runSeconds = 0;
  for (let from = 0; from < count; from += aggregatedSlice) {
    const to = Math.min(count, from + aggregatedSlice);
    const slice = { ...shape, fromMs: shape.fromMs + Math.round((span * from) / count), toMs: shape.fromMs + Math.round((span * to) / count) };
    fillSeconds += await fill(bench, to - from, idBase + from, slice);
    runSeconds += (await requestAggregation(bench)) / 1000;
    if (to < count) process.stdout.write(`  … ${to.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} events aggregated\n`);
  }
  return { fillSeconds, runSeconds };
}

/** What autovacuum would have done by now, and a checkpoint, so neither lands inside a measurement. Resolves with the seconds it took. */
export async function tidy(bench: Bench): Promise<number> {
  const started = performance.now();
  await bench.sql`vacuum analyze usage.usage_events, usage.pending_event_groups, usage.meter_buckets, usage.meter_unique_values`;
  await bench.sql`checkpoint`;
  return (performance.now() - started) / 1000;
}

export function compact(count: number): string {
  if (count >= 1_000_000 && count % 100_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 100 === 0) return `${count / 1_000}k`;
  return String(count);
}
