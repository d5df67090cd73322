/**
 * An OpenID Connect provider for the tests: oidc-provider (a certified
 * implementation) on a port of its own, with one confidential client (code
 * flow, PKCE, client_secret_basic) and accounts the test names. Its
 * development login form signs anyone in by account id, and a first-party
 * grant skips consent, so a test completes the whole dance without a person:
 * the login form is the only page between Polaris and the callback.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { TestBrowser, Visit } from './test-browser.js';

/** A user at the provider. */
export interface OidcTestAccount {
  /** What the login form takes, and the ID token's `sub`. */
  id: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export interface OidcTestProviderOptions {
  /** Where the provider may send the browser back: Polaris's callback URL. */
  redirectUris: string[];
  /** Listen here; default a free port. Known in advance when Polaris must be configured first. */
  port?: number;
  accounts?: OidcTestAccount[];
  /** The client's secret; default a random one. Known in advance when Polaris must be configured first. */
  clientSecret?: string;
}

export interface OidcTestProvider {
  /** `http://127.0.0.1:<port>`, for POLARIS_OIDC_ISSUER. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Adds (or replaces) an account. */
  addAccount(account: OidcTestAccount): void;
  close(): Promise<void>;
}

/** The client id of Polaris at every test provider. */
export const oidcTestClientId = 'polaris-test';

export async function startOidcProvider(options: OidcTestProviderOptions): Promise<OidcTestProvider> {
  const accounts = new Map((options.accounts ?? []).map((account) => [account.id, account]));
  const clientId = oidcTestClientId;
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const scopes = 'openid email profile';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    async findAccount(_ctx: KoaContextWithOIDC, id: string) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          ...(account.email !== undefined && { email: account.email, email_verified: account.emailVerified ?? false }),
          ...(account.name !== undefined && { name: account.name }),
        }),
      };
    },
    // Polaris is a first-party client: consent is given once the user signed in.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { client, session, result, provider: self } = ctx.oidc;
      const grantId = result?.consent?.grantId ?? session?.grantIdFor(client!.clientId);
      if (grantId) return self.Grant.find(grantId);
      const grant = new self.Grant({ clientId: client!.clientId, accountId: session?.accountId });
      grant.addOIDCScope(scopes);
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: true } },
    // Seconds; set, so the provider does not remind the test of its defaults.
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
  });
  // Errors the provider answers (a bad request, a refused login) are the tests' business, not its log's.
  provider.on('server_error', () => {});
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    addAccount: (account) => void accounts.set(account.id, account),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Signs `accountId` in on the provider's development login page, where
 * `browser` stands, and follows the provider's redirects back to Polaris's
 * callback and on, stopping before the dashboard.
 */
export async function logInAtProvider(browser: TestBrowser, loginPage: URL, accountId: string): Promise<Visit> {
  const page = await browser.request(loginPage);
  const html = await page.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !action) throw new Error(`no login form at ${loginPage.toString()} (${page.status})`);
  const form = new URLSearchParams({ prompt: 'login', login: accountId, password: 'any password' });
  return browser.visit(new URL(action.replaceAll('&amp;', '&'), loginPage), { form, until: beforeDashboard });
}

/** Leaves the provider's login page with "cancel": the provider answers access_denied. */
export function abortAtProvider(browser: TestBrowser, loginPage: URL): Promise<Visit> {
  return browser.visit(new URL(`${loginPage.pathname.replace(/\/$/, '')}/abort`, loginPage), { until: beforeDashboard });
}

/** Stops a visit at the dashboard, whose page a redirect test does not need. */
export const beforeDashboard = (next: URL): boolean => next.pathname === '/dashboard';

/** Stops a visit at the provider's login page. */
export const atLoginPage = (next: URL): boolean => next.pathname.startsWith('/interaction/');
