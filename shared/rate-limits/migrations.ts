import type { SchemaMigrations } from '../database.js';

/** The shared token buckets' schema. Forward-only: add a migration, never edit an applied one. */
export const rateLimitMigrations: SchemaMigrations = {
  schema: 'rate_limits',
  migrations: [
    {
      id: '0001_buckets',
      sql: `
        -- One token bucket per organization and limit, shared by every pod of
        -- every function that enforces the limit. Pods lease tokens in chunks
        -- (one UPDATE each) and serve requests from their lease, so a request
        -- costs no round trip here. Refilled lazily by the database's clock.
        create table buckets (
          key text primary key check (length(key) between 1 and 200),
          tokens double precision not null,
          updated_at timestamptz not null,
          -- What the last lease took: the lease's answer, read by RETURNING.
          last_granted double precision not null default 0
        );
      `,
    },
  ],
};
