/**
 * How a run reads when PostgreSQL's statistics are stale. The pending table
 * is a queue that runs empty, so its statistics often say it holds nothing
 * while thousands of rows wait: the claim must still work out the line once,
 * and read the claimed events once, not once per pending row (which took a
 * million events minutes instead of seconds). And a month's partition of
 * events fills faster than autovacuum analyzes it, while a plan cached when
 * it was empty lives on: the events must still be read by their primary key,
 * since a scan compares every row of the month with each claimed id (a
 * million events took 647 s instead of 6). Checked on the plans PostgreSQL
 * runs for the statements a run sends.
 */
import { randomUUID } from 'node:crypto';
import postgres, { type ReservedSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { AggregationStore } from './aggregation-store.js';
import { ensureEventMonths } from './partition-store.js';

let db: TestDatabase;
const [busy, quiet] = [randomUUID(), randomUUID()];

const day = new Date(Date.UTC(2026, 10, 3));

beforeAll(async () => {
  db = await createTestDatabase();
  await ensureEventMonths(db.sql, day, day);
});

afterAll(async () => {
  await db?.drop();
});

/** `count` events of one organization on 2026-11-03, each listed by a pending row of its own, as single-event commits leave them. */
async function pendingEvents(orgId: string, count: number, firstId: number): Promise<void> {
  await db.sql`
    with events as (
      insert into usage.usage_events (id, org_id, metric, quantity, occurred_at)
      select (lpad(to_hex(ms), 12, '0') || '7000' || '8' || lpad(to_hex(i), 15, '0'))::uuid, ${orgId}::uuid, 'api_calls', 1, to_timestamp(ms / 1000.0)
      from (select i, ${day.getTime()}::bigint + i as ms from generate_series(${firstId}::bigint, ${firstId + count - 1}::bigint) as i) as s
      returning id, org_id, metric
    )
    insert into usage.pending_event_groups (org_id, event_ids, metrics)
    select org_id, array[id], array[metric] from events order by id`;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

interface Sent {
  query: string;
  parameters: unknown[];
}

/** The statements a run sends: what its transaction sets up first (its lock, its planner settings), and its claim. */
async function recordRun(orgId: string | undefined): Promise<{ setUp: Sent[]; claim: Sent }> {
  const sent: Sent[] = [];
  const recording = postgres(db.url, {
    max: 1,
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel } },
    onnotice: () => {},
    debug: (_connection, query, parameters) => sent.push({ query, parameters }),
  });
  try {
    await new AggregationStore(recording).aggregateBatch(50_000, orgId);
  } finally {
    await recording.end();
  }
  const claimAt = sent.findIndex(({ query }) => query.includes('delete from usage.pending_event_groups'));
  expect(claimAt).toBeGreaterThan(0);
  return { setUp: sent.slice(0, claimAt).filter(({ query }) => !/^\s*begin\b/i.test(query)), claim: sent[claimAt]! };
}

/** The plan of `explain` run after the run's own set-up, for real and undone, so the next run finds the same rows. */
async function planAfter(connection: ReservedSql, setUp: Sent[], explain: string, parameters: unknown[] = []): Promise<PlanNode> {
  await connection`begin`;
  try {
    for (const statement of setUp) await connection.unsafe(statement.query, statement.parameters as never[]);
    const [row] = await connection.unsafe(explain, parameters as never[]);
    return (Object.values(row!)[0] as { Plan: PlanNode }[])[0]!.Plan;
  } finally {
    await connection`rollback`;
  }
}

/** Every read of a month of events in `plan`: once each, and by the primary key. */
function expectEventsReadOnceByKey(plan: PlanNode): void {
  const eventReads = nodes(plan).filter((node) => node['Relation Name']?.startsWith('usage_events'));
  expect(eventReads.length).toBeGreaterThan(0);
  expect(eventReads.map((node) => node['Actual Loops'])).toEqual(eventReads.map(() => 1));
  expect(eventReads.map((node) => node['Node Type'])).not.toContain('Seq Scan');
}

describe("a run's claim on the pending rows", () => {
  it.each([
    ['every organization', undefined],
    ['one organization', busy],
  ])('works out the line and reads its events once for %s, even with statistics that took the pending table for empty', async (_what, orgId) => {
    const { setUp, claim } = await recordRun(orgId);

    // A run empties the line, and statistics taken then say it holds nothing (though it has pages); then 3,000 rows wait.
    await pendingEvents(busy, 2_990, 0);
    await pendingEvents(quiet, 10, 10_000);
    expect((await new AggregationStore(db.sql).aggregateBatch(50_000)).consumed).toBe(3_000);
    await db.sql`analyze usage.pending_event_groups`;
    const [stats] = await db.sql<{ reltuples: number; relpages: number }[]>`
      select reltuples, relpages from pg_class where oid = 'usage.pending_event_groups'::regclass`;
    expect(stats!.reltuples).toBe(0);
    expect(stats!.relpages).toBeGreaterThan(0);
    await pendingEvents(busy, 2_990, 20_000);
    await pendingEvents(quiet, 10, 30_000);

    const connection = await db.sql.reserve();
    let plan: PlanNode;
    try {
      plan = await planAfter(connection, setUp, `explain (analyze, format json) ${claim.query}`, claim.parameters);
    } finally {
      connection.release();
    }
    const windows = nodes(plan).filter((node) => node['Node Type'] === 'WindowAgg');
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.map((node) => node['Actual Loops'])).toEqual(windows.map(() => 1));
    // And the claimed events are read in one go, not once per claimed row.
    expectEventsReadOnceByKey(plan);

    // And the run claims every waiting event (of the organization asked for), each once.
    const aggregation = new AggregationStore(db.sql);
    expect((await aggregation.aggregateBatch(50_000, orgId)).consumed).toBe(orgId ? 2_990 : 3_000);
    const [left] = await db.sql<{ events: number }[]>`select coalesce(sum(cardinality(event_ids)), 0)::int as events from usage.pending_event_groups`;
    expect(left!.events).toBe(orgId ? 10 : 0);
    await db.sql`truncate usage.pending_event_groups, usage.usage_events, usage.meter_buckets, usage.outbox`;
  });

  it('reads the claimed events by their primary key with a plan cached while their month was empty', async () => {
    const { setUp, claim } = await recordRun(undefined);
    // The month's partition analyzed while empty (as a nightly `vacuumdb
    // --analyze` leaves the months made ahead), and the claim prepared on a
    // connection that keeps one plan for it, made then.
    await db.sql`analyze usage.usage_events`;
    const parameters = claim.parameters.map((value) => `'${String(value)}'`).join(', ');
    const connection = await db.sql.reserve();
    try {
      await connection`set plan_cache_mode = force_generic_plan`;
      await connection.unsafe(`prepare claim as ${claim.query}`);
      await planAfter(connection, setUp, `explain (analyze, format json) execute claim(${parameters})`);
      await pendingEvents(busy, 2_990, 40_000);
      await pendingEvents(quiet, 10, 50_000);
      expectEventsReadOnceByKey(await planAfter(connection, setUp, `explain (analyze, format json) execute claim(${parameters})`));
    } finally {
      await connection.unsafe('deallocate claim');
      await connection`reset plan_cache_mode`;
      connection.release();
    }
    expect((await new AggregationStore(db.sql).aggregateBatch(50_000)).consumed).toBe(3_000);
    await db.sql`truncate usage.pending_event_groups, usage.usage_events, usage.meter_buckets, usage.outbox`;
  });
});
