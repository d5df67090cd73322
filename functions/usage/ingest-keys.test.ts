/**
 * `POST /ingest` by key scope: INGEST keys send, others are refused with 403;
 * a service key (INGEST_ANY) sends for any organization, each event naming
 * it by id or externalId, exactly once per organization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { rpcClient } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';

let db: TestDatabase;
let host: TestHost;
let operator: ReturnType<typeof rpcClient>;
let acme: { id: string; apiKey: string };
let globex: { id: string; apiKey: string };
let serviceKey: { apiKey: string; apiKeyId: string };

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_API_KEY_CACHE_SECONDS: '1', POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS: '0' } });
  operator = rpcClient(host.grpcAddress);
  const organization = async (name: string, externalId: string) => {
    const created = await operator.call(IdentityService.createOrganization, { name, externalId });
    return { id: created.organization!.id, apiKey: created.apiKey };
  };
  acme = await organization('Acme', 'cus_acme');
  globex = await organization('Globex', 'crm:globex');
  serviceKey = await operator.call(IdentityService.createServiceKey, { name: 'metering backend' });
});

afterAll(async () => {
  operator?.close();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function ingest(key: string, body: unknown, contentType = 'application/json') {
  const response = await fetch(`${host.http}/ingest`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': key }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Json };
}

const keyWith = async (organizationId: string, scopes: string[], expiresAt = '') =>
  (await operator.call(IdentityService.createApiKey, { organizationId, name: scopes.join('+'), scopes, expiresAt })).apiKey;

const stored = async (idempotencyKey: string) =>
  db.sql<{ orgId: string; quantity: string }[]>`
    select org_id, quantity::text from usage.usage_events where idempotency_key = ${idempotencyKey} order by org_id`;
const eventCount = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events`)[0]!.n;

describe('scopes', () => {
  it.each([[['READ']], [['MANAGE']], [['READ', 'MANAGE']]])('refuses a %j key with 403 FORBIDDEN, storing nothing', async (scopes) => {
    const key = await keyWith(acme.id, scopes);
    const before = await eventCount();
    for (const body of [{ metric: 'api_calls', quantity: 1 }, [{ metric: 'api_calls', quantity: 1 }], { not: 'even valid' }]) {
      const answer = await ingest(key, body);
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringContaining('INGEST') } });
    }
    expect(await eventCount()).toBe(before);
  });

  it('takes an INGEST-only key', async () => {
    const key = await keyWith(acme.id, ['INGEST']);
    const answer = await ingest(key, { metric: 'api_calls', quantity: 2, idempotency_key: 'ingest-only' });
    expect(answer.status).toBe(202);
    expect(await stored('ingest-only')).toEqual([{ orgId: acme.id, quantity: '2.000000000000' }]);
  });

  it('refuses an expired key as unauthenticated', async () => {
    const key = await keyWith(acme.id, ['INGEST'], new Date(Date.now() + 1000).toISOString());
    await new Promise((resolve) => setTimeout(resolve, 2100)); // past the expiry and the 1 s cache
    const answer = await ingest(key, { metric: 'api_calls', quantity: 1 });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_api_key');
  });
});

describe('an ordinary key naming an organization', () => {
  it('is taken for its own, by id or externalId, and refused for any other', async () => {
    const ownById = await ingest(acme.apiKey, { metric: 'api_calls', quantity: 1, organization: acme.id.toUpperCase(), idempotency_key: 'own-id' });
    const ownByExternal = await ingest(acme.apiKey, { metric: 'api_calls', quantity: 1, organization: 'cus_acme', idempotency_key: 'own-external' });
    expect([ownById.status, ownByExternal.status]).toEqual([202, 202]);
    expect(await stored('own-id')).toEqual([{ orgId: acme.id, quantity: '1.000000000000' }]);
    expect(await stored('own-external')).toEqual([{ orgId: acme.id, quantity: '1.000000000000' }]);

    const before = await eventCount();
    // Another organization's id, its externalId, and one that exists nowhere answer alike.
    for (const organization of [globex.id, 'crm:globex', 'crm:nobody']) {
      const answer = await ingest(acme.apiKey, { metric: 'api_calls', quantity: 1, organization });
      expect(answer.status).toBe(400);
      expect(answer.body.error.fields).toEqual([{ field: 'organization', message: 'must be this API key’s own organization (its id or externalId)' }]);
    }
    expect(await eventCount()).toBe(before);
  });
});

describe('a service key', () => {
  it('sends one batch for two organizations, by id and by externalId, each counted once; a replay is all duplicates', async () => {
    const batch = [
      { metric: 'api_calls', quantity: 3, organization: acme.id, idempotency_key: 'svc-1' },
      { metric: 'api_calls', quantity: 4, organization: 'crm:globex', idempotency_key: 'svc-1' },
      { metric: 'api_calls', quantity: 5, organization: 'cus_acme', idempotency_key: 'svc-2' },
      // The same event twice in one batch: counted once.
      { metric: 'api_calls', quantity: 4, organization: globex.id, idempotency_key: 'svc-1' },
    ];
    const first = await ingest(serviceKey.apiKey, batch);
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: Json) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'duplicate']);
    expect(first.body.results[3].id).toBe(first.body.results[1].id);
    expect(await stored('svc-1')).toEqual(
      [
        { orgId: acme.id, quantity: '3.000000000000' },
        { orgId: globex.id, quantity: '4.000000000000' },
      ].sort((a, b) => (a.orgId < b.orgId ? -1 : 1)),
    );
    expect(await stored('svc-2')).toEqual([{ orgId: acme.id, quantity: '5.000000000000' }]);

    const replay = await ingest(serviceKey.apiKey, batch);
    expect(replay.body.results).toEqual(first.body.results.map((r: Json) => ({ status: 'duplicate', id: r.id })));
    // The replays are the same as the tenant's own: one event per (organization, key).
    const byTenant = await ingest(globex.apiKey, { metric: 'api_calls', quantity: 4, idempotency_key: 'svc-1' });
    expect(byTenant.body).toEqual({ id: first.body.results[1].id, duplicate: true });
    expect((await stored('svc-1')).length).toBe(2);
  });

  it('rejects, item by item, events that name no organization or an unknown one', async () => {
    const before = await eventCount();
    const answer = await ingest(serviceKey.apiKey, [
      { metric: 'api_calls', quantity: 1 },
      { metric: 'api_calls', quantity: 1, organization: 'cus_nobody' },
      { metric: 'api_calls', quantity: 1, organization: '00000000-0000-4000-8000-000000000000' },
      { metric: 'api_calls', quantity: 1, organization: 42 },
      { metric: 'api_calls', quantity: 1, organization: 'two words' },
      { metric: 'api_calls', quantity: 1, organization: 'cus_acme', idempotency_key: 'svc-mixed' },
    ]);
    expect(answer.status).toBe(200);
    const results = answer.body.results as Json[];
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'accepted']);
    for (const result of results.slice(0, 5)) expect(result.error.fields.map((f: Json) => f.field)).toEqual(['organization']);
    expect(results[0].error.fields[0].message).toContain('is required with a service key');
    expect(results[1].error.fields[0].message).toBe('is not a known organization id or externalId');
    expect(results[2].error.fields[0].message).toBe('is not a known organization id or externalId');
    expect(results[3].error.fields[0].message).toContain('must be an organization id or externalId');
    expect(await eventCount()).toBe(before + 1);
    expect(await stored('svc-mixed')).toEqual([{ orgId: acme.id, quantity: '1.000000000000' }]);
  });

  it('answers a single event without an organization with 400 naming organization', async () => {
    const answer = await ingest(serviceKey.apiKey, { metric: 'api_calls', quantity: 1 });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_argument', fields: [{ field: 'organization' }] });
  });

  it('names the organization in a CloudEvent’s data', async () => {
    const cloudEvent = (id: string, organization?: string) => ({
      specversion: '1.0',
      id,
      source: '/billing-backend',
      type: 'com.example.usage',
      data: { metric: 'api_calls', quantity: 7, ...(organization === undefined ? {} : { organization }) },
    });
    const answer = await ingest(serviceKey.apiKey, [cloudEvent('ce-svc-1', 'crm:globex'), cloudEvent('ce-svc-2')], 'application/cloudevents-batch+json');
    expect(answer.body.results[0].status).toBe('accepted');
    expect(answer.body.results[1]).toMatchObject({ status: 'rejected', error: { fields: [{ field: 'data.organization' }] } });
    expect(await stored('ce-svc-1')).toEqual([{ orgId: globex.id, quantity: '7.000000000000' }]);
  });

  it('is refused outside /ingest', async () => {
    const response = await fetch(`${host.http}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': serviceKey.apiKey },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const body = (await response.json()) as Json;
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.data?.me ?? null).toBeNull();
  });

  it('stops working once revoked', async () => {
    const revocable = await operator.call(IdentityService.createServiceKey, { name: 'short-lived' });
    expect((await ingest(revocable.apiKey, { metric: 'api_calls', quantity: 1, organization: 'cus_acme' })).status).toBe(202);
    await operator.call(IdentityService.revokeApiKey, { apiKeyId: revocable.apiKeyId });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await ingest(revocable.apiKey, { metric: 'api_calls', quantity: 1, organization: 'cus_acme' })).status).toBe(401);
  });
});
