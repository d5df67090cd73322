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
    {
      // People, their sessions and one-time tokens. Independent of 0002 (API
      // keys): the two apply in either order. Every token is stored as its
      // SHA-256 only; passwords as Argon2id PHC strings.
      id: '0003_users_sessions_invitations',
      sql: `
        -- Emails arrive trimmed and lower-cased by Identity's validators (no
        -- check here: PostgreSQL's lower() and JavaScript's disagree on a few letters).
        create table users (
          id uuid primary key default gen_random_uuid(),
          email text not null unique check (length(email) between 3 and 254),
          name text not null default '' check (length(name) <= 200),
          -- Null for a user who signs in only through an identity provider.
          password_hash text,
          created_at timestamptz not null default now()
        );

        create table memberships (
          user_id uuid not null references users (id),
          org_id uuid not null references organizations (id),
          role text not null check (role in ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
          created_at timestamptz not null default now(),
          primary key (user_id, org_id)
        );
        create index memberships_org_id on memberships (org_id, role);

        create table invitations (
          id uuid primary key default gen_random_uuid(),
          org_id uuid not null references organizations (id),
          email text not null check (length(email) between 3 and 254),
          role text not null check (role in ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
          token_hash bytea not null unique check (length(token_hash) = 32),
          -- The actor who invited, as the audit log names actors (user:<id>, operator, …).
          invited_by text not null,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          accepted_at timestamptz,
          revoked_at timestamptz
        );
        create index invitations_org_id on invitations (org_id, created_at);
        create index invitations_email on invitations (email) where accepted_at is null and revoked_at is null;

        -- A session is a family of refresh tokens, acting for one organization at a time.
        create table sessions (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references users (id),
          org_id uuid not null references organizations (id),
          created_at timestamptz not null default now(),
          revoked_at timestamptz,
          client_address text
        );
        create index sessions_user_id on sessions (user_id) where revoked_at is null;

        create table refresh_tokens (
          hash bytea primary key check (length(hash) = 32),
          session_id uuid not null references sessions (id),
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          used_at timestamptz
        );
        create index refresh_tokens_session_id on refresh_tokens (session_id);

        create table password_resets (
          hash bytea primary key check (length(hash) = 32),
          user_id uuid not null references users (id),
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          used_at timestamptz
        );
        create index password_resets_user_id on password_resets (user_id) where used_at is null;

        -- Failed sign-ins per subject, shared by every pod: 'email:<sha256 hex>'
        -- for an account (known or not), 'address:<client address>'.
        create table sign_in_failures (
          subject text primary key,
          failures integer not null check (failures >= 0),
          window_started_at timestamptz not null,
          locked_until timestamptz
        );
        create index sign_in_failures_window on sign_in_failures (window_started_at);

        create table oidc_identities (
          issuer text not null,
          subject text not null,
          user_id uuid not null references users (id),
          created_at timestamptz not null default now(),
          primary key (issuer, subject)
        );
        create index oidc_identities_user_id on oidc_identities (user_id);
      `,
    },
    {
      id: '0004_organization_limits',
      sql: `
        -- The operator's limits for an organization, per second across every
        -- pod; null takes the deployment's default (POLARIS_RATE_LIMIT_*).
        alter table organizations
          add column ingest_requests_per_second integer check (ingest_requests_per_second > 0),
          add column ingest_events_per_second integer check (ingest_events_per_second > 0),
          add column graphql_cost_per_second integer check (graphql_cost_per_second > 0);
      `,
    },
  ],
};
