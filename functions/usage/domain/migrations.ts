import type { SchemaMigrations } from '../../../shared/database.js';
import { outboxEventCountSql, outboxNotifySql, outboxTableSql } from '../../../shared/events/index.js';

/** Usage's schema. Forward-only: add a migration, never edit an applied one. */
export const usageMigrations: SchemaMigrations = {
  schema: 'usage',
  migrations: [
    {
      id: '0001_events_aggregates_outbox',
      sql: `
        -- Every accepted event, once. org_id refers to identity's organizations,
        -- which this schema does not read: Identity vouched for it at ingest.
        create table usage_events (
          id uuid primary key,
          org_id uuid not null,
          metric text not null,
          quantity numeric(38, 12) not null check (quantity >= 0),
          occurred_at timestamptz not null,
          idempotency_key text,
          event_type text,
          received_at timestamptz not null default now()
        );
        -- The exactly-once guarantee: a key is accepted once per organization.
        create unique index usage_events_idempotency on usage_events (org_id, idempotency_key) where idempotency_key is not null;
        create index usage_events_org_time on usage_events (org_id, occurred_at);

        -- Events committed but not yet aggregated: written in the ingest
        -- transaction, deleted in the aggregation transaction that counts them.
        -- A transaction that commits late simply shows up here late, and is
        -- counted by the next run; no watermark can skip it.
        create table pending_aggregation (
          seq bigint generated always as identity primary key,
          org_id uuid not null,
          metric text not null,
          day date not null,
          quantity numeric(38, 12) not null,
          received_at timestamptz not null default now()
        );

        -- One row per organization, metric and UTC day.
        create table usage_aggregates (
          org_id uuid not null,
          metric text not null,
          day date not null,
          total numeric(38, 12) not null,
          updated_at timestamptz not null default now(),
          primary key (org_id, metric, day)
        );

        ${outboxTableSql}
      `,
    },
    {
      // The always-on relay LISTENs, so events go out as soon as they commit.
      id: '0002_outbox_notify',
      sql: outboxNotifySql,
    },
    {
      // An event's quantity is below 10^26, but a day's total is a sum of any
      // number of them: in numeric(38, 12) two large events overflowed, and the
      // failing run kept every organization's pending events from being
      // counted. Unconstrained numeric stays exact at any size (widening it
      // rewrites no row).
      id: '0003_unbounded_totals',
      sql: `alter table usage_aggregates alter column total type numeric`,
    },
    {
      // Meters: events carry properties, and every window in every time zone
      // is answered from UTC-aligned buckets of 15, 60 and 1440 minutes.
      id: '0004_meters',
      sql: `
        -- How a metric is measured. A metric without a row is a SUM meter
        -- without group-by keys (the v1 behaviour).
        create table meters (
          metric text primary key,
          name text not null,
          aggregation text not null check (aggregation in ('SUM', 'COUNT', 'MAX', 'LATEST', 'UNIQUE_COUNT')),
          value_property text,
          group_by text[] not null default '{}',
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );

        -- Every metric that has counted events, so a meter's aggregation
        -- never changes under them.
        create table counted_metrics (metric text primary key);

        alter table usage_events add column properties jsonb;

        -- Pending rows now carry what every bucket needs: the event's id and
        -- time (LATEST and buckets) and its properties (groups, UNIQUE_COUNT).
        -- Existing history is queued again, so the first run builds every
        -- bucket through the normal path.
        drop table pending_aggregation;
        create table pending_aggregation (
          seq bigint generated always as identity primary key,
          event_id uuid not null,
          org_id uuid not null,
          metric text not null,
          quantity numeric(38, 12) not null,
          occurred_at timestamptz not null,
          properties jsonb,
          received_at timestamptz not null default now()
        );
        insert into pending_aggregation (event_id, org_id, metric, quantity, occurred_at, properties)
        select id, org_id, metric, quantity, occurred_at, properties from usage_events order by occurred_at;
        drop table usage_aggregates;

        -- Per bucket and group: every statistic any aggregation reads, so a
        -- window's SUM, COUNT, MAX or LATEST combines whole buckets exactly.
        -- group_key holds the meter's group-by properties as text.
        create table meter_buckets (
          org_id uuid not null,
          metric text not null,
          width_minutes smallint not null check (width_minutes in (15, 60, 1440)),
          bucket_start timestamptz not null,
          group_key jsonb not null,
          event_count bigint not null,
          quantity_sum numeric not null,
          quantity_max numeric not null,
          latest_at timestamptz not null,
          latest_id uuid not null,
          latest_quantity numeric not null,
          primary key (org_id, metric, width_minutes, bucket_start, group_key)
        ) with (fillfactor = 80);

        -- UNIQUE_COUNT: the distinct values per bucket and group, so a window
        -- counts each value once. Grows with distinct values, not events.
        create table meter_unique_values (
          org_id uuid not null,
          metric text not null,
          width_minutes smallint not null,
          bucket_start timestamptz not null,
          group_key jsonb not null,
          value text not null,
          primary key (org_id, metric, width_minutes, bucket_start, group_key, value)
        );

        -- The distinct groups of each (organization, metric, UTC day), written
        -- at ingest, so one tenant cannot create groups without bound.
        create table daily_groups (
          org_id uuid not null,
          metric text not null,
          day date not null,
          group_key jsonb not null,
          primary key (org_id, metric, day, group_key)
        );
      `,
    },
    {
      // A pending row per group of events committed together (per
      // organization), listing their ids, instead of a copy of each event:
      // aggregation reads the events themselves. Exactly-once is kept as
      // before, since a row is deleted by the transaction that counts its
      // events. The events still pending move over, a thousand to a row.
      // (Writing a row per commit is the per-commit outbox row's companion:
      // npm run bench, section capacity.)
      id: '0005_pending_event_groups',
      sql: `
        create table pending_event_groups (
          seq bigint generated always as identity primary key,
          org_id uuid not null,
          event_ids uuid[] not null check (cardinality(event_ids) > 0),
          -- The listed events' metrics, so a meter can tell whether its metric has events waiting.
          metrics text[] not null,
          received_at timestamptz not null default now()
        );
        insert into pending_event_groups (org_id, event_ids, metrics, received_at)
        select org_id, array_agg(event_id order by seq), array_agg(distinct metric), min(received_at)
        from (select *, (row_number() over (partition by org_id order by seq) - 1) / 1000 as chunk from pending_aggregation) as p
        group by org_id, chunk
        order by min(seq);
        drop table pending_aggregation;

        -- Ingest of the version before keeps working while a deploy rolls
        -- out: what it inserts here becomes a pending row of its own. (Its
        -- aggregation's delete fails here instead, and the run is retried by
        -- the new version.)
        create view pending_aggregation as
        select null::uuid as event_id, null::uuid as org_id, null::text as metric, null::numeric(38, 12) as quantity,
          null::timestamptz as occurred_at, null::jsonb as properties
        where false;
        create function pending_aggregation_insert() returns trigger language plpgsql as $$
        begin
          insert into usage.pending_event_groups (org_id, event_ids, metrics) values (new.org_id, array[new.event_id], array[new.metric]);
          return new;
        end $$;
        create trigger pending_aggregation_insert instead of insert on pending_aggregation
          for each row execute function pending_aggregation_insert();
      `,
    },
    {
      // usage_events by month, so a month of history is dropped whole rather
      // than deleted row by row, and vacuum and index upkeep follow the
      // months being written rather than the whole history. The partition
      // key is the event's id: a UUIDv7 begins with its time of receipt in
      // milliseconds (ingest has made every id so since its first version),
      // so a month is a range of ids, the primary key stays (id) alone, and
      // every read by id (aggregation, the relay, replays) reaches one
      // month's partition. A unique index on a partitioned table must
      // include the partition key, so the idempotency keys move to a table
      // of their own, unique per organization across every month.
      //
      // Ingest of the version before fails against this table (its
      // ON CONFLICT names the old unique index) until the new version takes
      // the traffic; clients retry with their keys, so nothing is counted
      // twice.
      id: '0006_events_by_month',
      sql: `
        create function event_id_floor(at timestamptz) returns uuid language sql immutable strict as $$
          select (substr(hex, 1, 8) || '-' || substr(hex, 9, 4) || '-0000-0000-000000000000')::uuid
          from (select lpad(to_hex(floor(extract(epoch from at) * 1000)::bigint), 12, '0') as hex) as t
        $$;
        create function event_id_time(id uuid) returns timestamptz language sql immutable strict as $$
          select to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
        $$;

        alter table usage_events rename to usage_events_unpartitioned;
        alter index usage_events_pkey rename to usage_events_unpartitioned_pkey;
        drop index usage_events_idempotency;
        drop index usage_events_org_time;

        create table usage_events (
          id uuid primary key,
          org_id uuid not null,
          metric text not null,
          quantity numeric(38, 12) not null check (quantity >= 0),
          occurred_at timestamptz not null,
          idempotency_key text,
          event_type text,
          received_at timestamptz not null default now(),
          properties jsonb
        ) partition by range (id);
        create index usage_events_org_time on usage_events (org_id, occurred_at);

        -- The exactly-once guarantee: a key is accepted once per organization.
        -- Keys received in a month that retention dropped are forgotten with it.
        create table idempotency_keys (
          org_id uuid not null,
          idempotency_key text not null,
          event_id uuid not null,
          primary key (org_id, idempotency_key)
        );
        -- Keys arrive in id order, so a block range index finds a month's keys at little cost per insert.
        create index idempotency_keys_event_id on idempotency_keys using brin (event_id);

        -- Where retention last cut the history: events received before this are
        -- gone, and their buckets are all that is left of them.
        create table retained_events (
          singleton boolean primary key default true check (singleton),
          received_since timestamptz not null
        );

        -- The monthly partitions from first_at's month to last_at's (UTC), each
        -- created unless it exists; returns how many were created.
        create function ensure_event_partitions(first_at timestamptz, last_at timestamptz) returns int language plpgsql as $$
        declare
          month timestamp := date_trunc('month', first_at at time zone 'UTC');
          partition text;
          created int := 0;
        begin
          perform pg_advisory_xact_lock(hashtext('polaris.usage.event_partitions'));
          while month <= last_at at time zone 'UTC' loop
            partition := 'usage_events_' || to_char(month, 'YYYY_MM');
            if to_regclass('usage.' || partition) is null then
              execute format('create table usage.%I partition of usage.usage_events for values from (%L) to (%L)', partition,
                usage.event_id_floor(month at time zone 'UTC'), usage.event_id_floor((month + interval '1 month') at time zone 'UTC'));
              created := created + 1;
            end if;
            month := month + interval '1 month';
          end loop;
          return created;
        end $$;

        select ensure_event_partitions(
          coalesce((select event_id_time(id) from usage_events_unpartitioned order by id limit 1), now()),
          greatest(now() + interval '2 months', (select event_id_time(id) from usage_events_unpartitioned order by id desc limit 1)));
        insert into usage_events (id, org_id, metric, quantity, occurred_at, idempotency_key, event_type, received_at, properties)
        select id, org_id, metric, quantity, occurred_at, idempotency_key, event_type, received_at, properties from usage_events_unpartitioned;
        insert into idempotency_keys (org_id, idempotency_key, event_id)
        select org_id, idempotency_key, id from usage_events_unpartitioned where idempotency_key is not null;
        drop table usage_events_unpartitioned;
      `,
    },
    {
      // Nothing reads usage_events by (organization, time): summaries read
      // buckets, aggregation and the relay read events by id, and a meter's
      // recount scans by metric. The index cost every accepted event a
      // B-tree entry and its WAL, for no reader (npm run bench, section
      // capacity).
      id: '0007_no_index_by_organization_time',
      sql: `drop index usage_events_org_time;`,
    },
    {
      // Ingest's usage.recorded rows no longer NOTIFY from their own
      // transaction: a NOTIFY serializes the commits of every transaction
      // that sends one, and ingest's are many at once. Ingest announces them
      // after the commit instead (OutboxAnnouncer in shared/events). Every
      // other row of this outbox (aggregation's events) still wakes the
      // relays at its commit. While a deploy rolls out, what ingest of the
      // version before writes waits for the relays' next poll (2 s at most).
      id: '0008_usage_recorded_announced_after_commit',
      sql: `
        drop trigger outbox_notify on outbox;
        create function notify_outbox_unannounced() returns trigger language plpgsql as $$
        begin
          if exists (select 1 from inserted where type <> 'dev.polaris.usage.recorded') then
            perform pg_notify('polaris_outbox', tg_table_schema);
          end if;
          return null;
        end $$;
        create trigger outbox_notify after insert on outbox referencing new table as inserted
          for each statement execute function notify_outbox_unannounced();
        drop function notify_outbox();
      `,
    },
    {
      // How many events each outbox row holds, as a column (see outboxEventCountSql).
      id: '0009_outbox_event_count',
      sql: outboxEventCountSql,
    },
  ],
};
