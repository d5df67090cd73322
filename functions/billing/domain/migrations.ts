import type { SchemaMigrations } from '../../../shared/database.js';
import { outboxEventCountSql, outboxNotifySql, outboxTableSql } from '../../../shared/events/index.js';

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
    {
      // Pricing over time: versioned prices per (metric, property filter),
      // billing terms, invoice numbers, lines that belong to another period
      // (adjustments, credits), and the closed periods left to settle.
      id: '0004_pricing_over_time',
      sql: `
        create table price_versions (
          id uuid primary key,
          org_id uuid not null,
          name text not null,
          metric text not null,
          -- {"key": ["value", …]}, keys and values sorted: the plan's property filter.
          where_key jsonb not null default '{}',
          -- The start of the first billing period the price applies to.
          effective_from timestamptz not null,
          model text not null check (model in ('PER_UNIT', 'GRADUATED', 'VOLUME', 'PACKAGE')),
          unit_price numeric,
          free_quota numeric,
          tiers jsonb,
          package_size numeric,
          package_price numeric,
          currency char(3) not null,
          created_at timestamptz not null default now(),
          unique (org_id, metric, where_key, effective_from)
        );
        -- Every v1 plan applies from the beginning.
        insert into price_versions (id, org_id, name, metric, effective_from, model, unit_price, free_quota, currency, created_at)
        select id, org_id, name, metric, timestamptz '1970-01-01 00:00:00+00', 'PER_UNIT', unit_price, free_quota, currency, created_at from plans;
        drop table plans;

        -- Versioned like prices: a change applies from the start of the
        -- period it was made in, so a closed period keeps the fee and minimum
        -- it was billed under. The time zone is the latest row's (it can only
        -- change before the first invoice).
        create table billing_terms (
          org_id uuid not null,
          effective_from timestamptz not null,
          time_zone text not null default 'UTC',
          recurring_fee numeric not null default 0,
          recurring_fee_name text not null default 'Subscription',
          minimum numeric not null default 0,
          currency char(3),
          updated_at timestamptz not null default now(),
          primary key (org_id, effective_from)
        );

        alter table invoices drop constraint invoices_status_check;
        alter table invoices add constraint invoices_status_check check (status in ('draft', 'finalized', 'void'));
        alter table invoices
          add column number text,
          add column voided_at timestamptz,
          add column void_reason text;
        create unique index invoices_org_number on invoices (org_id, number) where number is not null;

        -- The last number given per organization: taken in the finalizing
        -- transaction, so numbers have no gaps.
        create table invoice_counters (org_id uuid primary key, last_number bigint not null);

        alter table invoice_lines drop constraint invoice_lines_pkey;
        alter table invoice_lines
          add column position int,
          add column kind text not null default 'usage' check (kind in ('usage', 'fee', 'minimum', 'adjustment', 'credit')),
          -- What the line charges for, the same across periods: settlement compares by it.
          add column line_key text,
          add column description text not null default '',
          add column where_key jsonb not null default '{}',
          -- Set when the line belongs to another period than its invoice's.
          add column for_period_start timestamptz,
          add column for_period_end timestamptz,
          add column for_invoice_id uuid;
        update invoice_lines l set position = n.position, line_key = 'usage:' || l.metric || ':{}'
        from (select invoice_id, metric, row_number() over (partition by invoice_id order by metric) as position from invoice_lines) n
        where (n.invoice_id, n.metric) = (l.invoice_id, l.metric);
        alter table invoice_lines alter column position set not null, alter column line_key set not null;
        alter table invoice_lines add primary key (invoice_id, position);
        alter table invoice_lines alter column metric drop not null;

        -- Closed periods whose usage, prices or invoices changed after they
        -- closed: the next open invoice settles them.
        create table periods_to_settle (
          org_id uuid not null,
          period_start timestamptz not null,
          period_end timestamptz not null,
          primary key (org_id, period_start)
        );
      `,
    },
    {
      // Usage alerts and entitlements: what an organization is
      // warned about and what it may use, each evaluated when its usage changes.
      id: '0005_usage_alerts_entitlements',
      sql: `
        -- A budget on a metric's value in the billing period (metric null:
        -- the draft invoice's amount), and the percentages of it to warn at.
        create table usage_alerts (
          id uuid primary key,
          org_id uuid not null,
          metric text,
          budget numeric not null check (budget > 0),
          -- Ascending, without repeats.
          percentages numeric[] not null check (cardinality(percentages) > 0),
          created_at timestamptz not null default now()
        );
        create index usage_alerts_org on usage_alerts (org_id, created_at);

        -- What an organization may use: a feature that is on or off, or a
        -- metric's value limited per billing period (soft: only reported).
        create table entitlements (
          id uuid primary key,
          org_id uuid not null,
          feature text not null,
          kind text not null check (kind in ('boolean', 'metered')),
          enabled boolean not null default true,
          metric text,
          "limit" numeric check ("limit" >= 0),
          soft boolean not null default false,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          unique (org_id, feature),
          check ((kind = 'metered') = (metric is not null and "limit" is not null))
        );

        -- A metered entitlement's usage in its latest billing period, kept by
        -- billing when usage changes, so a check reads one row, never Usage.
        create table entitlement_state (
          entitlement_id uuid primary key references entitlements (id) on delete cascade,
          period_start timestamptz not null,
          period_end timestamptz not null,
          usage numeric not null,
          updated_at timestamptz not null default now()
        );

        -- Every threshold reached, once per (alert or entitlement, threshold,
        -- period): the key makes a second sighting (a concurrent or
        -- redelivered evaluation) insert nothing and so announce nothing.
        create table threshold_crossings (
          source text not null check (source in ('alert', 'entitlement')),
          source_id uuid not null,
          org_id uuid not null,
          period_start timestamptz not null,
          period_end timestamptz not null,
          threshold numeric not null,
          percent numeric not null,
          value numeric not null,
          crossed_at timestamptz not null default now(),
          primary key (source_id, period_start, threshold)
        );
        create index threshold_crossings_org on threshold_crossings (org_id, period_start desc);
      `,
    },
    {
      // What a payment provider (Stripe, through the payments service) reports
      // of a finalized invoice. Apart from status: a finalized invoice stays
      // finalized whether it is paid or not. Null until a report arrives.
      id: '0006_invoice_payment_status',
      sql: `
        alter table invoices
          add column payment_status text check (payment_status in ('payment_failed', 'uncollectible', 'paid')),
          add column payment_status_at timestamptz;
      `,
    },
    {
      // How many events each outbox row holds, as a column (see outboxEventCountSql).
      id: '0007_outbox_event_count',
      sql: outboxEventCountSql,
    },
  ],
};
