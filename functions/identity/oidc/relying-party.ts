/**
 * Polaris as an OpenID Connect relying party (openid-client): the
 * authorization request (code flow, PKCE S256, state, nonce) and, once the
 * provider sends the browser back, the code exchanged for tokens and the
 * ID token checked (signature, iss, aud, exp, nonce), for the verified email.
 */
import * as client from 'openid-client';
import type { OidcSettings } from '../../../shared/config.js';
import type { OidcFlow } from './flow-cookie.js';

/** Why a sign-in through the provider failed: the short code the dashboard shows (`#sign_in_error=<code>`). */
export const OidcFailure = {
  /** The flow cookie is missing, altered or expired, or the state does not match it. */
  InvalidState: 'invalid_state',
  /** The user (or the provider on their behalf) refused. */
  AccessDenied: 'access_denied',
  /** The provider answered with another error, or an answer that failed its checks. */
  ProviderError: 'provider_error',
  /** The provider could not be reached. */
  ProviderUnavailable: 'provider_unavailable',
  /** The provider gave no email address. */
  EmailMissing: 'email_missing',
  /** The provider did not verify the email address. */
  EmailUnverified: 'email_unverified',
  /** No Polaris user with this email belongs to an organization (or to the one asked for). */
  NoAccount: 'no_account',
  /** The user does not belong to the organization the sign-in named. */
  NotAMember: 'not_a_member',
  /** Too many sign-ins from this address or for this account: wait and try again. */
  RateLimited: 'rate_limited',
  /** Something else failed on Polaris's side. */
  Failed: 'sign_in_failed',
} as const;
export type OidcFailure = (typeof OidcFailure)[keyof typeof OidcFailure];

export class OidcSignInError extends Error {
  override name = 'OidcSignInError';
  constructor(
    readonly failure: OidcFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Who the provider says signed in. */
export interface OidcIdentity {
  /** The ID token's `iss`, as discovered. */
  issuer: string;
  /** The ID token's `sub`: the user at this provider, for good. */
  subject: string;
  email?: string;
  emailVerified: boolean;
}

export interface RelyingPartyOptions {
  /** Milliseconds each request to the provider may take. Default 10 000. */
  timeoutMs?: number;
}

export class OidcRelyingParty {
  private discovered?: Promise<client.Configuration>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly options: RelyingPartyOptions = {},
  ) {}

  /**
   * A new flow and the provider's authorization URL for it. The flow goes in
   * the browser's cookie; the URL carries only its state, the nonce and the
   * PKCE challenge.
   */
  async start(organizationId?: string): Promise<{ url: URL; flow: OidcFlow }> {
    const configuration = await this.configuration();
    const flow: OidcFlow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      ...(organizationId && { organizationId }),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUrl,
      scope: this.settings.scopes.join(' '),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, flow };
  }

  /**
   * The provider's answer (the callback's query) checked against `flow`: the
   * code exchanged for tokens, the ID token verified, the email read from it
   * or, when it does not carry one, from the userinfo endpoint.
   */
  async finish(flow: OidcFlow, query: URLSearchParams): Promise<OidcIdentity> {
    if (query.get('state') !== flow.state) throw new OidcSignInError(OidcFailure.InvalidState, 'the state does not match this browser’s sign-in');
    const error = query.get('error');
    if (error) {
      const failure = error === 'access_denied' ? OidcFailure.AccessDenied : OidcFailure.ProviderError;
      throw new OidcSignInError(failure, `the provider answered ${error.slice(0, 64)}`);
    }
    const configuration = await this.configuration();
    // The provider's answer as it reached the registered redirect URL, never as the request's Host header says.
    const callback = new URL(this.settings.redirectUrl);
    callback.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw providerFailure(err);
    }
    const claims = tokens.claims()!;
    let email = stringClaim(claims.email);
    let emailVerified = verifiedClaim(claims.email_verified);
    if ((email === undefined || claims.email_verified === undefined) && configuration.serverMetadata().userinfo_endpoint) {
      try {
        const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        email ??= stringClaim(userInfo.email);
        if (claims.email_verified === undefined) emailVerified = verifiedClaim(userInfo.email_verified);
      } catch (err) {
        throw providerFailure(err);
      }
    }
    return { issuer: claims.iss, subject: claims.sub, email: email?.toLowerCase(), emailVerified };
  }

  /** The provider's metadata, discovered once; a failed discovery is tried again on the next sign-in. */
  private configuration(): Promise<client.Configuration> {
    this.discovered ??= this.discover().catch((err: unknown) => {
      this.discovered = undefined;
      throw providerFailure(err);
    });
    return this.discovered;
  }

  private discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret, redirectUrl, allowHttp } = this.settings;
    return client.discovery(
      new URL(issuer),
      clientId,
      { redirect_uris: [redirectUrl], response_types: ['code'] },
      clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
      { timeout: Math.ceil((this.options.timeoutMs ?? 10_000) / 1000), ...(allowHttp && { execute: [client.allowInsecureRequests] }) },
    );
  }
}

/** An error of openid-client (or of the network under it) as a sign-in failure. */
function providerFailure(err: unknown): OidcSignInError {
  if (err instanceof OidcSignInError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    return new OidcSignInError(err.error === 'access_denied' ? OidcFailure.AccessDenied : OidcFailure.ProviderError, err.message, { cause: err });
  }
  // Answers that failed a check (an OAuth error body, a bad ID token) name what; anything else never got an answer.
  const answered = err instanceof client.ResponseBodyError || err instanceof client.ClientError || err instanceof client.WWWAuthenticateChallengeError;
  const reached = answered && !(err instanceof client.ClientError && (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT'));
  const message = err instanceof Error ? err.message : String(err);
  return new OidcSignInError(reached ? OidcFailure.ProviderError : OidcFailure.ProviderUnavailable, message, { cause: err });
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `email_verified` is a boolean by the specification; some providers send the string. */
function verifiedClaim(value: unknown): boolean {
  return value === true || value === 'true';
}
