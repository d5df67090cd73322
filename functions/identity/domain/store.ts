/** Identity's SQL. Only this file touches the `identity` schema. */
import type { Sql } from '../../../shared/database.js';

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
}

/** An API key as stored: never the key itself. */
export interface ApiKeyRecord {
  id: string;
  orgId: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface ApiKeyCandidate {
  id: string;
  orgId: string;
  hash: Uint8Array;
  revokedAt: Date | null;
}

const keyColumns = (sql: Sql) => sql`id, org_id, prefix, created_at, revoked_at`;

export class IdentityStore {
  constructor(private readonly sql: Sql) {}

  async insertOrganization(name: string, key: { prefix: string; hash: Buffer }): Promise<{ organization: Organization; keyId: string }> {
    return this.sql.begin(async (tx) => {
      const [organization] = await tx<Organization[]>`
        insert into identity.organizations (name) values (${name}) returning id, name, created_at`;
      const [apiKey] = await tx<{ id: string }[]>`
        insert into identity.api_keys (org_id, prefix, hash)
        values (${organization!.id}, ${key.prefix}, ${key.hash}) returning id`;
      return { organization: organization!, keyId: apiKey!.id };
    });
  }

  async findOrganization(id: string): Promise<Organization | undefined> {
    const [row] = await this.sql<Organization[]>`select id, name, created_at from identity.organizations where id = ${id}`;
    return row;
  }

  listOrganizations(): Promise<Organization[]> {
    return this.sql<Organization[]>`select id, name, created_at from identity.organizations order by created_at, id`;
  }

  /** Inserts a key for an existing organization; undefined when it does not exist. */
  async insertApiKey(orgId: string, key: { prefix: string; hash: Buffer }): Promise<string | undefined> {
    const [row] = await this.sql<{ id: string }[]>`
      insert into identity.api_keys (org_id, prefix, hash)
      select id, ${key.prefix}, ${key.hash} from identity.organizations where id = ${orgId}
      returning id`;
    return row?.id;
  }

  listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return this.sql<ApiKeyRecord[]>`
      select ${keyColumns(this.sql)} from identity.api_keys where org_id = ${orgId} order by created_at, id`;
  }

  findApiKeysByPrefix(prefix: string): Promise<ApiKeyCandidate[]> {
    return this.sql<ApiKeyCandidate[]>`select id, org_id, hash, revoked_at from identity.api_keys where prefix = ${prefix}`;
  }

  /** Revokes a key; `undefined` when no such key, `false` when it was already revoked. */
  async revokeApiKey(id: string): Promise<boolean | undefined> {
    const [row] = await this.sql<{ revokedNow: boolean }[]>`
      with target as (select id, revoked_at from identity.api_keys where id = ${id} for update),
           revoked as (
             update identity.api_keys k set revoked_at = now()
             from target where k.id = target.id and target.revoked_at is null
             returning k.id
           )
      select exists (select 1 from revoked) as revoked_now from target`;
    return row?.revokedNow;
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }
}
