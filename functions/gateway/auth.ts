/**
 * Who is calling the gateway, and with what permissions:
 * - the operator (the admin bearer token): everything, in every organization;
 * - a tenant, acting for one organization with a set of permissions
 *   (functions/gateway/permissions.ts), by
 *   - an API key (`X-API-Key`, checked through Identity's ValidateApiKey):
 *     its scopes;
 *   - a signed-in session's access token (HS256 with POLARIS_SESSION_SECRET,
 *     iss `polaris`, aud `polaris-session`), whose session Identity still
 *     holds (ValidateSession, cached a few seconds): its user's role now;
 *   - a JWT minted outside Polaris whose organization claim, `sub` by
 *     default, names the organization (HS256 with POLARIS_JWT_SECRET, or
 *     RS256/ES256 signed by an identity provider whose keys are published as
 *     a JWKS): read, ingest and manage, as before roles existed;
 * - a service key (scope INGEST_ANY, no organization): POST /ingest only.
 */
import { Metadata } from '@grpc/grpc-js';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { IdentityService, type ValidateSessionResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { tokensEqual, bearerToken } from '../../shared/auth.js';
import type { RuntimeConfig } from '../../shared/config.js';
import { ErrorKind, ForbiddenError, PolarisError, UnauthenticatedError, UnavailableError } from '../../shared/errors.js';
import { ExpiringCache } from '../../shared/expiring-cache.js';
import { ApiKeyAuthenticator, type GrpcClients } from '../../shared/grpc/index.js';
import { overridesFromMessage, type OrganizationLimitOverrides } from '../../shared/rate-limits/index.js';
import { sessionTokenAudience, verifySessionToken } from '../../shared/session-token.js';
import { isUuid } from '../../shared/validation.js';
import {
  isOrganizationKeyScope,
  outsideTokenPermissions,
  permissionsByRole,
  permissionsOfScopes,
  roleName,
  type OrganizationKeyScope,
  type Permission,
  type RoleName,
} from './permissions.js';

interface TenantBase {
  kind: 'tenant';
  organizationId: string;
  permissions: ReadonlySet<Permission>;
  /** Who the audit log names: `user:<id>`, `key:<id>` or `token:<organization id>`. */
  actor: string;
  /** The organization's own limits, as cached with the credential. */
  limits: OrganizationLimitOverrides;
}

export type SessionCaller = TenantBase & { via: 'session'; userId: string; sessionId: string; role: RoleName };
export type KeyCaller = TenantBase & { via: 'key'; keyId: string; scopes: readonly OrganizationKeyScope[] };
export type TokenCaller = TenantBase & { via: 'token' };
export type TenantCaller = SessionCaller | KeyCaller | TokenCaller;
export type OperatorCaller = { kind: 'operator'; actor: 'operator' };
export type ServiceCaller = { kind: 'service'; keyId: string; actor: string };
export type Caller = OperatorCaller | TenantCaller | ServiceCaller;

/** What the gateway needs of Identity's ValidateSession. */
/** `fresh`: ask Identity, not a cached answer. */
export type SessionValidator = (sessionId: string, options?: { fresh?: boolean }) => Promise<ValidateSessionResponse>;

export interface GatewayAuthOptions {
  apiKeys: ApiKeyAuthenticator;
  adminToken?: string;
  /** HS256 secret for JWTs Polaris's own systems sign. */
  jwtSecret?: string;
  /** An identity provider's keys, and the `iss` and `aud` its JWTs must carry. */
  jwks?: { url: string; issuer?: string; audience?: string };
  /** The claim that holds the organization id. Default `sub`. */
  organizationClaim?: string;
  /** HS256 secret of signed-in sessions' access tokens; no session is accepted without it. */
  sessionSecret?: string;
  /** Whether a session still stands, and its role now; cached by the caller of this option. */
  validateSession?: SessionValidator;
  /** The organization's own limits when it exists; throws NotFoundError otherwise. */
  requireOrganization(id: string): Promise<OrganizationLimitOverrides>;
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
      return this.keyCaller(apiKey);
    }
    if (authorization === undefined) return undefined;
    const token = bearerToken(authorization);
    if (!token) throw new UnauthenticatedError('Authorization must be "Bearer <token>"', 'invalid_authorization');
    if (this.options.adminToken && tokensEqual(token, this.options.adminToken)) return { kind: 'operator', actor: 'operator' };
    // A session's token says so in its audience, and only the session secret
    // may then verify it (with its issuer): a JWT signed with
    // POLARIS_JWT_SECRET (or by the identity provider) never passes as a
    // session, and a session's token never as an outside JWT, even when both
    // secrets are set.
    if (audiences(token).includes(sessionTokenAudience)) return this.sessionCaller(token);
    const { organizationId, limits } = await this.verifyOutsideJwt(token);
    return { kind: 'tenant', via: 'token', organizationId, permissions: new Set(outsideTokenPermissions), actor: `token:${organizationId}`, limits };
  }

  private async keyCaller(apiKey: string): Promise<KeyCaller | ServiceCaller> {
    // Service keys too: the fields they may not use say so (FORBIDDEN), as for any caller.
    const key = await this.options.apiKeys.authenticate(apiKey, { serviceKeys: true });
    if (key.service) return { kind: 'service', keyId: key.keyId, actor: `key:${key.keyId}` };
    // Keys made before scopes existed were given all three by Identity's migration.
    const keyScopes = key.scopes.filter(isOrganizationKeyScope);
    return {
      kind: 'tenant',
      via: 'key',
      organizationId: key.organizationId,
      keyId: key.keyId,
      scopes: keyScopes,
      permissions: new Set(permissionsOfScopes(keyScopes)),
      actor: `key:${key.keyId}`,
      limits: key.limits,
    };
  }

  /**
   * A session's caller: the token verified, and its session still standing in
   * the token's organization, with the role the user has there now (a role
   * change or a sign-out shows within the validation cache's few seconds).
   */
  private async sessionCaller(token: string): Promise<SessionCaller> {
    const { sessionSecret, validateSession } = this.options;
    if (!sessionSecret || !validateSession) throw new UnauthenticatedError('invalid token', 'invalid_token');
    const claims = await verifySessionToken(token, sessionSecret);
    const validate = (fresh: boolean) =>
      validateSession(claims.sessionId, { fresh }).catch((err: unknown) => {
        // A session Identity does not know is one that has ended, not a missing resource.
        if (err instanceof PolarisError && (err.kind === ErrorKind.NotFound || err.kind === ErrorKind.Validation)) return undefined;
        throw err;
      });
    let session = await validate(false);
    // A token for another organization than the cached answer's may be newer than that answer
    // (the session switched organization a moment ago): Identity decides, not the cache.
    if (session && session.organizationId !== claims.organizationId) session = await validate(true);
    const role = session && roleName(session.role);
    if (!session?.active || !role || session.userId !== claims.userId) throw new UnauthenticatedError('the session has ended: sign in again', 'session_ended');
    // RefreshSession may have moved the session to another of the user's
    // organizations: a token made for the one before no longer acts for it.
    if (session.organizationId !== claims.organizationId) throw new UnauthenticatedError('the session now acts for another organization: refresh it', 'session_moved');
    return {
      kind: 'tenant',
      via: 'session',
      organizationId: session.organizationId,
      userId: session.userId,
      sessionId: claims.sessionId,
      role,
      permissions: new Set(permissionsByRole[role]),
      actor: `user:${session.userId}`,
      limits: overridesFromMessage(session.limits),
    };
  }

  private async verifyOutsideJwt(token: string): Promise<{ organizationId: string; limits: OrganizationLimitOverrides }> {
    if (!this.jwtKey && !this.providerKeys) throw new UnauthenticatedError('unknown bearer token', 'invalid_token');
    const payload = await this.verifiedPayload(token);
    const claim = this.organizationClaim;
    const subject = payload[claim];
    if (typeof subject !== 'string' || !isUuid(subject)) throw new UnauthenticatedError(`token ${claim} must be an organization id`, 'invalid_token');
    try {
      return { organizationId: subject.toLowerCase(), limits: await this.options.requireOrganization(subject.toLowerCase()) };
    } catch (err) {
      if (err instanceof PolarisError && err.kind === ErrorKind.NotFound) throw new UnauthenticatedError('token subject is not an organization', 'invalid_token');
      throw err;
    }
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

/** Seconds a session's validation is trusted at most: sign-outs and role changes show within them. */
const sessionCacheSeconds = 5;

/**
 * The gateway's credential checks, as the gateway and the invoice document
 * make them: API keys and sessions through Identity (each cached), JWTs from
 * the settings.
 */
export function gatewayAuthFrom(config: RuntimeConfig, clients: GrpcClients, requireOrganization: (id: string) => Promise<OrganizationLimitOverrides>): GatewayAuth {
  // Sessions are trusted no longer than keys are, and at most a few seconds.
  const sessionTtlMs = Math.min(sessionCacheSeconds, config.apiKeyCacheSeconds) * 1000;
  const sessions = new ExpiringCache<string, ValidateSessionResponse>({ maxEntries: 10_000 });
  return new GatewayAuth({
    apiKeys: new ApiKeyAuthenticator(clients, { ttlSeconds: config.apiKeyCacheSeconds, negativeTtlSeconds: config.apiKeyNegativeCacheSeconds }),
    adminToken: config.adminToken,
    jwtSecret: config.jwtSecret,
    jwks: config.jwtJwksUrl ? { url: config.jwtJwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
    organizationClaim: config.jwtOrganizationClaim,
    sessionSecret: config.sessionSecret,
    validateSession: (sessionId, { fresh = false } = {}) => {
      if (fresh) sessions.delete(sessionId);
      return sessions.get(
        sessionId,
        () => clients.call(IdentityService.validateSession, { sessionId }, operatorMetadataOf(config)),
        () => sessionTtlMs,
      );
    },
    requireOrganization,
  });
}

/** Metadata that carries the operator token, for the RPCs only the operator (or the gateway on a caller's behalf) may make. */
export function operatorMetadataOf(config: Pick<RuntimeConfig, 'adminToken'>): Metadata {
  const metadata = new Metadata();
  if (config.adminToken) metadata.set('authorization', `Bearer ${config.adminToken}`);
  return metadata;
}

/** The organization of a tenant caller; operators, service keys and anonymous callers are refused. */
export function tenantOf(caller: Caller | undefined): TenantCaller {
  if (!caller) throw new UnauthenticatedError('send X-API-Key or Authorization: Bearer <token>');
  if (caller.kind === 'operator') throw new ForbiddenError('the operator has no organization: use organization(id)');
  if (caller.kind === 'service') throw new ForbiddenError('a service key may only POST /ingest');
  return caller;
}

/** The audiences a JWT names, unverified: only to tell which key must verify it. */
function audiences(token: string): string[] {
  try {
    const { aud } = decodeJwt(token);
    return typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  } catch {
    throw new UnauthenticatedError('invalid token', 'invalid_token');
  }
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
