/**
 * The buckets a run writes, at every width, against the events grouped
 * straight at that width. A run groups the events into 15-minute buckets
 * and rolls the hour's and the day's up from those, so this checks the
 * roll-up for every aggregation's statistics: many quarters to an hour and
 * hours to a day, events on the same instant (LATEST breaks ties by id),
 * group keys, and buckets merged across runs whose batches split them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { AggregationStore } from './aggregation-store.js';
import { ensureEventMonths } from './partition-store.js';

let db: TestDatabase;
const org = randomUUID();
// Noon, so the events' day and a half spans two UTC days.
const start = new Date(Date.UTC(2026, 10, 3, 12));

beforeAll(async () => {
  db = await createTestDatabase();
  await ensureEventMonths(db.sql, start, start);
  await db.sql`
    insert into usage.meters (metric, name, aggregation, value_property, group_by) values
      ('requests', 'Requests', 'COUNT', null, '{region}'),
      ('peak', 'Peak', 'MAX', null, '{region}'),
      ('seats', 'Seats', 'LATEST', null, '{region}'),
      ('users', 'Users', 'UNIQUE_COUNT', 'user', '{region}')`;
  // 3,000 events on 2,000 minutes: a third share their instant with another.
  // 'tokens' has no meter (SUM, no group key); some events lack the region.
  await db.sql`
    with events as (
      insert into usage.usage_events (id, org_id, metric, quantity, occurred_at, properties)
      select (lpad(to_hex(ms), 12, '0') || '7000' || '8' || lpad(to_hex(i), 15, '0'))::uuid, ${org}::uuid,
        (array['requests', 'peak', 'seats', 'users', 'tokens'])[1 + i % 5], (i * 37) % 101 + 0.25, to_timestamp(ms / 1000.0),
        case when i % 7 = 0 then jsonb_build_object('user', 'u' || (i % 13))
          else jsonb_build_object('region', 'r' || (i % 3), 'user', 'u' || (i % 13)) end
      from (select i, ${start.getTime()}::bigint + (i * 7919 % 2000) * 60000 as ms from generate_series(0, 2999) as i) as s
      returning id, metric
    )
    -- Pending rows of a few events each, in an order that is not time's,
    -- so each run's batch ends part-way through buckets.
    insert into usage.pending_event_groups (org_id, event_ids, metrics)
    select ${org}::uuid, array_agg(id), array_agg(distinct metric)
    from events group by abs(hashtext(id::text)) % 1000 order by abs(hashtext(id::text)) % 1000`;
});

afterAll(async () => {
  await db?.drop();
});

const bucketRow = `org_id, metric, width_minutes, bucket_start, group_key::text,
  event_count::text, trim_scale(quantity_sum)::text as quantity_sum, trim_scale(quantity_max)::text as quantity_max,
  latest_at, latest_id, trim_scale(latest_quantity)::text as latest_quantity`;

describe('the buckets of a run', () => {
  it('equal the events grouped at every width, whichever batches carried them', async () => {
    const aggregation = new AggregationStore(db.sql);
    let runs = 0;
    while ((await aggregation.aggregateBatch(700)).consumed > 0) runs++;
    expect(runs).toBeGreaterThan(3);

    const expected = await db.sql.unsafe(`
      with events as (
        select e.*, w.width_minutes, date_bin(make_interval(mins => w.width_minutes), e.occurred_at, timestamptz '1970-01-01 00:00:00+00') as bucket_start,
          case when e.metric <> 'tokens' and e.properties ? 'region' then jsonb_build_object('region', e.properties ->> 'region') else '{}'::jsonb end as group_key
        from usage.usage_events e cross join (values (15::smallint), (60::smallint), (1440::smallint)) as w(width_minutes)
      ),
      buckets as (
        select org_id, metric, width_minutes, bucket_start, group_key,
          count(*) as event_count, sum(quantity) as quantity_sum, max(quantity) as quantity_max,
          (array_agg(occurred_at order by occurred_at desc, id desc))[1] as latest_at,
          (array_agg(id order by occurred_at desc, id desc))[1] as latest_id,
          (array_agg(quantity order by occurred_at desc, id desc))[1] as latest_quantity
        from events group by org_id, metric, width_minutes, bucket_start, group_key
      )
      select ${bucketRow} from buckets order by metric, width_minutes, bucket_start, group_key`);
    const written = await db.sql.unsafe(`select ${bucketRow} from usage.meter_buckets order by metric, width_minutes, bucket_start, group_key`);
    expect(written).toEqual(expected);
    // The roll-up had something to do: hours of several quarters, days of several hours.
    const buckets = (width: number) => expected.filter((row) => row.widthMinutes === width).length;
    expect(buckets(15)).toBeGreaterThan(buckets(60) * 2);
    expect(buckets(60)).toBeGreaterThan(buckets(1440) * 10);
    // And ties: some instants have more than one event of a metric.
    const [tied] = await db.sql`select count(*)::int as n from (select 1 from usage.usage_events group by metric, occurred_at having count(*) > 1) as t`;
    expect(tied!.n).toBeGreaterThan(0);

    const uniqueExpected = await db.sql`
      select distinct e.org_id, e.metric, w.width_minutes,
        date_bin(make_interval(mins => w.width_minutes), e.occurred_at, timestamptz '1970-01-01 00:00:00+00') as bucket_start,
        (case when e.properties ? 'region' then jsonb_build_object('region', e.properties ->> 'region') else '{}'::jsonb end)::text as group_key,
        e.properties ->> 'user' as value
      from usage.usage_events e cross join (values (15::smallint), (60::smallint), (1440::smallint)) as w(width_minutes)
      where e.metric = 'users'
      order by 2, 3, 4, 5, 6`;
    const uniqueWritten = await db.sql`
      select org_id, metric, width_minutes, bucket_start, group_key::text, value from usage.meter_unique_values order by 2, 3, 4, 5, 6`;
    expect(uniqueWritten).toEqual(uniqueExpected);
  });
});
