import type { SchemaMigrations } from '../../../shared/database.js';
import { outboxNotifySql, outboxTableSql } from '../../../shared/events/index.js';

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
  ],
};
