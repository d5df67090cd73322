/**
 * The audit log end to end: the gRPC runtime writes an entry for each
 * mutation a function declares, with the actor and client address from the
 * call; ListAuditLog reads them back with filters; no secret is ever stored.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../proto/gen/polaris/billing/v1/billing.js';
import { IdentityService, Role, type AuditEntry, type ListAuditLogRequest } from '../../proto/gen/polaris/identity/v1/identity.js';
import { MeterAggregation, UsageService } from '../../proto/gen/polaris/usage/v1/usage.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, setPlanRequest, testAdminToken } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { loadRuntimeConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRuntime, defineGrpcFunction, defineServiceContext, startHost, type FunctionHost } from '../runtime/index.js';
import { actorOf } from './writer.js';
import { findFreePort } from '../../scripts/local/index.js';

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

/** A call with the metadata the gateway sends: its operator token, the actor and the client's address. */
function callAs<Req, Res>(
  address: string,
  method: grpc.MethodDefinition<Req, Res>,
  request: Req,
  headers: { actor?: string; clientAddress?: string; operator?: boolean },
): Promise<Res> {
  const rpc = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (headers.operator !== false) metadata.set('authorization', `Bearer ${testAdminToken}`);
  if (headers.actor) metadata.set('polaris-actor', headers.actor);
  if (headers.clientAddress) metadata.set('polaris-client-address', headers.clientAddress);
  return new Promise<Res>((resolve, reject) =>
    rpc.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, (err, response) =>
      err ? reject(err) : resolve(response!),
    ),
  ).finally(() => rpc.close());
}

const auditLog = async (filter: Partial<ListAuditLogRequest> = {}): Promise<AuditEntry[]> =>
  (await client.call(IdentityService.listAuditLog, { organizationId: '', action: '', from: '', to: '', limit: 0, ...filter })).entries;

const createOrganization = (name: string, externalId = '') => client.call(IdentityService.createOrganization, { name, externalId });

describe('entries written by the runtime', () => {
  it('names the operator when the operator token came without an actor', async () => {
    const { organization } = await createOrganization('Audited');
    const entries = await auditLog({ organizationId: organization!.id });
    expect(entries).toEqual([
      {
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        actor: 'operator',
        action: 'organization.create',
        target: `organization:${organization!.id}`,
        organizationId: organization!.id,
        clientAddress: '',
      },
    ]);
  });

  it('takes the actor and client address the gateway passes', async () => {
    const { organization } = await createOrganization('Delegated');
    const created = await callAs(
      host.grpcAddress,
      IdentityService.createApiKey,
      { organizationId: organization!.id, name: 'ci', scopes: ['INGEST'], expiresAt: '' },
      { actor: 'user:0b7e2b8e-3c3e-4f5e-9a41-8d1a0c3b9f10', clientAddress: '203.0.113.7' },
    );
    await callAs(host.grpcAddress, IdentityService.revokeApiKey, { apiKeyId: created.apiKeyId }, { actor: `key:${created.apiKeyId}`, clientAddress: '2001:db8::1' });
    // Revoking again changes nothing, and writes nothing.
    await callAs(host.grpcAddress, IdentityService.revokeApiKey, { apiKeyId: created.apiKeyId }, { actor: 'operator' });
    const entries = await auditLog({ organizationId: organization!.id });
    expect(entries.map(({ actor, action, target, clientAddress }) => ({ actor, action, target, clientAddress }))).toEqual([
      { actor: `key:${created.apiKeyId}`, action: 'api_key.revoke', target: `api_key:${created.apiKeyId}`, clientAddress: '2001:db8::1' },
      { actor: 'user:0b7e2b8e-3c3e-4f5e-9a41-8d1a0c3b9f10', action: 'api_key.create', target: `api_key:${created.apiKeyId}`, clientAddress: '203.0.113.7' },
      { actor: 'operator', action: 'organization.create', target: `organization:${organization!.id}`, clientAddress: '' },
    ]);
  });

  it('ignores an actor or address of the wrong shape rather than storing it', async () => {
    const { organization } = await createOrganization('Shapes');
    await callAs(
      host.grpcAddress,
      IdentityService.createApiKey,
      { organizationId: organization!.id, name: '', scopes: [], expiresAt: '' },
      { actor: 'root; drop table audit.entries', clientAddress: 'a b c' },
    );
    const [entry] = await auditLog({ organizationId: organization!.id, action: 'api_key.create' });
    expect(entry).toMatchObject({ actor: 'operator', clientAddress: '' });
  });

  it('believes an actor only from a caller holding the operator token', () => {
    const metadata = (headers: Record<string, string>) => {
      const built = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) built.set(key, value);
      return built;
    };
    const user = 'user:0b7e2b8e-3c3e-4f5e-9a41-8d1a0c3b9f10';
    expect(actorOf(metadata({ authorization: `Bearer ${testAdminToken}`, 'polaris-actor': user }), testAdminToken)).toBe(user);
    expect(actorOf(metadata({ 'polaris-actor': user }), testAdminToken)).toBe('system');
    expect(actorOf(metadata({ authorization: 'Bearer not-the-token', 'polaris-actor': user }), testAdminToken)).toBe('system');
  });

  it('refuses the membership RPCs the gateway authorizes to a caller without the operator token, and logs nothing', async () => {
    const { organization } = await createOrganization('Members');
    const organizationId = organization!.id;
    const before = (await auditLog({ organizationId })).length;
    const userId = '0b7e2b8e-3c3e-4f5e-9a41-8d1a0c3b9f10';
    const anonymous = { actor: `user:${userId}`, operator: false };
    for (const attempt of [
      callAs(host.grpcAddress, IdentityService.inviteUser, { organizationId, email: 'mallory@example.com', role: Role.ROLE_ADMIN }, anonymous),
      callAs(host.grpcAddress, IdentityService.setMemberRole, { organizationId, userId, role: Role.ROLE_OWNER }, anonymous),
      callAs(host.grpcAddress, IdentityService.removeMember, { organizationId, userId }, anonymous),
      callAs(host.grpcAddress, IdentityService.listMembers, { organizationId }, anonymous),
      callAs(host.grpcAddress, IdentityService.getUser, { userId }, anonymous),
    ]) {
      expect((await grpcError(attempt)).code).toBe(grpc.status.UNAUTHENTICATED);
    }
    expect((await auditLog({ organizationId })).length).toBe(before);
  });

  it('writes nothing when the handler fails', async () => {
    const before = (await auditLog()).length;
    const { organization } = await createOrganization('Failures');
    await grpcError(client.call(IdentityService.createApiKey, { organizationId: organization!.id, name: '', scopes: ['NOPE'], expiresAt: '' }));
    await grpcError(client.call(IdentityService.revokeApiKey, { apiKeyId: '00000000-0000-4000-8000-000000000000' }));
    await grpcError(client.call(IdentityService.createOrganization, { name: '', externalId: '' }));
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    await grpcError(anonymous.call(IdentityService.createServiceKey, { name: 'anonymous' }));
    anonymous.close();
    expect((await auditLog()).length).toBe(before + 1); // the organization only
  });

  it('records the mutations of usage and billing, with their organization', async () => {
    const { organization } = await createOrganization('Billed');
    const organizationId = organization!.id;
    await client.call(UsageService.createMeter, { metric: 'audited_calls', name: 'Calls', aggregation: MeterAggregation.METER_AGGREGATION_SUM, valueProperty: '', groupBy: [] });
    const { plan } = await client.call(BillingService.setPlan, setPlanRequest({ organizationId, metric: 'audited_calls', unitPrice: '1' }));
    await client.call(BillingService.setBillingTerms, { organizationId, timeZone: '', recurringFee: '5', recurringFeeName: 'Platform', minimum: '', currency: '' });
    const now = new Date();
    const lastMonth = { periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString(), periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString() };
    const { invoice } = await client.call(BillingService.generateInvoice, { organizationId, ...lastMonth });
    await client.call(BillingService.finalizeInvoice, { invoiceId: invoice!.id });
    await client.call(BillingService.voidInvoice, { invoiceId: invoice!.id, reason: 'test' });
    // Nothing was due: closing changed nothing and is not an entry.
    expect((await client.call(BillingService.closeInvoices, {})).finalized).toEqual([]);

    const entries = await auditLog({ organizationId });
    expect(entries.map(({ action, target }) => `${action} ${target}`)).toEqual([
      `invoice.void invoice:${invoice!.id}`,
      `invoice.finalize invoice:${invoice!.id}`,
      `invoice.generate invoice:${invoice!.id}`,
      `billing_terms.set billing_terms:${organizationId}`,
      `plan.set plan:${plan!.id}`,
      `organization.create organization:${organizationId}`,
    ]);
    // A meter is everyone's: it belongs to no organization.
    expect(await auditLog({ action: 'meter.create' })).toEqual([expect.objectContaining({ target: 'meter:audited_calls', organizationId: '', actor: 'operator' })]);
  });

  it('never stores a secret', async () => {
    const secrets: string[] = [];
    const { organization, apiKey } = await createOrganization('Secretive', 'cus_secretive');
    secrets.push(apiKey);
    secrets.push((await client.call(IdentityService.createApiKey, { organizationId: organization!.id, name: '', scopes: [], expiresAt: '' })).apiKey);
    secrets.push((await client.call(IdentityService.createServiceKey, { name: 'ingest everywhere' })).apiKey);
    const rows = await db.sql<{ row: string }[]>`select row_to_json(e)::text as row from audit.entries e`;
    const everything = rows.map((r) => r.row).join('\n');
    expect(everything).toContain('service_key.create');
    for (const secret of [...secrets, testAdminToken]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(4, 16));
    }
  });
});

describe('system and failure', () => {
  let dedicated: FunctionHost;
  let address: string;
  const failing = { organizationId: 'not-an-organization-id' };

  // A mutation anyone may call (as a sign-in is), declared by a test function on the real runtime.
  beforeAll(async () => {
    const port = await findFreePort();
    address = `127.0.0.1:${port}`;
    const runtime = createRuntime(loadRuntimeConfig({ LOG_LEVEL: 'silent', POLARIS_ADMIN_TOKEN: testAdminToken, POLARIS_GRPC_ADDRESS: address, DATABASE_URL: db.url }), {
      logger: createLogger({ service: 'test', revision: 'test', level: 'silent' }),
    });
    const context = defineServiceContext({ service: 'identity', create: () => ({}) });
    const fn = defineGrpcFunction({
      method: IdentityService.revokeInvitation,
      context,
      async handle(request) {
        return { revoked: true, organizationId: request.invitationId === 'fail' ? failing.organizationId : '' };
      },
      audit: (request, response) => ({ action: 'invitation.revoke', target: `invitation:${request.invitationId}`, organizationId: response.organizationId }),
    });
    dedicated = await startHost({
      runtime,
      functions: [{ entry: { name: 'revoke-invitation', service: 'identity', kind: 'grpc', module: 'test' }, fn }],
      httpPort: 0,
      grpcPort: port,
    });
  });

  afterAll(async () => {
    await dedicated?.close();
  });

  it('names the system when a call carries no operator token, whatever actor it names', async () => {
    await callAs(address, IdentityService.revokeInvitation, { invitationId: 'i-1' }, { operator: false });
    await callAs(address, IdentityService.revokeInvitation, { invitationId: 'i-2' }, { operator: false, actor: 'user:u-2' });
    const entries = await auditLog({ action: 'invitation.revoke' });
    expect(entries.map(({ actor, target }) => ({ actor, target }))).toEqual([
      { actor: 'system', target: 'invitation:i-2' },
      { actor: 'system', target: 'invitation:i-1' },
    ]);
  });

  it('fails the call with INTERNAL when the entry cannot be written', async () => {
    const err = await grpcError(callAs(address, IdentityService.revokeInvitation, { invitationId: 'fail' }, {}));
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toContain('audit log');
    expect(err.details).not.toMatch(/uuid|syntax|select|insert/i);
    expect(await auditLog({ action: 'invitation.revoke' })).toHaveLength(2);
  });
});

describe('ListAuditLog', () => {
  it('filters by organization, action and time, newest first, at most limit', async () => {
    const { organization } = await createOrganization('Filtered');
    const organizationId = organization!.id;
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) keys.push((await client.call(IdentityService.createApiKey, { organizationId, name: `k${i}`, scopes: [], expiresAt: '' })).apiKeyId);
    const all = await auditLog({ organizationId });
    expect(all.map((e) => e.target)).toEqual([...keys.map((id) => `api_key:${id}`).reverse(), `organization:${organizationId}`]);
    expect(all.map((e) => e.at)).toEqual([...all.map((e) => e.at)].sort().reverse());

    expect((await auditLog({ organizationId, action: 'api_key.create', limit: 2 })).map((e) => e.target)).toEqual([`api_key:${keys[2]}`, `api_key:${keys[1]}`]);
    // [from, to): the first key's entry up to, not including, the third's.
    const [third, , first] = all;
    const window = await auditLog({ organizationId, from: first!.at, to: third!.at });
    expect(window.map((e) => e.target)).toEqual([`api_key:${keys[1]}`, `api_key:${keys[0]}`]);
    expect(await auditLog({ organizationId, action: 'api_key.revoke' })).toEqual([]);
    expect(await auditLog({ organizationId: '00000000-0000-4000-8000-000000000000' })).toEqual([]);
    // The operator's view holds every organization's entries.
    expect((await auditLog({ action: 'organization.create' })).length).toBeGreaterThan(1);
  });

  it.each<[Partial<ListAuditLogRequest>, string]>([
    [{ organizationId: 'acme' }, 'organization_id'],
    [{ action: 'DROP TABLE' }, 'action'],
    [{ from: 'yesterday' }, 'from'],
    [{ to: '2026-13-01' }, 'to'],
    [{ from: '2026-02-01', to: '2026-01-01' }, 'to'],
    [{ limit: 1001 }, 'limit'],
    [{ limit: -1 }, 'limit'],
  ])('refuses %o naming %s', async (filter, field) => {
    const err = await grpcError(auditLog(filter));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(`${field}:`);
  });

  it('is for the operator only', async () => {
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    try {
      const err = await grpcError(anonymous.call(IdentityService.listAuditLog, { organizationId: '', action: '', from: '', to: '', limit: 0 }));
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
  });
});
