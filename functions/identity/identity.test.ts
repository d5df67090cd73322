import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStatus, IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { checkHealth, grpcError, listServicesByReflection, rpcClient } from '../../test/support/grpc.js';
import { startTestHost } from '../../test/support/host.js';
import type { FunctionHost } from '../../shared/runtime/index.js';

let db: TestDatabase;
let host: FunctionHost;
let client: ReturnType<typeof rpcClient>;

beforeAll(async () => {
  db = await createTestDatabase();
  const started = await startTestHost({ databaseUrl: db.url });
  host = started;
  client = rpcClient(started.grpcAddress);
});

afterAll(async () => {
  client?.close();
  await host?.close();
  await db?.drop();
});

const createOrganization = (name: string) => client.call(IdentityService.createOrganization, { name, externalId: '' });
const validate = (apiKey: string) => client.call(IdentityService.validateApiKey, { apiKey });

describe('Identity over gRPC', () => {
  it('creates an organization whose first key validates to it', async () => {
    const created = await createOrganization('  Acme  ');
    expect(created.organization?.name).toBe('Acme');
    expect(created.apiKey).toMatch(/^pol_[A-Za-z0-9_-]{40}$/);

    const result = await validate(created.apiKey);
    expect(result).toEqual({
      valid: true,
      status: ApiKeyStatus.API_KEY_STATUS_VALID,
      organizationId: created.organization!.id,
      keyId: created.apiKeyId,
      scopes: ['INGEST', 'READ', 'MANAGE'],
      limits: { ingestRequestsPerSecond: 0, ingestEventsPerSecond: 0, graphqlCostPerSecond: 0 },
    });
    const fetched = await client.call(IdentityService.getOrganization, { organizationId: created.organization!.id });
    expect(fetched.organization).toEqual(created.organization);
  });

  it('answers unknown for malformed and never-issued keys, revoked for revoked ones', async () => {
    expect((await validate('')).status).toBe(ApiKeyStatus.API_KEY_STATUS_UNKNOWN);
    expect((await validate('not-a-key')).status).toBe(ApiKeyStatus.API_KEY_STATUS_UNKNOWN);
    const { apiKey } = await createOrganization('Globex');
    // Same prefix, different secret: found by prefix, refused by hash.
    const forged = apiKey.slice(0, 12) + 'A'.repeat(apiKey.length - 12);
    expect(await validate(forged)).toMatchObject({ valid: false, status: ApiKeyStatus.API_KEY_STATUS_UNKNOWN, organizationId: '' });

    const second = await client.call(IdentityService.createApiKey, { organizationId: (await validate(apiKey)).organizationId, name: '', scopes: [], expiresAt: '' });
    expect((await client.call(IdentityService.revokeApiKey, { apiKeyId: second.apiKeyId })).revoked).toBe(true);
    expect((await client.call(IdentityService.revokeApiKey, { apiKeyId: second.apiKeyId })).revoked).toBe(false);
    expect(await validate(second.apiKey)).toEqual({
      valid: false,
      status: ApiKeyStatus.API_KEY_STATUS_REVOKED,
      organizationId: '',
      keyId: second.apiKeyId,
      scopes: [],
    });
    // Revoking one key leaves the others working.
    expect((await validate(apiKey)).valid).toBe(true);
  });

  it('lists keys by prefix only', async () => {
    const created = await createOrganization('Initech');
    const { apiKeys } = await client.call(IdentityService.listApiKeys, { organizationId: created.organization!.id });
    expect(apiKeys).toHaveLength(1);
    expect(apiKeys[0]).toMatchObject({ id: created.apiKeyId, prefix: created.apiKey.slice(0, 12), revokedAt: '' });
    expect(JSON.stringify(apiKeys)).not.toContain(created.apiKey);
  });

  it('never stores an API key in plain text', async () => {
    const keys = [(await createOrganization('Umbrella')).apiKey];
    keys.push((await client.call(IdentityService.createApiKey, { organizationId: (await validate(keys[0]!)).organizationId, name: '', scopes: [], expiresAt: '' })).apiKey);
    const rows = await db.sql<{ row: string }[]>`
      select row_to_json(k)::text as row from identity.api_keys k
      union all select row_to_json(o)::text from identity.organizations o`;
    const everything = rows.map((r) => r.row).join('\n');
    for (const key of keys) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(4)); // the secret part alone
    }
  });

  it.each([
    ['getOrganization', { organizationId: '' }, 'organization_id', 'is required'],
    ['getOrganization', { organizationId: 'acme' }, 'organization_id', 'must be a UUID'],
    ['createOrganization', { name: '   ' }, 'name', 'is required'],
    ['createOrganization', { name: 'x'.repeat(201) }, 'name', 'at most 200'],
    ['createApiKey', { organizationId: '42', name: '', scopes: [], expiresAt: '' }, 'organization_id', 'must be a UUID'],
    ['listApiKeys', { organizationId: '' }, 'organization_id', 'is required'],
    ['revokeApiKey', { apiKeyId: 'DROP TABLE' }, 'api_key_id', 'must be a UUID'],
  ] as const)('%s with bad input answers INVALID_ARGUMENT naming %s', async (method, request, field, message) => {
    const err = await grpcError(client.call(IdentityService[method] as grpc.MethodDefinition<object, unknown>, request));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(field);
    expect(err.details).toContain(message);
  });

  it('lets only the operator token reach the operator RPCs', async () => {
    const address = `127.0.0.1:${host.grpcPort}`;
    const anonymous = rpcClient(address, { adminToken: null });
    const impostor = rpcClient(address, { adminToken: 'not-the-admin-token-at-all' });
    try {
      expect((await grpcError(anonymous.call(IdentityService.createOrganization, { name: 'Sneaky', externalId: '' }))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await grpcError(impostor.call(IdentityService.createOrganization, { name: 'Sneaky', externalId: '' }))).code).toBe(grpc.status.PERMISSION_DENIED);
      expect((await grpcError(impostor.call(IdentityService.listOrganizations, {}))).code).toBe(grpc.status.PERMISSION_DENIED);
      // Tenant-facing RPCs need no operator token.
      expect((await anonymous.call(IdentityService.validateApiKey, { apiKey: 'pol_x' })).valid).toBe(false);
      const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from identity.organizations where name = 'Sneaky'`;
      expect(count!.n).toBe(0);
    } finally {
      anonymous.close();
      impostor.close();
    }
  });

  it('answers NOT_FOUND for organizations and keys that do not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await grpcError(client.call(IdentityService.getOrganization, { organizationId: missing }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await grpcError(client.call(IdentityService.createApiKey, { organizationId: missing, name: '', scopes: [], expiresAt: '' }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await grpcError(client.call(IdentityService.revokeApiKey, { apiKeyId: missing }))).code).toBe(grpc.status.NOT_FOUND);
  });

  it('lists Identity through server reflection and reports it SERVING through grpc.health.v1', async () => {
    const address = `127.0.0.1:${host.grpcPort}`;
    expect(await listServicesByReflection(address)).toContain('polaris.identity.v1.Identity');
    expect(await checkHealth(address)).toBe('SERVING');
    expect(await checkHealth(address, 'polaris.identity.v1.Identity')).toBe('SERVING');
  });

  it('answers HTTP/1.1 health and metrics on the gRPC port', async () => {
    const base = `http://127.0.0.1:${host.grpcPort}`;
    expect((await fetch(`${base}/health/readiness`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/grpc_server_handled_total\{[^}]*method="\/polaris.identity.v1.Identity\/ValidateApiKey"[^}]*code="OK"/);
  });
});
