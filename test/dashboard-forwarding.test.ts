/**
 * The dashboard as it runs in the cluster: its bundle alone, forwarding the
 * routes its page calls (`/graphql`, `/invoices/`, `/auth/oidc`) to the
 * functions that serve them, here one in-process host with the real gateway,
 * invoice document and sign-in, and an OpenID Connect provider whose
 * callback is on the dashboard's origin.
 */
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../proto/gen/polaris/identity/v1/identity.js';
import { bundlePath } from '../scripts/build.js';
import { findFreePort } from '../scripts/local/index.js';
import { maxBodyBytes } from '../shared/runtime/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { testAdminToken } from './support/grpc.js';
import { startTestHost, type TestHost } from './support/host.js';
import { deleteStream } from './support/nats.js';
import { atLoginPage, logInAtProvider, oidcTestClientId, startOidcProvider, type OidcTestProvider } from './support/oidc-provider.js';
import { createMember } from './support/people.js';
import { spawnBundleOnFreePort, type SpawnedFunction } from './support/process.js';
import { createTenant, type TestTenant } from './support/tenants.js';
import { TestBrowser } from './support/test-browser.js';

let db: TestDatabase;
let host: TestHost;
let provider: OidcTestProvider;
let dashboard: SpawnedFunction;
let dashboardUrl: string;
let acme: TestTenant;
const operator = { authorization: `Bearer ${testAdminToken}` };

/** POST /graphql at `base`: the status, content type and JSON body. */
async function graphqlAt(base: string, query: string, variables: object, headers: Record<string, string>) {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as any };
}

/** POST requests the host's gateway counted (every status), from its Prometheus metrics. */
async function gatewayPosts(): Promise<number> {
  const metrics = await (await fetch(`${host.http}/metrics`)).text();
  return [...metrics.matchAll(/^http_request_duration_seconds_count\{method="POST",route="\/graphql",[^}]*\} (\d+)$/gm)].reduce((sum, [, count]) => sum + Number(count), 0);
}

/** One request through node:http, so the test picks every header (fetch refuses hop-by-hop ones). */
function rawPost(url: string, headers: Record<string, string>, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  // The host's port is named in the dashboard's settings, and the dashboard's in the host's (the sign-in callback).
  const hostPort = await findFreePort();
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  dashboard = await spawnBundleOnFreePort(bundlePath('dashboard'), {
    K_SERVICE: 'dashboard',
    POLARIS_GATEWAY_URL: hostUrl,
    POLARIS_INVOICE_DOCUMENT_URL: hostUrl,
    POLARIS_OIDC_FUNCTION_URL: `${hostUrl}/`,
  });
  dashboardUrl = `http://127.0.0.1:${dashboard.port}`;
  const callback = `${dashboardUrl}/auth/oidc/callback`;
  provider = await startOidcProvider({ redirectUris: [callback], accounts: [{ id: 'ada', email: 'ada@example.com', emailVerified: true }] });
  host = await startTestHost({
    databaseUrl: db.url,
    httpPort: hostPort,
    env: { POLARIS_OIDC_ISSUER: provider.issuer, POLARIS_OIDC_CLIENT_ID: oidcTestClientId, POLARIS_OIDC_CLIENT_SECRET: provider.clientSecret, POLARIS_OIDC_REDIRECT_URL: callback },
  });
  acme = await createTenant(host.grpcAddress, 'Acme');
}, 90_000);

afterAll(async () => {
  dashboard?.child.kill('SIGKILL');
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await provider?.close();
  await db?.drop();
});

describe("the dashboard's /graphql, forwarded to the gateway", () => {
  it('answers what the gateway answers, for the caller its credential names', async () => {
    for (const [query, headers] of [
      ['{ me { id name } }', { 'x-api-key': acme.apiKey }],
      ['{ organizations { id name } }', operator],
      ['{ me { id } }', {}],
      ['{ me { id } }', { authorization: 'Bearer not-a-token' }],
    ] as const) {
      const direct = await graphqlAt(host.http, query, {}, headers);
      expect(await graphqlAt(dashboardUrl, query, {}, headers), `${query} with ${Object.keys(headers).join() || 'no credential'}`).toEqual(direct);
    }
    expect((await graphqlAt(dashboardUrl, '{ me { id name } }', {}, { 'x-api-key': acme.apiKey })).body.data.me).toEqual({ id: acme.organizationId, name: 'Acme' });
    expect((await graphqlAt(dashboardUrl, '{ me { id } }', {}, {})).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it("passes the client's address on: the audit log has it, not the dashboard's", async () => {
    const created = await graphqlAt(dashboardUrl, 'mutation($o: ID!) { createApiKey(organizationId: $o, name: "through the dashboard") { id } }', { o: acme.organizationId }, {
      ...operator,
      // As Kourier and the queue-proxy write it in the cluster; the dashboard appends its own peer, a loopback hop.
      'x-forwarded-for': '203.0.113.7',
    });
    expect(created.body.errors).toBeUndefined();
    const { body } = await graphqlAt(host.http, '{ auditLog(action: "api_key.create", limit: 1) { target clientAddress } }', {}, operator);
    expect(body.data.auditLog).toEqual([{ target: `api_key:${created.body.data.createApiKey.id}`, clientAddress: '203.0.113.7' }]);
  });

  it("refuses a body over the gateway's limit with a GraphQL error, without sending it on", async () => {
    const oversized = JSON.stringify({ query: `{ me { id } }${' '.repeat(maxBodyBytes)}` });
    const refusal = { data: null, errors: [{ message: `body is larger than ${maxBodyBytes} bytes`, extensions: { code: 'BAD_USER_INPUT' } }] };
    const before = await gatewayPosts();
    const refused = await fetch(`${dashboardUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: oversized });
    expect([refused.status, await refused.json()]).toEqual([413, refusal]);
    expect(await gatewayPosts()).toBe(before);

    // Sent in chunks, with no length to refuse it by: refused once it passes the limit.
    const chunked = await rawPost(`${dashboardUrl}/graphql`, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, [oversized.slice(0, 1000), oversized.slice(1000)]);
    expect([chunked.status, JSON.parse(chunked.body)]).toEqual([413, refusal]);
    // A body at the limit goes through.
    const atLimit = JSON.stringify({ query: '{ me { id } }', variables: {} });
    const padded = `${atLimit}${' '.repeat(maxBodyBytes - atLimit.length)}`;
    const answer = await fetch(`${dashboardUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': acme.apiKey }, body: padded });
    expect(answer.status).not.toBe(413);
  });

  it('drops hop-by-hop headers, those the client names in Connection too', async () => {
    const body = JSON.stringify({ query: '{ me { id } }' });
    const headers = { 'content-type': 'application/json', 'x-api-key': acme.apiKey, 'transfer-encoding': 'chunked', te: 'trailers', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic eDp5' };
    // Sent on as it came, chunked or Keep-Alive would break the request to the gateway (Node's fetch refuses them).
    const kept = await rawPost(`${dashboardUrl}/graphql`, { ...headers, connection: 'keep-alive' }, [body.slice(0, 5), body.slice(5)]);
    expect([kept.status, JSON.parse(kept.body)]).toEqual([200, { data: { me: { id: acme.organizationId } } }]);
    // The client says its X-API-Key is for this hop only: the gateway never sees it.
    const dropped = await rawPost(`${dashboardUrl}/graphql`, { ...headers, connection: 'keep-alive, x-api-key' }, [body]);
    expect(JSON.parse(dropped.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers 502 with a GraphQL error, and no stack, when the gateway cannot be reached', async () => {
    const nowhere = `http://127.0.0.1:${await findFreePort()}`;
    const stranded = await spawnBundleOnFreePort(bundlePath('dashboard'), { K_SERVICE: 'dashboard', POLARIS_GATEWAY_URL: nowhere, LOG_LEVEL: 'info' });
    try {
      const answer = await graphqlAt(`http://127.0.0.1:${stranded.port}`, '{ me { id } }', {}, { 'x-api-key': acme.apiKey });
      expect(answer).toEqual({
        status: 502,
        contentType: 'application/json; charset=utf-8',
        body: { data: null, errors: [{ message: 'the GraphQL gateway cannot be reached from the dashboard; try again shortly', extensions: { code: 'UNAVAILABLE' } }] },
      });
      // Only what is configured is forwarded: without the invoice document's address there is no such route.
      expect((await fetch(`http://127.0.0.1:${stranded.port}/invoices/${randomUUID()}.pdf`)).status).toBe(404);
      expect(stranded.output()).toContain('dashboard: the GraphQL gateway did not answer');
      expect(stranded.output()).not.toContain(acme.apiKey);
    } finally {
      stranded.child.kill('SIGKILL');
    }
  });
});

describe("the dashboard's other forwarded routes", () => {
  it("serves an invoice's PDF from the invoice document, for the caller's credential", async () => {
    const period = { o: acme.organizationId, from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    const generated = await graphqlAt(dashboardUrl, 'mutation($o: ID!, $from: String!, $to: String!) { generateInvoice(organizationId: $o, periodStart: $from, periodEnd: $to) { id } }', period, operator);
    const invoiceId: string = generated.body.data.generateInvoice.id;
    const pdf = await fetch(`${dashboardUrl}/invoices/${invoiceId}.pdf`, { headers: { 'x-api-key': acme.apiKey } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(`inline; filename="${invoiceId}.pdf"`);
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const anonymous = await fetch(`${dashboardUrl}/invoices/${invoiceId}.pdf`);
    expect([anonymous.status, ((await anonymous.json()) as { error: { code: string } }).error.code]).toEqual([401, 'unauthenticated']);
  });

  it('signs a person in through the identity provider with the dashboard as the only origin: redirects and the flow cookie pass through', async () => {
    await createMember(host.grpcAddress, acme.organizationId, Role.ROLE_MEMBER, { email: 'ada@example.com' });
    const config = await fetch(`${dashboardUrl}/auth/oidc`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toMatchObject({ enabled: true, startUrl: `${dashboardUrl}/auth/oidc/start` });

    const browser = new TestBrowser();
    const { url: loginPage } = await browser.visit(`${dashboardUrl}/auth/oidc/start`, { until: atLoginPage });
    expect(loginPage.origin).toBe(provider.issuer);
    expect(browser.cookie(`${dashboardUrl}/auth/oidc/callback`, 'polaris_oidc')).toBeDefined();
    const { url: landed } = await logInAtProvider(browser, loginPage, 'ada');
    expect(`${landed.origin}${landed.pathname}`).toBe(`${dashboardUrl}/dashboard`);
    const refreshToken = new URLSearchParams(landed.hash.slice(1)).get('refresh_token');
    expect(refreshToken).toMatch(/^polr_/);
    const renewed = await graphqlAt(dashboardUrl, 'mutation($t: String!) { refreshSession(refreshToken: $t) { user { email } } }', { t: refreshToken }, {});
    expect(renewed.body.data.refreshSession.user.email).toBe('ada@example.com');
  });
});
