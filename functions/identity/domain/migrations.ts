import type { SchemaMigrations } from '../../../shared/database.js';

/** Identity's schema. Forward-only: add a migration, never edit an applied one. */
export const identityMigrations: SchemaMigrations = {
  schema: 'identity',
  migrations: [
    {
      id: '0001_organizations_and_api_keys',
      sql: `
        create table organizations (
          id uuid primary key default gen_random_uuid(),
          name text not null check (length(name) between 1 and 200),
          created_at timestamptz not null default now()
        );

        -- The key itself is never stored: only a prefix to find it and its SHA-256.
        create table api_keys (
          id uuid primary key default gen_random_uuid(),
          org_id uuid not null references organizations (id),
          prefix text not null,
          hash bytea not null check (length(hash) = 32),
          created_at timestamptz not null default now(),
          revoked_at timestamptz
        );
        create index api_keys_prefix on api_keys (prefix);
        create index api_keys_org_id on api_keys (org_id, created_at);
      `,
    },
  ],
};
