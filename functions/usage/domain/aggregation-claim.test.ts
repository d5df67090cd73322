/**
 * How a run claims pending rows when PostgreSQL's statistics are stale: the
 * pending table is a queue that runs empty, so its statistics often say it
 * holds nothing while thousands of rows wait. The claim must still work out
 * the line once, and read the claimed events once, not once per pending row
 * (which took a million events minutes instead of seconds). Checked on the
 * plan PostgreSQL runs for the statement a run sends.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
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

describe("a run's claim on the pending rows", () => {
  it.each([
    ['every organization', undefined],
    ['one organization', busy],
  ])('works out the line and reads its events once for %s, even with statistics that took the pending table for empty', async (_what, orgId) => {
    // The statement a run sends, as a run sends it.
    const sent: { query: string; parameters: unknown[] }[] = [];
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
    const claim = sent.find(({ query }) => query.includes('delete from usage.pending_event_groups'))!;
    expect(claim).toBeDefined();

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

    // Run for real and undone, so the next run finds the same rows.
    const connection = await db.sql.reserve();
    let plan: PlanNode;
    try {
      await connection`begin`;
      const [row] = await connection.unsafe(`explain (analyze, format json) ${claim.query}`, claim.parameters as never[]);
      plan = (Object.values(row!)[0] as { Plan: PlanNode }[])[0]!.Plan;
    } finally {
      await connection`rollback`;
      connection.release();
    }
    const windows = nodes(plan).filter((node) => node['Node Type'] === 'WindowAgg');
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.map((node) => node['Actual Loops'])).toEqual(windows.map(() => 1));
    // And the claimed events are read in one go, not once per claimed row.
    const eventReads = nodes(plan).filter((node) => node['Relation Name']?.startsWith('usage_events'));
    expect(eventReads.length).toBeGreaterThan(0);
    expect(eventReads.map((node) => node['Actual Loops'])).toEqual(eventReads.map(() => 1));

    // And the run claims every waiting event (of the organization asked for), each once.
    const aggregation = new AggregationStore(db.sql);
    expect((await aggregation.aggregateBatch(50_000, orgId)).consumed).toBe(orgId ? 2_990 : 3_000);
    const [left] = await db.sql<{ events: number }[]>`select coalesce(sum(cardinality(event_ids)), 0)::int as events from usage.pending_event_groups`;
    expect(left!.events).toBe(orgId ? 10 : 0);
    await db.sql`truncate usage.pending_event_groups, usage.usage_events, usage.meter_buckets, usage.outbox`;
  });
});
