/**
 * OpenID Connect sign-in against a real provider (oidc-provider, started by
 * the test): the whole redirect dance as a browser makes it, with a cookie
 * jar, from /auth/oidc/start through the provider's login form to the
 * callback and the dashboard's fragment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService, Role } from '../../proto/gen/polaris/identity/v1/identity.js';
import { functionRegistry } from '../registry.js';
import { findFreePort } from '../../scripts/local/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { rpcClient } from '../../test/support/grpc.js';
import { createMember } from '../../test/support/people.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { abortAtProvider, atLoginPage, beforeDashboard, logInAtProvider, startOidcProvider, type OidcTestProvider } from '../../test/support/oidc-provider.js';
import { TestBrowser } from '../../test/support/test-browser.js';

let db: TestDatabase;
let provider: OidcTestProvider;
let host: TestHost;
let client: ReturnType<typeof rpcClient>;
let callbackUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const httpPort = await findFreePort();
  callbackUrl = `http://127.0.0.1:${httpPort}/auth/oidc/callback`;
  provider = await startOidcProvider({
    redirectUris: [callbackUrl],
    accounts: [
      { id: 'ada', email: 'Ada@Example.com', emailVerified: true, name: 'Ada Lovelace' },
      { id: 'grace', email: 'grace@example.com', emailVerified: true },
      { id: 'unverified', email: 'mallory@example.com', emailVerified: false },
      { id: 'stranger', email: 'stranger@example.com', emailVerified: true },
      { id: 'no-email' },
    ],
  });
  host = await startTestHost({
    databaseUrl: db.url,
    httpPort,
    env: {
      POLARIS_OIDC_ISSUER: provider.issuer,
      POLARIS_OIDC_CLIENT_ID: provider.clientId,
      POLARIS_OIDC_CLIENT_SECRET: provider.clientSecret,
      POLARIS_OIDC_REDIRECT_URL: callbackUrl,
      POLARIS_OIDC_PROVIDER_NAME: 'Test SSO',
    },
  });
  client = rpcClient(host.grpcAddress);
}, 60_000);

afterAll(async () => {
  client?.close();
  await host?.close();
  await provider?.close();
  await db?.drop();
});

/** An organization with a member who accepted an invitation (and so has a password too). */
async function organizationWithMember(name: string, email: string, role = Role.ROLE_MEMBER) {
  const { organization } = await client.call(IdentityService.createOrganization, { name, externalId: '' });
  await createMember(host.grpcAddress, organization!.id, role, { email });
  return organization!;
}

/** From /auth/oidc/start to the provider's login page. */
async function startSignIn(browser: TestBrowser, query = ''): Promise<URL> {
  const { url } = await browser.visit(`${host.http}/auth/oidc/start${query}`, { until: atLoginPage });
  expect(url.origin).toBe(provider.issuer);
  return url;
}

/** The whole dance for one provider account; answers the dashboard URL the browser lands on. */
async function signInAs(accountId: string, query = ''): Promise<URL> {
  const browser = new TestBrowser();
  const { url } = await logInAtProvider(browser, await startSignIn(browser, query), accountId);
  return url;
}

const fragment = (url: URL) => new URLSearchParams(url.hash.slice(1));

describe('GET /auth/oidc', () => {
  it('says sign-in is on, under what name, and where it starts', async () => {
    const response = await fetch(`${host.http}/auth/oidc`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ enabled: true, name: 'Test SSO', startUrl: `${host.http}/auth/oidc/start` });
  });
});

describe('GET /auth/oidc/start', () => {
  it('sends the browser to the provider: code flow, PKCE S256, state and nonce; the flow in an encrypted cookie', async () => {
    const response = await fetch(`${host.http}/auth/oidc/start`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(provider.issuer);
    const query = Object.fromEntries(location.searchParams);
    expect(query).toMatchObject({ client_id: provider.clientId, redirect_uri: callbackUrl, response_type: 'code', scope: 'openid email profile', code_challenge_method: 'S256' });
    for (const parameter of ['state', 'nonce', 'code_challenge']) expect(query[parameter]).toMatch(/^[\w-]{43}$/);

    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^polaris_oidc=[\w.-]+; Path=\/auth\/oidc; Max-Age=600; HttpOnly; SameSite=Lax$/);
    // The state is checked against the cookie, which only Polaris can read.
    expect(cookie).not.toContain(query.state);
    expect(cookie).not.toContain(query.nonce);
  });

  it('refuses an organization that is not an id, naming the parameter', async () => {
    const response = await fetch(`${host.http}/auth/oidc/start?organization=acme`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_argument', fields: [{ field: 'organization', message: 'must be a UUID' }] } });
  });
});

describe('GET /auth/oidc/callback', () => {
  it('signs an invited user in: the dashboard gets a refresh token, which RefreshSession takes', async () => {
    const organization = await organizationWithMember('Analytical Engines', 'ada@example.com');
    const browser = new TestBrowser();
    const loginPage = await startSignIn(browser);
    const landed = await logInAtProvider(browser, loginPage, 'ada');
    expect(`${landed.url.origin}${landed.url.pathname}`).toBe(`${host.http}/dashboard`);
    const refreshToken = fragment(landed.url).get('refresh_token')!;
    expect(refreshToken).toMatch(/^polr_[\w-]{43}$/);
    expect([...fragment(landed.url).keys()]).toEqual(['refresh_token']);
    // The cookie went with the callback: used once.
    expect(browser.cookie(callbackUrl, 'polaris_oidc')).toBeUndefined();

    const session = await client.call(IdentityService.refreshSession, { refreshToken, organizationId: '' });
    expect(session).toMatchObject({ user: { email: 'ada@example.com' }, organization: { id: organization.id }, role: Role.ROLE_MEMBER });
    expect(session.accessToken.split('.')).toHaveLength(3);
    expect(session.refreshToken).not.toBe(refreshToken);

    // The sign-in is in the audit log, by the user, from the browser's address; no token in it.
    const { entries } = await client.call(IdentityService.listAuditLog, { organizationId: organization.id, action: 'session.sign_in', from: '', to: '', limit: 10 });
    expect(entries).toContainEqual(expect.objectContaining({ actor: `user:${session.user!.id}`, clientAddress: '127.0.0.1' }));
    expect(JSON.stringify(entries)).not.toContain(refreshToken);
  });

  it('acts for the organization the sign-in names', async () => {
    const first = await organizationWithMember('Grace First', 'grace@example.com');
    const { organization: second } = await client.call(IdentityService.createOrganization, { name: 'Grace Second', externalId: '' });
    await createMember(host.grpcAddress, second!.id, Role.ROLE_VIEWER, { email: 'grace@example.com' });

    const byDefault = fragment(await signInAs('grace')).get('refresh_token')!;
    expect((await client.call(IdentityService.refreshSession, { refreshToken: byDefault, organizationId: '' })).organization?.id).toBe(first.id);
    const named = fragment(await signInAs('grace', `?organization=${second!.id}`)).get('refresh_token')!;
    expect(await client.call(IdentityService.refreshSession, { refreshToken: named, organizationId: '' })).toMatchObject({
      organization: { id: second!.id },
      role: Role.ROLE_VIEWER,
    });
    // One the user does not belong to.
    const { organization: other } = await client.call(IdentityService.createOrganization, { name: 'Not Grace’s', externalId: '' });
    expect(fragment(await signInAs('grace', `?organization=${other!.id}`)).get('sign_in_error')).toBe('not_a_member');
  });

  it('signs in someone invited who never chose a password: the invitation becomes their membership', async () => {
    const { organization } = await client.call(IdentityService.createOrganization, { name: 'Invited Only', externalId: '' });
    await client.call(IdentityService.inviteUser, { organizationId: organization!.id, email: 'linus@example.com', role: Role.ROLE_ADMIN });
    provider.addAccount({ id: 'linus', email: 'linus@example.com', emailVerified: true });
    const refreshToken = fragment(await signInAs('linus')).get('refresh_token')!;
    expect(await client.call(IdentityService.refreshSession, { refreshToken, organizationId: '' })).toMatchObject({
      user: { email: 'linus@example.com' },
      organization: { id: organization!.id },
      role: Role.ROLE_ADMIN,
    });
  });

  it('refuses an email the provider has not verified, a provider user Polaris does not know, and one without an email', async () => {
    for (const [account, failure] of [
      ['unverified', 'email_unverified'],
      ['stranger', 'no_account'],
      ['no-email', 'email_missing'],
    ] as const) {
      const landed = await signInAs(account);
      expect(`${landed.origin}${landed.pathname}`, account).toBe(`${host.http}/dashboard`);
      expect(Object.fromEntries(fragment(landed)), account).toEqual({ sign_in_error: failure });
    }
  });

  it('says access_denied when the user cancels at the provider', async () => {
    const browser = new TestBrowser();
    const landed = await abortAtProvider(browser, await startSignIn(browser));
    expect(Object.fromEntries(fragment(landed.url))).toEqual({ sign_in_error: 'access_denied' });
  });

  it('refuses a callback without the cookie, with an altered one, with another sign-in’s state, or a second time', async () => {
    const toCallback = (next: URL) => next.pathname === '/auth/oidc/callback';
    /** A browser that signed in at the provider and stands before the callback. */
    const beforeCallback = async () => {
      const browser = new TestBrowser();
      const loginPage = await startSignIn(browser);
      const page = await browser.request(loginPage);
      const action = /<form[^>]*action="([^"]+)"/.exec(await page.text())![1]!;
      const form = new URLSearchParams({ prompt: 'login', login: 'ada', password: 'x' });
      const { url } = await browser.visit(new URL(action, loginPage), { form, until: toCallback });
      expect(url.toString().startsWith(`${callbackUrl}?code=`)).toBe(true);
      return { browser, callback: url };
    };
    const errorAt = async (browser: TestBrowser, callback: URL) => {
      const response = await browser.request(callback);
      expect(response.status).toBe(303);
      // The cookie is cleared whatever happened.
      expect(response.headers.getSetCookie()).toContain('polaris_oidc=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax');
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(`${host.http}/dashboard`);
      return fragment(location).get('sign_in_error');
    };

    // Another browser (an attacker's link): no cookie.
    const stolen = await beforeCallback();
    expect(await errorAt(new TestBrowser(), stolen.callback)).toBe('invalid_state');

    // An altered cookie.
    const altered = await beforeCallback();
    const value = altered.browser.cookie(callbackUrl, 'polaris_oidc')!;
    altered.browser.setCookie(callbackUrl, 'polaris_oidc', `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`, '/auth/oidc');
    expect(await errorAt(altered.browser, altered.callback)).toBe('invalid_state');

    // A later sign-in in the same browser replaced the cookie: the earlier answer's state is not its.
    const earlier = await beforeCallback();
    // Signed in at the provider already, the browser goes straight back to the (new) callback, not requested here.
    await earlier.browser.visit(`${host.http}/auth/oidc/start`, { until: toCallback });
    expect(await errorAt(earlier.browser, earlier.callback)).toBe('invalid_state');

    // The right cookie works once; the same answer again finds no cookie.
    const good = await beforeCallback();
    const first = await good.browser.visit(good.callback, { until: beforeDashboard });
    expect(fragment(first.url).get('refresh_token')).toMatch(/^polr_/);
    expect(await errorAt(good.browser, good.callback)).toBe('invalid_state');
  });
});

describe('with OpenID Connect off', () => {
  let off: TestHost;
  beforeAll(async () => {
    off = await startTestHost({ databaseUrl: db.url, entries: functionRegistry.filter((entry) => entry.name === 'oidc') });
  });
  afterAll(async () => off?.close());

  it('says so, and its routes answer 404 saying how to turn it on', async () => {
    expect(await (await fetch(`${off.http}/auth/oidc`)).json()).toEqual({ enabled: false });
    for (const path of ['/auth/oidc/start', '/auth/oidc/callback?code=x&state=y']) {
      const response = await fetch(`${off.http}${path}`, { redirect: 'manual' });
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('oidc_disabled');
      expect(body.error.message).toContain('POLARIS_OIDC_ISSUER');
    }
  });
});
