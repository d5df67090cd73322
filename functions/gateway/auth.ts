/**
 * Who is calling the gateway: a tenant (by API key, checked through
 * Identity's ValidateApiKey, or by a JWT whose organization claim, `sub` by
 * default, names it: HS256 with Polaris's secret, or RS256/ES256 signed by an
 * identity provider whose keys are published as a JWKS), or the operator (the
 * admin bearer token).
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { tokensEqual, bearerToken } from '../../shared/auth.js';
import { ErrorKind, ForbiddenError, PolarisError, UnauthenticatedError, UnavailableError } from '../../shared/errors.js';
import type { ApiKeyAuthenticator } from '../../shared/grpc/index.js';
import { isUuid } from '../../shared/validation.js';

export type Caller = { kind: 'tenant'; organizationId: string } | { kind: 'operator' };

export interface GatewayAuthOptions {
  apiKeys: ApiKeyAuthenticator;
  adminToken?: string;
  /** HS256 secret for JWTs Polaris's own systems sign. */
  jwtSecret?: string;
  /** An identity provider's keys, and the `iss` and `aud` its JWTs must carry. */
  jwks?: { url: string; issuer?: string; audience?: string };
  /** The claim that holds the organization id. Default `sub`. */
  organizationClaim?: string;
  /** Resolves when the organization exists; throws NotFoundError otherwise. */
  requireOrganization(id: string): Promise<void>;
}

/** Seconds of clock skew allowed on `exp` and `nbf`. */
const clockToleranceSeconds = 30;

/**
 * Algorithms accepted from the identity provider's keys. Asymmetric only: a
 * JWKS-verified token can never be an HS256 one forged with a public key.
 */
const providerAlgorithms = ['RS256', 'ES256'];

export class GatewayAuth {
  private readonly jwtKey: Uint8Array | undefined;
  /** Fetches the provider's keys on first use and when a token names an unknown key; jose caches them. */
  private readonly providerKeys: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly organizationClaim: string;

  constructor(private readonly options: GatewayAuthOptions) {
    this.jwtKey = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
    this.providerKeys = options.jwks ? createRemoteJWKSet(new URL(options.jwks.url)) : undefined;
    this.organizationClaim = options.organizationClaim ?? 'sub';
  }

  /** The caller, undefined when the request carries no credentials; an UnauthenticatedError for bad ones. */
  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Caller | undefined> {
    const apiKey = first(headers['x-api-key']);
    const authorization = first(headers.authorization);
    if (apiKey !== undefined) {
      if (authorization !== undefined) throw new UnauthenticatedError('send either X-API-Key or Authorization, not both', 'ambiguous_credentials');
      const tenant = await this.options.apiKeys.authenticate(apiKey);
      return { kind: 'tenant', organizationId: tenant.organizationId };
    }
    if (authorization === undefined) return undefined;
    const token = bearerToken(authorization);
    if (!token) throw new UnauthenticatedError('Authorization must be "Bearer <token>"', 'invalid_authorization');
    if (this.options.adminToken && tokensEqual(token, this.options.adminToken)) return { kind: 'operator' };
    return { kind: 'tenant', organizationId: await this.verifyJwt(token) };
  }

  private async verifyJwt(token: string): Promise<string> {
    if (!this.jwtKey && !this.providerKeys) throw new UnauthenticatedError('unknown bearer token', 'invalid_token');
    const payload = await this.verifiedPayload(token);
    const claim = this.organizationClaim;
    const subject = payload[claim];
    if (typeof subject !== 'string' || !isUuid(subject)) throw new UnauthenticatedError(`token ${claim} must be an organization id`, 'invalid_token');
    try {
      await this.options.requireOrganization(subject.toLowerCase());
    } catch (err) {
      if (err instanceof PolarisError && err.kind === ErrorKind.NotFound) throw new UnauthenticatedError('token subject is not an organization', 'invalid_token');
      throw err;
    }
    return subject.toLowerCase();
  }

  /**
   * The claims of a token whose signature, algorithm and times hold. The
   * algorithm is pinned by key: HS256 for the secret, RS256 or ES256 for the
   * provider's keys; any other (alg "none" included) is refused.
   */
  private async verifiedPayload(token: string): Promise<JWTPayload> {
    let algorithm: unknown;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw new UnauthenticatedError('invalid token', 'invalid_token');
    }
    if (algorithm === 'HS256' && this.jwtKey) {
      return jwtVerify(token, this.jwtKey, { algorithms: ['HS256'], clockTolerance: clockToleranceSeconds }).then(
        ({ payload }) => payload,
        (err: unknown) => {
          throw refusalOf(err) ?? err;
        },
      );
    }
    if (typeof algorithm === 'string' && providerAlgorithms.includes(algorithm) && this.providerKeys) {
      const { issuer, audience } = this.options.jwks!;
      return jwtVerify(token, this.providerKeys, { algorithms: providerAlgorithms, issuer, audience, clockTolerance: clockToleranceSeconds }).then(
        ({ payload }) => payload,
        (err: unknown) => {
          // Not the token's fault: the keys could not be fetched, and the caller may retry.
          throw refusalOf(err) ?? new UnavailableError("the identity provider's keys are unavailable, retry later", { cause: err });
        },
      );
    }
    throw new UnauthenticatedError('invalid token', 'invalid_token');
  }
}

/** The organization of a tenant caller; operators and anonymous callers are refused. */
export function tenantOf(caller: Caller | undefined): string {
  if (!caller) throw new UnauthenticatedError('send X-API-Key or Authorization: Bearer <JWT>');
  if (caller.kind !== 'tenant') throw new ForbiddenError('the operator has no organization: use organization(id)');
  return caller.organizationId;
}

/** Any tenant or the operator; anonymous callers are refused. */
export function requireCaller(caller: Caller | undefined): Caller {
  if (!caller) throw new UnauthenticatedError('send X-API-Key, or Authorization: Bearer <JWT or admin token>');
  return caller;
}

/** Refuses anyone but the operator. */
export function requireOperator(caller: Caller | undefined): void {
  if (!caller) throw new UnauthenticatedError('operator only: send Authorization: Bearer <admin token>');
  if (caller.kind !== 'operator') throw new ForbiddenError('operator only');
}

/** The error for a token refused for what it is (signature, algorithm, claims, times); undefined for other failures, such as keys that could not be fetched. */
function refusalOf(err: unknown): UnauthenticatedError | undefined {
  if (!(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return undefined;
  const expired = err instanceof joseErrors.JWTExpired;
  return new UnauthenticatedError(expired ? 'token expired' : 'invalid token', expired ? 'token_expired' : 'invalid_token');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
