/** Identity's SQL. Only this file touches the `identity` schema. */
import type { Sql } from '../../../shared/database.js';
import type { OrganizationLimitOverrides } from '../../../shared/rate-limits/index.js';
import type { ApiKeyScope } from './api-key.js';
import { ExternalIdTakenError } from './errors.js';

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
  externalId: string | null;
  /** The limits the operator set for it; each left out takes the deployment's default. */
  limits: OrganizationLimitOverrides;
}

/** The columns of an organization's own limits, null for the default. */
interface LimitColumns {
  ingestRequestsPerSecond: number | null;
  ingestEventsPerSecond: number | null;
  graphqlCostPerSecond: number | null;
}

type OrganizationRow = Omit<Organization, 'limits'> & LimitColumns;

function limitsOf(row: LimitColumns): OrganizationLimitOverrides {
  const limits: OrganizationLimitOverrides = {};
  if (row.ingestRequestsPerSecond !== null) limits.ingestRequestsPerSecond = row.ingestRequestsPerSecond;
  if (row.ingestEventsPerSecond !== null) limits.ingestEventsPerSecond = row.ingestEventsPerSecond;
  if (row.graphqlCostPerSecond !== null) limits.graphqlCostPerSecond = row.graphqlCostPerSecond;
  return limits;
}

// `limits` before the spread: on Node 20 a literal that adds keys after a
// spread gets a hidden class of its own each time (scripts/bench/LOG.md).
const organizationOf = ({ ingestRequestsPerSecond, ingestEventsPerSecond, graphqlCostPerSecond, ...organization }: OrganizationRow): Organization => ({
  limits: limitsOf({ ingestRequestsPerSecond, ingestEventsPerSecond, graphqlCostPerSecond }),
  ...organization,
});

/** An API key as stored: never the key itself. */
export interface ApiKeyRecord {
  id: string;
  /** Null for a service key. */
  orgId: string | null;
  prefix: string;
  name: string | null;
  scopes: ApiKeyScope[];
  createdAt: Date;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface ApiKeyCandidate {
  id: string;
  orgId: string | null;
  hash: Uint8Array;
  scopes: ApiKeyScope[];
  revokedAt: Date | null;
  /** By the database's clock, so every copy of Identity agrees. */
  expired: boolean;
  /** The key's organization's own limits; none for a service key. */
  limits: OrganizationLimitOverrides;
}

/** What a new key is, besides its secret. */
export interface ApiKeyAttributes {
  name?: string;
  scopes: readonly ApiKeyScope[];
  expiresAt?: Date;
}

interface StoredSecret {
  prefix: string;
  hash: Buffer;
}

const limitColumns = 'ingest_requests_per_second, ingest_events_per_second, graphql_cost_per_second';
const organizationColumns = (sql: Sql) => sql`id, name, created_at, external_id, ${sql.unsafe(limitColumns)}`;
const keyColumns = (sql: Sql) => sql`id, org_id, prefix, name, scopes, created_at, revoked_at, expires_at, last_used_at`;

/** PostgreSQL's unique_violation on the externalId index. */
function isExternalIdTaken(err: unknown): boolean {
  const { code, constraint_name: constraint } = err as { code?: string; constraint_name?: string };
  return code === '23505' && constraint === 'organizations_external_id';
}

export class IdentityStore {
  constructor(private readonly sql: Sql) {}

  async insertOrganization(
    organization: { name: string; externalId?: string },
    key: StoredSecret,
  ): Promise<{ organization: Organization; keyId: string }> {
    try {
      return await this.sql.begin(async (tx) => {
        const [inserted] = await tx<OrganizationRow[]>`
          insert into identity.organizations (name, external_id) values (${organization.name}, ${organization.externalId ?? null})
          returning id, name, created_at, external_id, ${tx.unsafe(limitColumns)}`;
        const [apiKey] = await tx<{ id: string }[]>`
          insert into identity.api_keys (org_id, prefix, hash)
          values (${inserted!.id}, ${key.prefix}, ${key.hash}) returning id`;
        return { organization: organizationOf(inserted!), keyId: apiKey!.id };
      });
    } catch (err) {
      // The index decides, so two concurrent requests for one externalId cannot both win.
      if (isExternalIdTaken(err)) throw new ExternalIdTakenError();
      throw err;
    }
  }

  async findOrganization(id: string): Promise<Organization | undefined> {
    const [row] = await this.sql<OrganizationRow[]>`select ${organizationColumns(this.sql)} from identity.organizations where id = ${id}`;
    return row && organizationOf(row);
  }

  async findOrganizationByExternalId(externalId: string): Promise<Organization | undefined> {
    const [row] = await this.sql<OrganizationRow[]>`
      select ${organizationColumns(this.sql)} from identity.organizations where external_id = ${externalId}`;
    return row && organizationOf(row);
  }

  async listOrganizations(): Promise<Organization[]> {
    const rows = await this.sql<OrganizationRow[]>`select ${organizationColumns(this.sql)} from identity.organizations order by created_at, id`;
    return rows.map(organizationOf);
  }

  /** Replaces an organization's own limits (left out: the default); undefined when it does not exist. */
  async updateOrganizationLimits(id: string, limits: OrganizationLimitOverrides): Promise<Organization | undefined> {
    const [row] = await this.sql<OrganizationRow[]>`
      update identity.organizations set
        ingest_requests_per_second = ${limits.ingestRequestsPerSecond ?? null},
        ingest_events_per_second = ${limits.ingestEventsPerSecond ?? null},
        graphql_cost_per_second = ${limits.graphqlCostPerSecond ?? null}
      where id = ${id}
      returning ${organizationColumns(this.sql)}`;
    return row && organizationOf(row);
  }

  /** Inserts a key for an existing organization; undefined when it does not exist. */
  async insertApiKey(orgId: string, key: StoredSecret, attributes: ApiKeyAttributes): Promise<string | undefined> {
    const [row] = await this.sql<{ id: string }[]>`
      insert into identity.api_keys (org_id, prefix, hash, name, scopes, expires_at)
      select id, ${key.prefix}, ${key.hash}, ${attributes.name ?? null}, ${attributes.scopes as string[]}::text[], ${attributes.expiresAt ?? null}
      from identity.organizations where id = ${orgId}
      returning id`;
    return row?.id;
  }

  /** A key of no organization, with INGEST_ANY alone. */
  async insertServiceKey(name: string, key: StoredSecret): Promise<string> {
    const [row] = await this.sql<{ id: string }[]>`
      insert into identity.api_keys (org_id, prefix, hash, name, scopes)
      values (null, ${key.prefix}, ${key.hash}, ${name}, '{INGEST_ANY}') returning id`;
    return row!.id;
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.sql<ApiKeyRecord[]>`select ${keyColumns(this.sql)} from identity.api_keys where id = ${id}`;
    return row;
  }

  listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return this.sql<ApiKeyRecord[]>`
      select ${keyColumns(this.sql)} from identity.api_keys where org_id = ${orgId} order by created_at, id`;
  }

  async findApiKeysByPrefix(prefix: string): Promise<ApiKeyCandidate[]> {
    // The organization's limits come with the key: ingest and the gateway cache them together.
    const rows = await this.sql<(Omit<ApiKeyCandidate, 'limits'> & LimitColumns)[]>`
      select k.id, k.org_id, k.hash, k.scopes, k.revoked_at, coalesce(k.expires_at <= now(), false) as expired,
        o.ingest_requests_per_second, o.ingest_events_per_second, o.graphql_cost_per_second
      from identity.api_keys k left join identity.organizations o on o.id = k.org_id
      where k.prefix = ${prefix}`;
    return rows.map(({ ingestRequestsPerSecond, ingestEventsPerSecond, graphqlCostPerSecond, ...key }) => ({
      limits: limitsOf({ ingestRequestsPerSecond, ingestEventsPerSecond, graphqlCostPerSecond }),
      ...key,
    }));
  }

  /**
   * Notes that a key was used, unless that was noted less than a minute ago:
   * a busy key costs one row update a minute, not one per request.
   */
  async touchApiKey(id: string): Promise<void> {
    await this.sql`
      update identity.api_keys set last_used_at = now()
      where id = ${id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  }

  /**
   * Revokes a key; `undefined` when no such key, `revokedNow` false when it
   * was already revoked. `orgId` is the key's organization (null for a service key).
   */
  async revokeApiKey(id: string): Promise<{ revokedNow: boolean; orgId: string | null } | undefined> {
    const [row] = await this.sql<{ revokedNow: boolean; orgId: string | null }[]>`
      with target as (select id, org_id, revoked_at from identity.api_keys where id = ${id} for update),
           revoked as (
             update identity.api_keys k set revoked_at = now()
             from target where k.id = target.id and target.revoked_at is null
             returning k.id
           )
      select exists (select 1 from revoked) as revoked_now, org_id from target`;
    return row;
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }
}
