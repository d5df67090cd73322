import type { SchemaMigrations } from '../../../shared/database.js';

/** The payments service's schema. Forward-only: add a migration, never edit an applied one. */
export const paymentsMigrations: SchemaMigrations = {
  schema: 'payments',
  migrations: [
    {
      id: '0001_stripe',
      sql: `
        -- The Stripe customer each organization's invoices go to, and how they are collected.
        create table stripe_customers (
          org_id uuid primary key,
          customer_id text not null,
          collection_method text not null check (collection_method in ('charge_automatically', 'send_invoice')),
          -- send_invoice only: the days the customer has to pay.
          days_until_due int check (days_until_due between 1 and 365),
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );

        -- Each finalized Polaris invoice on its way to Stripe. The customer and
        -- method are those of its first attempt, so every retry sends the same
        -- requests under the same idempotency keys, however the link changed since.
        create table stripe_invoices (
          invoice_id uuid primary key,
          org_id uuid not null,
          customer_id text not null,
          collection_method text not null check (collection_method in ('charge_automatically', 'send_invoice')),
          days_until_due int,
          -- Set as soon as Stripe made it: a webhook about it may come before the last step is done.
          stripe_invoice_id text unique,
          -- pending: made or being made in Stripe; finalized: to be sent or charged;
          -- then sent (emailed), charged, charge_failed (declined: left to Stripe's
          -- retries, reported by webhook), or settled (Stripe had nothing to collect).
          state text not null default 'pending' check (state in ('pending', 'finalized', 'sent', 'charged', 'charge_failed', 'settled')),
          -- What Stripe's webhooks last reported.
          payment_status text,
          attempts int not null default 0,
          last_error text,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );

        -- Stripe webhook events applied, by Stripe's event id: a redelivery changes nothing.
        create table stripe_events (
          event_id text primary key,
          type text not null,
          stripe_invoice_id text not null,
          invoice_id uuid not null,
          -- False when the event said nothing new (billing kept the status it had).
          changed boolean not null,
          received_at timestamptz not null default now()
        );
      `,
    },
    {
      id: '0002_voided_in_stripe',
      sql: `
        -- voided: the Polaris invoice was voided, and so was its Stripe invoice
        -- (or its Stripe draft deleted, or nothing had reached Stripe yet).
        alter table stripe_invoices drop constraint stripe_invoices_state_check;
        alter table stripe_invoices add constraint stripe_invoices_state_check
          check (state in ('pending', 'finalized', 'sent', 'charged', 'charge_failed', 'settled', 'voided'));
      `,
    },
  ],
};
