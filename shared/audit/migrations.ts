import type { SchemaMigrations } from '../database.js';

/** The audit log's schema. Forward-only: add a migration, never edit an applied one. */
export const auditMigrations: SchemaMigrations = {
  schema: 'audit',
  migrations: [
    {
      id: '0001_entries',
      sql: `
        -- One row per mutation, written by the gRPC runtime once the mutation
        -- succeeded. Targets are ids: never a secret.
        create table entries (
          id bigint generated always as identity primary key,
          -- clock_timestamp: entries of one transaction keep their own order.
          at timestamptz not null default clock_timestamp(),
          actor text not null check (length(actor) between 1 and 200),
          action text not null check (length(action) between 1 and 100),
          target text check (length(target) between 1 and 300),
          organization_id uuid,
          client_address text check (length(client_address) between 1 and 100)
        );
        -- An organization's log, and the operator's view of all of them, newest first.
        create index entries_organization_at on entries (organization_id, at desc);
        create index entries_at on entries (at desc);
      `,
    },
  ],
};
