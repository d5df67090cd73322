/**
 * API keys with names, scopes, expiry and last use; service keys; and
 * organizations' externalIds, over gRPC against real PostgreSQL.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStatus, IdentityService, type CreateApiKeyRequest } from '../../proto/gen/polaris/identity/v1/identity.js';
import { migrate } from '../../shared/database.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { allMigrations } from '../migrations.js';
import { identityMigrations } from './domain/index.js';

let db: TestDatabase;
let host: TestHost;
let client: ReturnType<typeof rpcClient>;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  client = rpcClient(host.grpcAddress);
});

afterAll(async () => {
  client?.close();
  await host?.close();
  await db?.drop();
});

const createOrganization = (name: string, externalId = '') => client.call(IdentityService.createOrganization, { name, externalId });
const createApiKey = (request: Partial<CreateApiKeyRequest> & { organizationId: string }) =>
  client.call(IdentityService.createApiKey, { name: '', scopes: [], expiresAt: '', ...request });
const validate = (apiKey: string) => client.call(IdentityService.validateApiKey, { apiKey });
const keyOf = async (organizationId: string, id: string) =>
  (await client.call(IdentityService.listApiKeys, { organizationId })).apiKeys.find((key) => key.id === id)!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function invalidArgument(promise: Promise<unknown>): Promise<string> {
  const err = await grpcError(promise);
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  return err.details;
}

describe('API keys', () => {
  it('keeps a name, scopes and expiry; validation answers the scopes', async () => {
    const { organization } = await createOrganization('Scoped');
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    // Given in any order, stored in one.
    const created = await createApiKey({ organizationId: organization!.id, name: '  CI uploader ', scopes: ['READ', 'INGEST'], expiresAt });
    expect(await validate(created.apiKey)).toEqual({
      valid: true,
      status: ApiKeyStatus.API_KEY_STATUS_VALID,
      organizationId: organization!.id,
      keyId: created.apiKeyId,
      scopes: ['INGEST', 'READ'],
      limits: { ingestRequestsPerSecond: 0, ingestEventsPerSecond: 0, graphqlCostPerSecond: 0 },
    });
    const listed = await keyOf(organization!.id, created.apiKeyId);
    expect(listed).toMatchObject({ name: 'CI uploader', scopes: ['INGEST', 'READ'], expiresAt, revokedAt: '', organizationId: organization!.id });
    // Validation notes the key's use without waiting for it, so that one field may land between the two reads.
    const { apiKey } = await client.call(IdentityService.getApiKey, { apiKeyId: created.apiKeyId });
    expect({ ...apiKey, lastUsedAt: undefined }).toEqual({ ...listed, lastUsedAt: undefined });
  });

  it('gives a key made without scopes, and an organization’s first key, all three', async () => {
    const { organization, apiKeyId } = await createOrganization('Defaults');
    const plain = await createApiKey({ organizationId: organization!.id });
    for (const id of [apiKeyId, plain.apiKeyId]) {
      expect(await keyOf(organization!.id, id)).toMatchObject({ name: '', scopes: ['INGEST', 'READ', 'MANAGE'], expiresAt: '', lastUsedAt: '' });
    }
    expect((await validate(plain.apiKey)).scopes).toEqual(['INGEST', 'READ', 'MANAGE']);
  });

  it.each<[Partial<CreateApiKeyRequest>, string, string]>([
    [{ scopes: ['INGEST', 'WRITE'] }, 'scopes[1]', 'must be one of INGEST, READ, MANAGE'],
    [{ scopes: ['INGEST_ANY'] }, 'scopes[0]', 'must be one of INGEST, READ, MANAGE'],
    [{ scopes: ['read'] }, 'scopes[0]', 'must be one of'],
    [{ scopes: ['READ', 'MANAGE', 'READ'] }, 'scopes[2]', 'repeats READ'],
    [{ expiresAt: '2020-01-01T00:00:00Z' }, 'expires_at', 'must be in the future'],
    [{ expiresAt: 'tomorrow' }, 'expires_at', 'must be an RFC 3339 timestamp'],
    [{ name: 'n'.repeat(101) }, 'name', 'must be at most 100 characters'],
    [{ name: 'bad\u0000name' }, 'name', 'must be valid Unicode text without U+0000'],
  ])('refuses %o naming %s', async (fields, field, message) => {
    const { organization } = await createOrganization('Refusals');
    const before = (await client.call(IdentityService.listApiKeys, { organizationId: organization!.id })).apiKeys.length;
    const details = await invalidArgument(createApiKey({ organizationId: organization!.id, ...fields }));
    expect(details).toContain(`${field}: ${message}`);
    expect((await client.call(IdentityService.listApiKeys, { organizationId: organization!.id })).apiKeys).toHaveLength(before);
  });

  it('answers EXPIRED once a key’s expiry has passed, and lists when', async () => {
    const { organization } = await createOrganization('Expiring');
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const key = await createApiKey({ organizationId: organization!.id, expiresAt });
    expect((await validate(key.apiKey)).valid).toBe(true);
    await sleep(Date.parse(expiresAt) - Date.now() + 100);
    expect(await validate(key.apiKey)).toEqual({
      valid: false,
      status: ApiKeyStatus.API_KEY_STATUS_EXPIRED,
      organizationId: '',
      keyId: key.apiKeyId,
      scopes: [],
    });
    // Revoked outranks expired: the key was taken away on purpose.
    await client.call(IdentityService.revokeApiKey, { apiKeyId: key.apiKeyId });
    expect((await validate(key.apiKey)).status).toBe(ApiKeyStatus.API_KEY_STATUS_REVOKED);
  });

  it('notes a key’s last use after validation, at most once a minute', async () => {
    const { organization, apiKey, apiKeyId } = await createOrganization('Used');
    expect((await keyOf(organization!.id, apiKeyId)).lastUsedAt).toBe('');
    const before = Date.now();
    await validate(apiKey);
    // Written after the answer, not before it.
    let lastUsedAt = '';
    for (let i = 0; i < 50 && lastUsedAt === ''; i++) {
      lastUsedAt = (await keyOf(organization!.id, apiKeyId)).lastUsedAt;
      if (lastUsedAt === '') await sleep(50);
    }
    expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(lastUsedAt)).toBeLessThanOrEqual(Date.now() + 1000);
    await validate(apiKey);
    // Behind this process's memory, the statement itself refuses a second write within the minute.
    await db.sql`update identity.api_keys set last_used_at = last_used_at - interval '30 seconds' where id = ${apiKeyId}`;
    const backdated = (await keyOf(organization!.id, apiKeyId)).lastUsedAt;
    await sleep(200);
    expect((await keyOf(organization!.id, apiKeyId)).lastUsedAt).toBe(backdated);
  });

  it('answers NOT_FOUND for a key that does not exist, INVALID_ARGUMENT for a bad id', async () => {
    expect((await grpcError(client.call(IdentityService.getApiKey, { apiKeyId: '00000000-0000-4000-8000-000000000000' }))).code).toBe(grpc.status.NOT_FOUND);
    expect(await invalidArgument(client.call(IdentityService.getApiKey, { apiKeyId: 'k1' }))).toContain('api_key_id');
  });

  it('lets keys made before scopes existed keep all three', async () => {
    const old = await createTestDatabase({ migrate: false });
    try {
      await migrate(old.sql, [{ schema: 'identity', migrations: identityMigrations.migrations.slice(0, 1) }]);
      const [org] = await old.sql<{ id: string }[]>`insert into identity.organizations (name) values ('Old') returning id`;
      await old.sql`insert into identity.api_keys (org_id, prefix, hash) values (${org!.id}, 'pol_oldkey00', ${Buffer.alloc(32)})`;
      await migrate(old.sql, allMigrations);
      const [key] = await old.sql<{ scopes: string[]; name: string | null; expiresAt: Date | null }[]>`select scopes, name, expires_at from identity.api_keys`;
      expect(key).toEqual({ scopes: ['INGEST', 'READ', 'MANAGE'], name: null, expiresAt: null });
    } finally {
      await old.drop();
    }
  });
});

describe('service keys', () => {
  it('have INGEST_ANY and no organization', async () => {
    const created = await client.call(IdentityService.createServiceKey, { name: 'billing backend' });
    expect(created.apiKey).toMatch(/^pol_[A-Za-z0-9_-]{40}$/);
    expect(await validate(created.apiKey)).toEqual({
      valid: true,
      status: ApiKeyStatus.API_KEY_STATUS_VALID,
      organizationId: '',
      keyId: created.apiKeyId,
      scopes: ['INGEST_ANY'],
      limits: { ingestRequestsPerSecond: 0, ingestEventsPerSecond: 0, graphqlCostPerSecond: 0 },
    });
    const { apiKey } = await client.call(IdentityService.getApiKey, { apiKeyId: created.apiKeyId });
    expect(apiKey).toMatchObject({ id: created.apiKeyId, organizationId: '', name: 'billing backend', scopes: ['INGEST_ANY'], prefix: created.apiKey.slice(0, 12) });
    expect((await client.call(IdentityService.revokeApiKey, { apiKeyId: created.apiKeyId })).revoked).toBe(true);
    expect((await validate(created.apiKey)).status).toBe(ApiKeyStatus.API_KEY_STATUS_REVOKED);
  });

  it('need a name and the operator token', async () => {
    expect(await invalidArgument(client.call(IdentityService.createServiceKey, { name: '  ' }))).toContain('name: is required');
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    try {
      expect((await grpcError(anonymous.call(IdentityService.createServiceKey, { name: 'sneaky' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from identity.api_keys where name = 'sneaky'`;
    expect(row!.n).toBe(0);
  });

  it('cannot exist with an organization, nor tenant keys without one (the table refuses)', async () => {
    const { organization } = await createOrganization('Constraint');
    await expect(db.sql`insert into identity.api_keys (org_id, prefix, hash, scopes) values (${organization!.id}, 'pol_x', ${Buffer.alloc(32)}, '{INGEST_ANY}')`).rejects.toMatchObject({ code: '23514' });
    await expect(db.sql`insert into identity.api_keys (org_id, prefix, hash, scopes) values (null, 'pol_x', ${Buffer.alloc(32)}, '{INGEST}')`).rejects.toMatchObject({ code: '23514' });
  });
});

describe('externalId', () => {
  it('is kept, listed, and unique', async () => {
    const created = await createOrganization('Customer 42', 'cus_42');
    expect(created.organization).toMatchObject({ name: 'Customer 42', externalId: 'cus_42' });
    const { organizations } = await client.call(IdentityService.listOrganizations, {});
    expect(organizations.find((o) => o.id === created.organization!.id)?.externalId).toBe('cus_42');
    expect((await createOrganization('No external id')).organization!.externalId).toBe('');
    expect(await invalidArgument(createOrganization('Copycat', 'cus_42'))).toContain('external_id: is already the externalId of another organization');
    // Compared as written: another case is another id.
    expect((await createOrganization('Upper', 'CUS_42')).organization!.externalId).toBe('CUS_42');
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from identity.organizations where name = 'Copycat'`;
    expect(row!.n).toBe(0);
  });

  it('goes to one organization when two ask for it at once', async () => {
    const answers = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => createOrganization(`Racer ${i}`, 'cus_race')));
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(1);
    for (const answer of answers) {
      if (answer.status === 'rejected') expect((answer.reason as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    }
  });

  it.each([
    ['with a space', 'cus 42'],
    ['with a tab', 'cus\t42'],
    ['of 256 characters', 'x'.repeat(256)],
    ['with a control character', 'cus\u000742'],
  ])('refuses one %s', async (_what, externalId) => {
    expect(await invalidArgument(createOrganization('Bad external id', externalId))).toContain('external_id: must be 1–255 printable characters without whitespace');
  });
});

describe('ResolveOrganization', () => {
  it('finds an organization by id or externalId, for callers without the operator token', async () => {
    const { organization } = await createOrganization('Resolvable', 'crm:7781');
    // An externalId may look like an id: it resolves as one when no organization has that id…
    const lookalike = await createOrganization('Lookalike', organization!.id.replace(/^./, (c) => (c === 'f' ? 'e' : 'f')));
    // …and an id wins over another organization's externalId equal to it.
    await createOrganization('Shadow', organization!.id);
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    try {
      const resolve = (reference: string) => anonymous.call(IdentityService.resolveOrganization, { reference });
      expect((await resolve(organization!.id)).organization).toEqual(organization);
      expect((await resolve(organization!.id.toUpperCase())).organization).toEqual(organization);
      expect((await resolve('crm:7781')).organization).toEqual(organization);
      expect((await resolve(lookalike.organization!.externalId)).organization!.id).toBe(lookalike.organization!.id);
      for (const missing of ['crm:7782', 'CRM:7781', '00000000-0000-4000-8000-000000000000']) {
        expect((await grpcError(resolve(missing))).code).toBe(grpc.status.NOT_FOUND);
      }
      for (const bad of ['', 'two words']) expect(await invalidArgument(resolve(bad))).toContain('reference');
    } finally {
      anonymous.close();
    }
  });
});
