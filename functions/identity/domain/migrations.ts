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
    {
      id: '0002_api_key_scopes_and_external_ids',
      sql: `
        -- The operator's own id for an organization; the service validates its
        -- characters, the database its uniqueness and length.
        alter table organizations
          add column external_id text check (length(external_id) between 1 and 255);
        create unique index organizations_external_id on organizations (external_id);

        -- Keys made before scopes existed keep all three. A service key
        -- (INGEST_ANY alone) belongs to no organization; every other key to one.
        alter table api_keys
          add column name text check (length(name) between 1 and 100),
          add column scopes text[] not null default '{INGEST,READ,MANAGE}'
            check (cardinality(scopes) > 0 and scopes <@ '{INGEST,READ,MANAGE,INGEST_ANY}'),
          add column expires_at timestamptz,
          add column last_used_at timestamptz,
          alter column org_id drop not null,
          add constraint api_keys_service_key_has_no_organization check (
            case when org_id is null then scopes = '{INGEST_ANY}' else not ('INGEST_ANY' = any (scopes)) end
          );
      `,
    },
  ],
};
