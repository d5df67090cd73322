/**
 * What one PostgreSQL primary sustains on ingest's write path, with Polaris's
 * Node processes out of the way: the exact statement ingest commits
 * (UsageStore.insertEvents: the events, with per organization one pending row
 * listing them and one usage.recorded outbox row listing them all, in one
 * statement and one commit), sent
 * from this process by several writers at once, each a group of events as
 * group commit forms them. PostgreSQL's own CPU and WAL are read around each
 * run, so the answer reads per PostgreSQL core and per event, figures that
 * carry over to a bigger server. Polaris keeps relaying the outbox meanwhile,
 * as it would in production.
 *
 * One more run writes the event rows alone, into a plain table with
 * usage_events' columns and indexes and the idempotency key unique beside
 * them, with the same conflict check: the floor under ingest's
 * statement, what "one write per event" (aggregation and publishing reading
 * the events table itself) would leave PostgreSQL to do.
 */
import postgres from 'postgres';
import { UsageStore, type NewUsageEvent } from '../../functions/usage/domain/store.js';
import { Decimal } from '../../shared/decimal.js';
import { uuidv7 } from '../../shared/uuid.js';
import { createEventsBaselineTable, createTenant, requestAggregation, settle, type Bench } from './context.js';
import { formatCpu } from './cpu.js';

const writers = 4;
const groupSizes = [10, 100, 1000] as const;
const eventsOnlyGroupSize = 100;

interface Run {
  name: string;
  groupSize: number;
  write(events: NewUsageEvent[]): Promise<unknown>;
}

export async function benchCapacity(bench: Bench): Promise<void> {
  const tenant = await createTenant(bench, 'Bench capacity');
  const sql = postgres(bench.databaseUrl, { max: writers, onnotice: () => {} });
  const store = new UsageStore(sql);
  const cpu = (bench.results.diagnostics.cpu ??= {}) as Record<string, string>;
  try {
    await createEventsBaselineTable(sql, 'capacity_events_only');
    const runs: Run[] = [
      ...groupSizes.map((groupSize) => ({ name: `ingest's statement, groups of ${groupSize}`, groupSize, write: (events: NewUsageEvent[]) => store.insertEvents(events) })),
      { name: `the event rows alone, groups of ${eventsOnlyGroupSize}`, groupSize: eventsOnlyGroupSize, write: (events: NewUsageEvent[]) => insertEventRowsOnly(sql, events) },
    ];
    for (const { name, groupSize, write } of runs) {
      const eventsOf = (): NewUsageEvent[] =>
        Array.from({ length: groupSize }, () => {
          const id = uuidv7();
          return { id, orgId: tenant.organizationId, metric: 'api_calls', quantity: Decimal.of(1), occurredAt: new Date(), idempotencyKey: id, properties: new Map() };
        });
      await write(eventsOf());
      await settle(bench);

      const walBefore = await walPosition(bench);
      const stopCpu = bench.cpu();
      const until = performance.now() + bench.settings.durationSeconds * 1000;
      let commits = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (performance.now() < until) {
            await write(eventsOf());
            commits += 1;
          }
        }),
      );
      const split = stopCpu();
      const walBytes = Number((await bench.sql<{ bytes: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${walBefore}::pg_lsn)::text as bytes`)[0]!.bytes);
      const events = commits * groupSize;
      const eventsPerSecond = events / split.wallSeconds;
      const postgresCores = split.cores.postgres ?? 0;
      cpu[`capacity: ${name}`] = formatCpu(split);
      bench.results.add({
        section: 'capacity',
        name: `PostgreSQL: ${name}, ${writers} writers`,
        value: eventsPerSecond,
        unit: 'events/s',
        extra: {
          commits_per_s: Math.round(commits / split.wallSeconds),
          postgres_cores: Math.round(postgresCores * 100) / 100,
          events_per_postgres_core_second: postgresCores > 0 ? Math.round(eventsPerSecond / postgresCores) : 0,
          wal_bytes_per_event: Math.round(walBytes / events),
          wal_mib_per_s: Math.round((walBytes / split.wallSeconds / 1024 / 1024) * 10) / 10,
        },
      });
      // The pending rows go the way ingest's do, so later sections find no backlog.
      await settle(bench);
      await requestAggregation(bench, tenant.organizationId);
    }
  } finally {
    await sql`drop table if exists public.capacity_events_only`;
    await sql.end();
  }
}

/** The events' own rows, as ingest's statement writes them, with nothing beside them. */
async function insertEventRowsOnly(sql: postgres.Sql, events: readonly NewUsageEvent[]): Promise<void> {
  await sql`
    insert into public.capacity_events_only (id, org_id, metric, quantity, occurred_at, idempotency_key, properties)
    select * from unnest(
      ${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.orgId)}::uuid[], ${events.map((e) => e.metric)}::text[],
      ${events.map((e) => e.quantity.toString())}::numeric[], ${events.map((e) => e.occurredAt.toISOString())}::timestamptz[],
      ${events.map((e) => e.idempotencyKey ?? null)}::text[], ${events.map(() => '{}')}::jsonb[])
    on conflict (org_id, idempotency_key) where idempotency_key is not null do nothing`;
}

async function walPosition(bench: Bench): Promise<string> {
  const [row] = await bench.sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  return row!.lsn;
}
