/**
 * The GraphQL gateway over the real services: who may ask what, tenant
 * isolation with API keys and JWTs, operator mutations, limits, and a fuzz of
 * hostile requests that must all answer coded errors and no 5xx.
 */
import { CloudEvent } from 'cloudevents';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { testAdminToken } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { startIdentityProvider, type IdentityProvider } from '../../test/support/identity-provider.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

const jwtSecret = 'test-jwt-secret-that-is-long-enough-0123456789';
let db: TestDatabase;
let host: TestHost;
let provider: IdentityProvider;
let acme: TestTenant;
let globex: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  provider = await startIdentityProvider();
  host = await startTestHost({
    databaseUrl: db.url,
    env: {
      POLARIS_JWT_SECRET: jwtSecret,
      POLARIS_JWT_JWKS_URL: provider.jwksUrl,
      POLARIS_JWT_ISSUER: provider.issuer,
      POLARIS_JWT_AUDIENCE: provider.audience,
      POLARIS_API_KEY_CACHE_SECONDS: '1',
    },
  });
  acme = await createTenant(host.grpcAddress, 'Acme');
  globex = await createTenant(host.grpcAddress, 'Globex');
});

afterAll(async () => {
  await host?.close();
  await provider?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Credentials = { apiKey?: string; bearer?: string };

async function graphql(query: string, variables: object = {}, credentials: Credentials = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
  if (credentials.bearer) headers.authorization = `Bearer ${credentials.bearer}`;
  const response = await fetch(`${host.http}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as Json };
}

const operator: Credentials = { bearer: testAdminToken };
const jwt = (sub: string, options: { secret?: string; expiresIn?: string; notBefore?: string; alg?: string } = {}) => {
  let token = new SignJWT({}).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setSubject(sub).setIssuedAt();
  if (options.expiresIn) token = token.setExpirationTime(options.expiresIn);
  if (options.notBefore) token = token.setNotBefore(options.notBefore);
  return token.sign(new TextEncoder().encode(options.secret ?? jwtSecret));
};
const codes = (body: Json) => (body.errors ?? []).map((e: Json) => e.extensions.code);

async function aggregate() {
  await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
}

describe('tenants', () => {
  it('see their organization through an API key or a JWT', async () => {
    const byKey = await graphql('{ me { id name } }', {}, { apiKey: acme.apiKey });
    expect(byKey.body).toEqual({ data: { me: { id: acme.organizationId, name: 'Acme' } } });
    const byJwt = await graphql('{ me { id name } }', {}, { bearer: await jwt(acme.organizationId, { expiresIn: '5m' }) });
    expect(byJwt.body.data.me.id).toBe(acme.organizationId);
  });

  it('record usage, and read it back as daily aggregates', async () => {
    const record = await graphql(
      'mutation($k: String) { recordUsage(metric: "api_calls", quantity: 40, idempotencyKey: $k) }',
      { k: 'gql-1' },
      { apiKey: acme.apiKey },
    );
    expect(record.body).toEqual({ data: { recordUsage: true } });
    await graphql('mutation { recordUsage(metric: "api_calls", quantity: 40, idempotencyKey: "gql-1") }', {}, { apiKey: acme.apiKey });
    await aggregate();
    const { body } = await graphql('{ usage(metric: "api_calls") { metric total periodStart periodEnd } }', {}, { apiKey: acme.apiKey });
    expect(body.data.usage).toHaveLength(1);
    expect(body.data.usage[0]).toMatchObject({ metric: 'api_calls', total: 40 });
  });

  it('get BAD_USER_INPUT naming the field for bad arguments', async () => {
    const { status, body } = await graphql('mutation { recordUsage(metric: "Bad Metric", quantity: -1) }', {}, { apiKey: acme.apiKey });
    expect(status).toBe(200);
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'metric' }, { field: 'quantity' }] });
    const bad = await graphql('{ usage(metric: "api_calls", from: "yesterday") { total } }', {}, { apiKey: acme.apiKey });
    expect(bad.body.errors[0]).toMatchObject({ message: expect.stringContaining('from:'), extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('the operator', () => {
  it('creates organizations and keys, sets plans, generates and finalizes invoices', async () => {
    const created = await graphql('mutation { createOrganization(name: "Initech") { organization { id name } apiKey } }', {}, operator);
    const { organization, apiKey } = created.body.data.createOrganization;
    expect(apiKey).toMatch(/^pol_/);
    const key = await graphql('mutation($o: ID!) { createApiKey(organizationId: $o) { id apiKey } }', { o: organization.id }, operator);
    expect(key.body.data.createApiKey.apiKey).toMatch(/^pol_/);

    const plan = await graphql(
      'mutation($o: ID!) { setPlan(organizationId: $o, name: "API", metric: "api_calls", unitPrice: "0.005", freeQuota: 10) { id metric unitPrice freeQuota } }',
      { o: organization.id },
      operator,
    );
    expect(plan.body.data.setPlan).toMatchObject({ metric: 'api_calls', unitPrice: '0.005', freeQuota: '10' });

    await graphql('mutation { recordUsage(metric: "api_calls", quantity: 111) }', {}, { apiKey });
    await aggregate();
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    const invoice = await graphql(
      'mutation($o: ID!, $s: String!, $e: String!) { generateInvoice(organizationId: $o, periodStart: $s, periodEnd: $e) { id status amount totalAmount currency lineItems { metric quantity billableQuantity amount } } }',
      { o: organization.id, s: start, e: end },
      operator,
    );
    expect(invoice.body.data.generateInvoice).toMatchObject({
      status: 'draft',
      amount: '0.51',
      totalAmount: 0.51,
      currency: 'USD',
      lineItems: [{ metric: 'api_calls', quantity: '111', billableQuantity: '101', amount: '0.51' }],
    });
    const finalized = await graphql('mutation($i: ID!) { finalizeInvoice(id: $i) { status amount } }', { i: invoice.body.data.generateInvoice.id }, operator);
    expect(finalized.body.data.finalizeInvoice).toEqual({ status: 'finalized', amount: '0.51' });

    const view = await graphql('query($o: ID!) { organization(id: $o) { name plans { metric } apiKeys { prefix revokedAt } invoices { status } } }', { o: organization.id }, operator);
    expect(view.body.data.organization).toMatchObject({ name: 'Initech', plans: [{ metric: 'api_calls' }], invoices: [{ status: 'finalized' }] });
    expect(view.body.data.organization.apiKeys).toHaveLength(2);
    expect(JSON.stringify(view.body)).not.toContain(apiKey);
  });

  it('has no me', async () => {
    expect(codes((await graphql('{ me { id } }', {}, operator)).body)).toEqual(['FORBIDDEN']);
  });

  it('revokes a key, which the gateway refuses within the cache time (here 1 s; at most 60 s)', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Revokee');
    expect((await graphql('{ me { id } }', {}, { apiKey: tenant.apiKey })).body.data.me.id).toBe(tenant.organizationId);
    const revoked = await graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: tenant.apiKeyId }, operator);
    expect(revoked.body.data.revokeApiKey).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(codes((await graphql('{ me { id } }', {}, { apiKey: tenant.apiKey })).body)).toEqual(['UNAUTHENTICATED']);
  });

  it('gets NOT_FOUND for what does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(codes((await graphql('query($o: ID!) { organization(id: $o) { id } }', { o: missing }, operator)).body)).toEqual(['NOT_FOUND']);
    expect(codes((await graphql('mutation($i: ID!) { finalizeInvoice(id: $i) { id } }', { i: missing }, operator)).body)).toEqual(['NOT_FOUND']);
  });
});

describe('tenant isolation', () => {
  // The operator's fields, and organization A's own ones given A's id.
  const refusedToOthers = [
    ['organizations', '{ organizations { id } }', {}],
    ['organization', 'query($o: ID!) { organization(id: $o) { id } }', () => ({ o: acme.organizationId })],
    ['createOrganization', 'mutation { createOrganization(name: "x") { apiKey } }', {}],
    ['createApiKey', 'mutation($o: ID!) { createApiKey(organizationId: $o) { apiKey } }', () => ({ o: acme.organizationId })],
    ['setPlan', 'mutation($o: ID!) { setPlan(organizationId: $o, name: "x", metric: "x", unitPrice: 1, freeQuota: 0) { id } }', () => ({ o: acme.organizationId })],
    ['generateInvoice', 'mutation($o: ID!) { generateInvoice(organizationId: $o, periodStart: "2026-01-01", periodEnd: "2026-02-01") { id } }', () => ({ o: acme.organizationId })],
    ['finalizeInvoice', 'mutation { finalizeInvoice(id: "00000000-0000-4000-8000-000000000000") { id } }', {}],
    [
      'setPlan (tiers, where, effectiveFrom)',
      'mutation($o: ID!) { setPlan(organizationId: $o, name: "x", metric: "x", model: GRADUATED, tiers: [{ unitPrice: 1 }], where: [{ key: "k", values: ["v"] }], effectiveFrom: "2026-01-01") { id } }',
      () => ({ o: acme.organizationId }),
    ],
    ['voidInvoice', 'mutation { voidInvoice(id: "00000000-0000-4000-8000-000000000000", reason: "x") { id } }', {}],
    ['closeInvoices', 'mutation { closeInvoices { id } }', {}],
    ['setBillingTerms', 'mutation($o: ID!) { setBillingTerms(organizationId: $o, minimum: 1000) { minimum } }', () => ({ o: acme.organizationId })],
    ['planHistory', '{ me { planHistory { id } } }', {}],
  ] as const;

  it.each(['API key', 'JWT'])('with organization B’s %s, nothing of organization A is read or changed', async (kind) => {
    const credentials: Credentials = kind === 'API key' ? { apiKey: globex.apiKey } : { bearer: await jwt(globex.organizationId, { expiresIn: '5m' }) };
    await graphql('mutation { recordUsage(metric: "secret_metric", quantity: 7) }', {}, { apiKey: acme.apiKey });
    await aggregate();

    const me = await graphql(
      '{ me { id name usage(metric: "secret_metric") { total } invoices { id number lineItems { kind } } plans { id where { key } } billingTerms { minimum } apiKeys { id } } }',
      {},
      credentials,
    );
    expect(me.body.data.me).toMatchObject({ id: globex.organizationId, name: 'Globex', usage: [], invoices: [], plans: [], billingTerms: { minimum: '0' } });
    expect(me.body.data.me.apiKeys.map((k: Json) => k.id)).not.toContain(acme.apiKeyId);
    expect((await graphql('{ usage(metric: "secret_metric") { total } }', {}, credentials)).body.data.usage).toEqual([]);
    expect((await graphql('{ invoices { id } }', {}, credentials)).body.data.invoices).toEqual([]);

    for (const [name, query, variables] of refusedToOthers) {
      const answer = await graphql(query, typeof variables === 'function' ? variables() : variables, credentials);
      expect(codes(answer.body), name).toEqual(['FORBIDDEN']);
    }
    // A's key is as unknown to B as a key that does not exist.
    expect(codes((await graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: acme.apiKeyId }, credentials)).body)).toEqual(['NOT_FOUND']);
    // Acme still holds exactly what it recorded, and its key still works.
    expect((await graphql('{ usage(metric: "secret_metric") { total } }', {}, { apiKey: acme.apiKey })).body.data.usage[0].total).toBeGreaterThanOrEqual(7);
    expect((await graphql('{ me { id } }', {}, { apiKey: acme.apiKey })).body.data.me.id).toBe(acme.organizationId);
    expect((await graphql('{ me { billingTerms { minimum } } }', {}, { apiKey: acme.apiKey })).body.data.me.billingTerms.minimum).toBe('0');
  });

  it('refuses anonymous callers everything', async () => {
    expect(codes((await graphql('{ me { id } }')).body)).toEqual(['UNAUTHENTICATED']);
    for (const [name, query, variables] of refusedToOthers) {
      expect(codes((await graphql(query, typeof variables === 'function' ? variables() : variables)).body), name).toEqual(['UNAUTHENTICATED']);
    }
    expect(codes((await graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: acme.apiKeyId })).body)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('JWTs', () => {
  it.each([
    ['signed with another secret', async () => jwt(acme.organizationId, { secret: 'another-secret-of-sufficient-length-000000' })],
    ['with alg none', async () => new UnsecuredJWT({}).setSubject(acme.organizationId).encode()],
    ['signed HS512', async () => jwt(acme.organizationId, { alg: 'HS512' })],
    ['expired', async () => jwt(acme.organizationId, { expiresIn: '-10m' })],
    ['not valid yet', async () => jwt(acme.organizationId, { notBefore: '10m' })],
    ['for an unknown organization', async () => jwt('00000000-0000-4000-8000-000000000000')],
    ['whose subject is no organization id', async () => jwt('acme')],
    ['that is garbage', async () => 'not.a.jwt'],
  ])('refuses a token %s', async (_what, token) => {
    const { body } = await graphql('{ me { id } }', {}, { bearer: await token() });
    expect(body.data).toBeNull();
    expect(codes(body)).toEqual(['UNAUTHENTICATED']);
  });
});

describe("JWTs from an identity provider's JWKS", () => {
  it('sign in an organization with RS256 or ES256 tokens from the configured issuer for the configured audience', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const { body } = await graphql('{ me { id name } }', {}, { bearer: await provider.sign({ sub: acme.organizationId }, { alg, expiresIn: '5m' }) });
      expect(body.data.me).toEqual({ id: acme.organizationId, name: 'Acme' });
    }
    // The keys are fetched once and kept, not fetched per request.
    expect(provider.requests).toBe(1);
  });

  it.each([
    ['signed by a key the JWKS does not hold, under a kid it does', async () => provider.sign({ sub: acme.organizationId }, { unpublishedKey: true })],
    ['from another issuer', async () => provider.sign({ sub: acme.organizationId, iss: 'https://elsewhere.example/' })],
    ['for another audience', async () => provider.sign({ sub: acme.organizationId, aud: 'someone-else' })],
    ['expired', async () => provider.sign({ sub: acme.organizationId }, { expiresIn: '-10m' })],
    ['for an unknown organization', async () => provider.sign({ sub: '00000000-0000-4000-8000-000000000000' })],
    // Algorithm confusion: HS256 keyed with the provider's public key must not pass as the provider's.
    ['signed HS256 with the JWKS as the secret', async () => jwt(acme.organizationId, { secret: JSON.stringify(await (await fetch(provider.jwksUrl)).json()) })],
  ])('refuse a token %s', async (_what, token) => {
    const { body } = await graphql('{ me { id } }', {}, { bearer: await token() });
    expect(body.data).toBeNull();
    expect(codes(body)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('GraphiQL', () => {
  it('serves its page, scripts and configuration at /graphiql, for the /graphql endpoint, to anyone', async () => {
    const page = await fetch(`${host.http}/graphiql`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    // Relative to /graphiql: the page asks for /graphiql/config.js, then /graphiql/main.js.
    expect(html.indexOf('<script src="./graphiql/config.js"></script>')).toBeLessThan(html.indexOf('<script src="./graphiql/main.js"></script>'));
    const config = await fetch(`${host.http}/graphiql/config.js`);
    expect(config.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await config.text()).toBe('window.GRAPHQL_ENDPOINT = "/graphql";\nwindow.GRAPHIQL_PLUGIN_LIST = []');
    for (const script of ['main.js', 'sw.js']) {
      const response = await fetch(`${host.http}/graphiql/${script}`);
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
      expect((await response.text()).length).toBeGreaterThan(100);
    }
    expect((await fetch(`${host.http}/graphiql/nope.js`)).status).toBe(404);
  });
});

describe('limits and hostile requests', () => {
  it('refuses deep, wide and long queries with BAD_USER_INPUT', async () => {
    const deepest = '{ me { invoices { lineItems { metric } } } }';
    expect((await graphql(deepest, {}, { apiKey: acme.apiKey })).status).toBe(200);
    const tooDeep = `{ me { ${'invoices { lineItems { '.repeat(6)}metric${' } }'.repeat(6)} } }`;
    const deepAnswer = await graphql(tooDeep, {}, { apiKey: acme.apiKey });
    expect(deepAnswer.status).toBe(400);
    expect(codes(deepAnswer.body)).toContain('BAD_USER_INPUT');
    const wide = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const wideAnswer = await graphql(wide, {}, { apiKey: acme.apiKey });
    expect(wideAnswer.status).toBe(400);
    expect(codes(wideAnswer.body)).toContain('BAD_USER_INPUT');
    const long = `{ me { id } } # ${'x'.repeat(25_000)}`;
    expect(codes((await graphql(long, {}, { apiKey: acme.apiKey })).body)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers 1,000 malformed or hostile requests without a 5xx, every error coded', async () => {
    const fieldNames = ['me', 'usage', 'invoices', 'organizations', 'organization', 'recordUsage', 'nope', '__schema', '__typename'];
    const documents = fc.oneof(
      fc.string(),
      fc.constantFrom('{', '}', '{ me { id }', 'query {', 'mutation { recordUsage }', '{ me { id } } { me { id } }', 'subscription { x }', '{ me(id: 1) { id } }'),
      fc.tuple(fc.constantFrom(...fieldNames), fc.string(), fc.integer()).map(([field, text, n]) => `{ ${field}(metric: ${JSON.stringify(text)}, quantity: ${n}) { id total } }`),
      fc.integer({ min: 1, max: 40 }).map((depth) => `{ me { ${'invoices { lineItems { '.repeat(depth)}metric${' } }'.repeat(depth)} } }`),
      fc.tuple(fc.string(), fc.double()).map(([metric, quantity]) => `mutation { recordUsage(metric: ${JSON.stringify(metric)}, quantity: ${Number.isFinite(quantity) ? quantity : 0}) }`),
    );
    const variables = fc.oneof(fc.constant({}), fc.dictionary(fc.string(), fc.jsonValue()), fc.constant({ o: 'x'.repeat(10_000) }));
    const bodies = fc.oneof(
      fc.tuple(documents, variables).map(([query, vars]) => JSON.stringify({ query, variables: vars })),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string(),
      fc.constant(JSON.stringify({ query: '{ me { id } }', variables: 'not an object' })),
      fc.constant(JSON.stringify({ query: '{ me { id } }', operationName: 'Missing' })),
    );
    const credentials = fc.constantFrom<Credentials>({}, { apiKey: acme.apiKey }, { apiKey: 'pol_garbage' }, { bearer: 'x.y.z' }, operator);
    let count = 0;
    await fc.assert(
      fc.asyncProperty(bodies, credentials, async (body, creds) => {
        count += 1;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (creds.apiKey) headers['x-api-key'] = creds.apiKey;
        if (creds.bearer) headers.authorization = `Bearer ${creds.bearer}`;
        const response = await fetch(`${host.http}/graphql`, { method: 'POST', headers, body });
        expect(response.status).toBeLessThan(500);
        const text = await response.text();
        const answer = JSON.parse(text) as Json;
        for (const error of answer.errors ?? []) {
          expect(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'INTERNAL']).toContain(error.extensions?.code);
        }
        if (answer.error) expect(typeof answer.error.code).toBe('string');
        expect(text).not.toMatch(/at .*\.(ts|js):\d+|select |insert into|postgres:\/\//i);
      }),
      { numRuns: 1000 },
    );
    expect(count).toBeGreaterThanOrEqual(1000);
  }, 120_000);
});
