/**
 * usage_events by month (migration 0006_events_by_month) and retention
 * (POLARIS_USAGE_RETENTION_MONTHS): months made ahead and on demand, old
 * months dropped whole by the aggregation CronJob's runs once nothing waits
 * for their events, their keys forgotten with them, their buckets kept; a
 * regroup rebuilds only what retention cannot have touched; history written
 * before the migration moves over with its keys.
 */
import * as grpc from '@grpc/grpc-js';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { migrate } from '../../shared/database.js';
import { Decimal } from '../../shared/decimal.js';
import { EventType } from '../../shared/events/index.js';
import { uuidv7 } from '../../shared/uuid.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';
import { EventPartitionStore, MeterStore, UsageStore, usageMigrations } from './domain/index.js';
import { MeterAggregation } from './domain/meters.js';

let db: TestDatabase;
let host: TestHost;
let tenant: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_USAGE_RETENTION_MONTHS: '2' } });
  tenant = await createTenant(host.grpcAddress, 'Retention');
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

/** The 15th of the month `n` months before this one, at noon UTC. */
function monthsAgo(n: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 15, 12));
}
const partitionOf = (at: Date) => `usage_events_${at.toISOString().slice(0, 7).replace('-', '_')}`;

/** Stores an event as ingest would have when it was received at `receivedAt` (its id carries that time). */
async function receivedAt(receivedAt: Date, idempotencyKey: string): Promise<string> {
  const id = uuidv7(receivedAt.getTime());
  const stored = await new UsageStore(db.sql).insertEvents([
    { id, orgId: tenant.organizationId, metric: 'api_calls', quantity: Decimal.of(3), occurredAt: receivedAt, idempotencyKey, properties: new Map([['region', 'eu']]) },
  ]);
  return stored.get(id)!.id;
}

async function partitions(): Promise<string[]> {
  const rows = await db.sql<{ name: string }[]>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'usage.usage_events'::regclass order by 1`;
  return rows.map((row) => row.name);
}

async function keys(): Promise<string[]> {
  const rows = await db.sql<{ key: string }[]>`select idempotency_key as key from usage.idempotency_keys where org_id = ${tenant.organizationId} order by 1`;
  return rows.map((row) => row.key);
}

/** The day's buckets of the tenant's api_calls, as (group key, total). */
async function dayBuckets(at: Date): Promise<[string, string][]> {
  const rows = await db.sql<{ groupKey: string; total: string }[]>`
    select group_key::text, trim_scale(quantity_sum)::text as total from usage.meter_buckets
    where org_id = ${tenant.organizationId} and metric = 'api_calls' and width_minutes = 1440
      and bucket_start = date_bin('1 day', ${at}::timestamptz, timestamptz '1970-01-01 00:00:00+00')
    order by 1`;
  return rows.map((row) => [row.groupKey, row.total]);
}

async function relayed(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from usage.outbox where type = ${EventType.UsageRecorded}`;
    if (row!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the relay did not publish usage.recorded');
}

const aggregateAll = () => host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));

describe('usage events by month', () => {
  it('has this month and the next two from the start, and makes an earlier month when an event needs it', async () => {
    const ahead = [0, -1, -2].map((n) => partitionOf(monthsAgo(n)));
    expect(await partitions()).toEqual(expect.arrayContaining(ahead));

    // The CronJob's run makes a month ahead that is missing.
    await db.sql.unsafe(`drop table usage.${ahead[2]}`);
    await aggregateAll();
    expect(await partitions()).toContain(ahead[2]);

    // An event received in a month with no partition makes it, and is stored there.
    const id = await receivedAt(monthsAgo(5), 'five-months-ago');
    expect(await partitions()).toContain(partitionOf(monthsAgo(5)));
    const [row] = await db.sql<{ partition: string }[]>`select tableoid::regclass::text as partition from usage.usage_events where id = ${id}`;
    expect(row!.partition).toBe(`usage.${partitionOf(monthsAgo(5))}`);
  });

  it('drops months past retention once their events are counted and relayed, keeping their buckets and forgetting their keys', async () => {
    await receivedAt(monthsAgo(4), 'four-months-ago');
    await receivedAt(monthsAgo(3), 'three-months-ago');
    await receivedAt(monthsAgo(2), 'two-months-ago');
    const now = await fetch(`${host.http}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
      body: JSON.stringify({ metric: 'api_calls', quantity: 3, idempotency_key: 'this-month' }),
    });
    expect(now.status).toBe(202);
    const thisMonth = ((await now.json()) as { id: string }).id;

    // Nothing is dropped while its events wait for aggregation.
    const upkeep = await new EventPartitionStore(db.sql).upkeep(2);
    expect(upkeep).toMatchObject({ dropped: [], heldBack: { partition: partitionOf(monthsAgo(5)), reason: 'events_pending' } });
    expect(await partitions()).toContain(partitionOf(monthsAgo(5)));

    await relayed();
    await aggregateAll();
    const expired = [5, 4, 3].map((n) => partitionOf(monthsAgo(n)));
    const remaining = await partitions();
    for (const partition of expired) expect(remaining).not.toContain(partition);
    expect(remaining).toEqual(expect.arrayContaining([2, 0, -1, -2].map((n) => partitionOf(monthsAgo(n)))));
    const [{ events }] = await db.sql<[{ events: number }]>`select count(*)::int as events from usage.usage_events where org_id = ${tenant.organizationId}`;
    expect(events).toBe(2);
    expect(await keys()).toEqual(['this-month', 'two-months-ago']);
    // The aggregates of what was dropped stay.
    expect(await dayBuckets(monthsAgo(4))).toEqual([['{}', '3']]);
    const [retained] = await db.sql<{ since: Date }[]>`select received_since as since from usage.retained_events`;
    expect(retained!.since.toISOString()).toBe(new Date(Date.UTC(monthsAgo(2).getUTCFullYear(), monthsAgo(2).getUTCMonth(), 1)).toISOString());

    // The operator sees what is kept and where the history was cut; no one else does.
    const rpc = rpcClient(host.grpcAddress);
    try {
      const storage = await rpc.call(UsageRpc.getEventStorage, {});
      expect(storage).toMatchObject({ retentionMonths: 2, retainedSince: retained!.since.toISOString() });
      expect(storage.months.map((m) => m.month)).toEqual(remaining.map((name) => name.slice(-7).replace('_', '-')));
      expect(storage.months.every((m) => m.bytes > 0)).toBe(true);
      expect((await grpcError(rpcClient(host.grpcAddress, { adminToken: null }).call(UsageRpc.getEventStorage, {}))).code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      rpc.close();
    }

    // A key still kept is a duplicate; one forgotten with its month is new (its event would be too old to accept now).
    const replay = await new UsageStore(db.sql).insertEvents([
      { id: uuidv7(), orgId: tenant.organizationId, metric: 'api_calls', quantity: Decimal.of(3), occurredAt: new Date(), idempotencyKey: 'this-month', properties: new Map() },
    ]);
    expect([...replay.values()]).toEqual([{ id: thisMonth, duplicate: true }]);
  });

  it('regroups only the days retention cannot have touched', async () => {
    // Four months ago is left only as buckets (counted under no group); two months ago is rebuilt by region.
    await new MeterStore(db.sql).save({ metric: 'api_calls', name: 'API calls', aggregation: MeterAggregation.Sum, groupBy: ['region'] });
    await relayed();
    await aggregateAll();
    expect(await dayBuckets(monthsAgo(4))).toEqual([['{}', '3']]);
    expect(await dayBuckets(monthsAgo(2))).toEqual([['{"region": "eu"}', '3']]);
    expect(await dayBuckets(new Date())).toEqual([['{}', '3']]);
    const [{ queued }] = await db.sql<[{ queued: number }]>`select count(*)::int as queued from usage.pending_event_groups`;
    expect(queued).toBe(0);
  });

  it('leaves a month for the next run rather than wait behind a long transaction', async () => {
    await receivedAt(monthsAgo(6), 'six-months-ago');
    await relayed();
    await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: { orgId: tenant.organizationId } }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reader = db.sql.begin(async (tx) => {
      await tx`select count(*) from usage.usage_events`;
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const upkeep = await new EventPartitionStore(db.sql, 200).upkeep(2);
    expect(upkeep).toMatchObject({ dropped: [], heldBack: { partition: partitionOf(monthsAgo(6)), reason: 'locked' } });
    release();
    await reader;
    expect((await new EventPartitionStore(db.sql).upkeep(2)).dropped).toEqual([partitionOf(monthsAgo(6))]);
    expect(await keys()).toEqual(['this-month', 'two-months-ago']);
  });
});

describe('migration 0006_events_by_month', () => {
  it('moves the history into its months, with its keys, so replays stay duplicates', async () => {
    const old = await createTestDatabase({ migrate: false });
    try {
      const before = usageMigrations.migrations.findIndex((migration) => migration.id === '0006_events_by_month');
      await migrate(old.sql, [{ ...usageMigrations, migrations: usageMigrations.migrations.slice(0, before) }]);
      const orgId = uuidv7();
      const events = [monthsAgo(14), monthsAgo(1), monthsAgo(1), new Date()].map((at, i) => ({ id: uuidv7(at.getTime()), at, key: i === 2 ? null : `key-${i}` }));
      await old.sql`
        insert into usage.usage_events (id, org_id, metric, quantity, occurred_at, idempotency_key)
        select id, ${orgId}, 'api_calls', 1, at, key
        from unnest(${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.at.toISOString())}::timestamptz[], ${events.map((e) => e.key)}::text[]) as t(id, at, key)`;

      await migrate(old.sql, [usageMigrations]);
      const rows = await old.sql<{ id: string; partition: string }[]>`select id, tableoid::regclass::text as partition from usage.usage_events order by id`;
      const byId = [...events].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(rows).toEqual(byId.map((e) => ({ id: e.id, partition: `usage.${partitionOf(e.at)}` })));
      const replay = await new UsageStore(old.sql).insertEvents([
        { id: uuidv7(), orgId, metric: 'api_calls', quantity: Decimal.of(1), occurredAt: new Date(), idempotencyKey: 'key-0', properties: new Map() },
      ]);
      expect([...replay.values()]).toEqual([{ id: events[0]!.id, duplicate: true }]);
    } finally {
      await old.drop();
    }
  });
});
