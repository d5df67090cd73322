/**
 * The state of one OpenID Connect sign-in between `/auth/oidc/start` and the
 * provider's redirect back to `/auth/oidc/callback`, kept in the browser: an
 * encrypted, HttpOnly cookie (JWE, `dir` + A256GCM) that lasts ten minutes.
 * No server keeps it, so the callback may reach another instance than the
 * start did, or one started since (scale to zero).
 */
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** What the callback must check the provider's answer against. */
export interface OidcFlow {
  /** Sent as `state`; the callback's must match (CSRF). */
  state: string;
  /** PKCE: its S256 challenge went to the provider; the verifier goes with the code. */
  codeVerifier: string;
  /** Sent as `nonce`; the ID token must carry it (replay). */
  nonce: string;
  /** The organization to act for, when the sign-in asked for one. */
  organizationId?: string;
}

export const flowCookieName = 'polaris_oidc';
/** The cookie goes only to the OpenID Connect routes. */
export const flowCookiePath = '/auth/oidc';
/** Seconds a sign-in may take at the provider. */
export const flowLifetimeSeconds = 600;

interface FlowClaims {
  s: string;
  v: string;
  n: string;
  o?: string;
}

export class FlowCookie {
  private readonly key: Uint8Array;

  /**
   * @param sessionSecret POLARIS_SESSION_SECRET; the cookie's key is derived
   *   from it (HKDF-SHA256), so it never signs or opens anything else.
   * @param secure Whether the cookie needs https (when the callback is https).
   */
  constructor(
    sessionSecret: string,
    private readonly secure: boolean,
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', sessionSecret, '', 'polaris oidc flow cookie v1', 32));
  }

  /** The `Set-Cookie` value that carries `flow`. */
  async seal(flow: OidcFlow): Promise<string> {
    const claims: FlowClaims = { s: flow.state, v: flow.codeVerifier, n: flow.nonce, ...(flow.organizationId && { o: flow.organizationId }) };
    const token = await new EncryptJWT({ ...claims })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime(`${flowLifetimeSeconds}s`)
      .encrypt(this.key);
    return this.cookie(token, flowLifetimeSeconds);
  }

  /** The flow the request's `Cookie` header carries; undefined when missing, altered, expired or made with another key. */
  async open(cookieHeader: string | undefined): Promise<OidcFlow | undefined> {
    const token = cookieValue(cookieHeader, flowCookieName);
    if (!token) return undefined;
    try {
      const { payload } = await jwtDecrypt(token, this.key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      const { s, v, n, o } = payload as Partial<FlowClaims>;
      if (typeof s !== 'string' || typeof v !== 'string' || typeof n !== 'string') return undefined;
      return { state: s, codeVerifier: v, nonce: n, ...(typeof o === 'string' && { organizationId: o }) };
    } catch {
      return undefined;
    }
  }

  /** The `Set-Cookie` value that removes the cookie: each flow is used once. */
  clear(): string {
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    // Lax: the provider's redirect back is a top-level GET from another site, which Lax lets through.
    const attributes = [`${flowCookieName}=${value}`, `Path=${flowCookiePath}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) attributes.push('Secure');
    return attributes.join('; ');
  }
}

/** One cookie's value from a `Cookie` header (RFC 6265 §5.4: `name=value` pairs separated by `; `). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}
