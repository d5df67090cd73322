import type { SchemaMigrations } from '../../../shared/database.js';
import { outboxNotifySql, outboxTableSql } from '../../../shared/events/index.js';

/** Billing's schema. Forward-only: add a migration, never edit an applied one. */
export const billingMigrations: SchemaMigrations = {
  schema: 'billing',
  migrations: [
    {
      id: '0001_plans_invoices_outbox',
      sql: `
        -- One plan per organization and metric; SetPlan replaces it.
        create table plans (
          id uuid primary key,
          org_id uuid not null,
          name text not null,
          metric text not null,
          unit_price numeric(38, 12) not null check (unit_price >= 0),
          free_quota numeric(38, 12) not null check (free_quota >= 0),
          currency char(3) not null,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (org_id, metric)
        );

        -- One invoice per organization and period.
        create table invoices (
          id uuid primary key,
          org_id uuid not null,
          period_start timestamptz not null,
          period_end timestamptz not null check (period_end > period_start),
          status text not null check (status in ('draft', 'finalized')),
          amount numeric(38, 12) not null,
          currency char(3) not null,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          finalized_at timestamptz,
          unique (org_id, period_start, period_end)
        );
        create index invoices_org_period on invoices (org_id, period_start desc);

        create table invoice_lines (
          invoice_id uuid not null references invoices (id) on delete cascade,
          metric text not null,
          quantity numeric(38, 12) not null,
          free_quota numeric(38, 12) not null,
          billable_quantity numeric(38, 12) not null,
          unit_price numeric(38, 12) not null,
          amount numeric(38, 12) not null,
          primary key (invoice_id, metric)
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
      // Usage totals have no upper bound (see usage's 0003), and neither have
      // the quantities and amounts priced from them: unconstrained numeric, so
      // a large total prices exactly instead of failing the invoice. Plans'
      // inputs (unit price, free quota) keep their limits.
      id: '0003_unbounded_amounts',
      sql: `
        alter table invoices alter column amount type numeric;
        alter table invoice_lines
          alter column quantity type numeric,
          alter column billable_quantity type numeric,
          alter column amount type numeric;
      `,
    },
  ],
};
