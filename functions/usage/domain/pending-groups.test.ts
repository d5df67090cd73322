/**
 * Pending rows that list events committed together (migration
 * 0005_pending_event_groups): events still pending in the old one-row-per-event
 * table move over in order, a thousand to a row, and aggregation counts each
 * once, including from rows larger than its batch.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../shared/database.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { AggregationStore } from './aggregation-store.js';
import { usageMigrations } from './migrations.js';

let db: TestDatabase;
const [busy, quiet] = [randomUUID(), randomUUID()];
const at = (minute: number) => new Date(Date.UTC(2026, 10, 3, 10, minute % 60, Math.floor(minute / 60) % 60));

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  const beforeGroups = usageMigrations.migrations.findIndex((migration) => migration.id === '0005_pending_event_groups');
  await migrate(db.sql, [{ ...usageMigrations, migrations: usageMigrations.migrations.slice(0, beforeGroups) }]);
});

afterAll(async () => {
  await db?.drop();
});

/** Events as ingest wrote them before 0005: a row in usage_events and, until counted, a copy in pending_aggregation. */
async function oldStyleEvents(orgId: string, count: number, pending: boolean): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => uuidv7(at(i).getTime()));
  await db.sql`
    with inserted as (
      insert into usage.usage_events (id, org_id, metric, quantity, occurred_at)
      select id, ${orgId}::uuid, 'api_calls', 2, at from unnest(${ids}::uuid[], ${ids.map((_, i) => at(i).toISOString())}::timestamptz[]) as t(id, at)
      returning id, org_id, metric, quantity, occurred_at
    )
    insert into usage.pending_aggregation (event_id, org_id, metric, quantity, occurred_at, properties)
    select id, org_id, metric, quantity, occurred_at, null from inserted where ${pending}`;
  return ids;
}

describe('pending event groups', () => {
  it('takes over the events still pending, in order, a thousand to a row, and aggregation counts each once', async () => {
    await oldStyleEvents(busy, 3, false);
    const busyPending = await oldStyleEvents(busy, 1_500, true);
    const quietPending = await oldStyleEvents(quiet, 2, true);

    await migrate(db.sql, [usageMigrations]);
    const rows = await db.sql<{ orgId: string; eventIds: string[]; metrics: string[] }[]>`
      select org_id, event_ids::text[] as event_ids, metrics from usage.pending_event_groups order by seq`;
    expect(rows.map((row) => [row.orgId, row.eventIds.length, row.metrics])).toEqual([
      [busy, 1_000, ['api_calls']],
      [busy, 500, ['api_calls']],
      [quiet, 2, ['api_calls']],
    ]);
    expect(rows.flatMap((row) => row.eventIds)).toEqual([...busyPending, ...quietPending]);

    // A batch of 600 events takes the first row whole; the next takes what is left.
    const aggregation = new AggregationStore(db.sql);
    expect((await aggregation.aggregationBacklog()).events).toBe(1_502);
    expect((await aggregation.aggregateBatch(600, quiet)).consumed).toBe(2);
    expect((await aggregation.aggregateBatch(600)).consumed).toBe(1_000);
    expect((await aggregation.aggregateBatch(600)).consumed).toBe(500);
    expect((await aggregation.aggregateBatch(600)).consumed).toBe(0);
    const totals = await db.sql<{ orgId: string; events: string; total: string }[]>`
      select org_id, sum(event_count)::text as events, sum(quantity_sum)::text as total
      from usage.meter_buckets where width_minutes = 1440 group by org_id order by org_id = ${busy} desc`;
    // The three events counted before the migration had no pending row left: they are not counted again.
    expect(totals).toEqual([
      { orgId: busy, events: '1500', total: '3000.000000000000' },
      { orgId: quiet, events: '2', total: '4.000000000000' },
    ]);
  });

  it('takes what ingest of the version before inserts while a deploy rolls out, and refuses its aggregation', async () => {
    // The statement of the version before, as it was: its pending rows through the old name.
    const late = uuidv7();
    await db.sql`
      with inserted as (
        insert into usage.usage_events (id, org_id, metric, quantity, occurred_at) values (${late}, ${quiet}, 'tokens', 5, ${at(3).toISOString()})
        returning id, org_id, metric, quantity, occurred_at, properties
      ),
      pending as (
        insert into usage.pending_aggregation (event_id, org_id, metric, quantity, occurred_at, properties)
        select id, org_id, metric, quantity, occurred_at, properties from inserted
      )
      select id from inserted`;
    const rows = await db.sql<{ eventIds: string[]; metrics: string[] }[]>`select event_ids::text[] as event_ids, metrics from usage.pending_event_groups`;
    expect(rows).toEqual([{ eventIds: [late], metrics: ['tokens'] }]);
    await expect(db.sql`delete from usage.pending_aggregation where event_id = ${late}`).rejects.toThrow(/cannot delete from view/);
    expect((await new AggregationStore(db.sql).aggregateBatch(600)).consumed).toBe(1);
  });
});
