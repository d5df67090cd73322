/**
 * Who is calling the gateway: a tenant (by API key, checked through
 * Identity's ValidateApiKey, or by an HS256 JWT whose `sub` is its
 * organization), or the operator (the admin bearer token).
 */
import { errors as joseErrors, jwtVerify } from 'jose';
import { tokensEqual, bearerToken } from '../../shared/auth.js';
import { ErrorKind, ForbiddenError, PolarisError, UnauthenticatedError } from '../../shared/errors.js';
import type { ApiKeyAuthenticator } from '../../shared/grpc/api-key-authenticator.js';
import { isUuid } from '../../shared/validation.js';

export type Caller = { kind: 'tenant'; organizationId: string } | { kind: 'operator' };

export interface GatewayAuthOptions {
  apiKeys: ApiKeyAuthenticator;
  adminToken?: string;
  /** HS256 secret; JWT login is off without it. */
  jwtSecret?: string;
  /** Resolves when the organization exists; throws NotFoundError otherwise. */
  requireOrganization(id: string): Promise<void>;
}

/** Seconds of clock skew allowed on `exp` and `nbf`. */
const clockToleranceSeconds = 30;

export class GatewayAuth {
  private readonly jwtKey: Uint8Array | undefined;

  constructor(private readonly options: GatewayAuthOptions) {
    this.jwtKey = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
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
    if (!this.jwtKey) throw new UnauthenticatedError('unknown bearer token', 'invalid_token');
    let subject: string | undefined;
    try {
      // The algorithm is pinned: a token signed otherwise (or not at all: alg "none") is refused.
      const { payload } = await jwtVerify(token, this.jwtKey, { algorithms: ['HS256'], clockTolerance: clockToleranceSeconds });
      subject = payload.sub;
    } catch (err) {
      const expired = err instanceof joseErrors.JWTExpired;
      throw new UnauthenticatedError(expired ? 'token expired' : 'invalid token', expired ? 'token_expired' : 'invalid_token');
    }
    if (!subject || !isUuid(subject)) throw new UnauthenticatedError('token subject must be an organization id', 'invalid_token');
    try {
      await this.options.requireOrganization(subject.toLowerCase());
    } catch (err) {
      if (err instanceof PolarisError && err.kind === ErrorKind.NotFound) throw new UnauthenticatedError('token subject is not an organization', 'invalid_token');
      throw err;
    }
    return subject.toLowerCase();
  }
}

/** The organization of a tenant caller; operators and anonymous callers are refused. */
export function tenantOf(caller: Caller | undefined): string {
  if (!caller) throw new UnauthenticatedError('send X-API-Key or Authorization: Bearer <JWT>');
  if (caller.kind !== 'tenant') throw new ForbiddenError('the operator has no organization: use organization(id)');
  return caller.organizationId;
}

/** Refuses anyone but the operator. */
export function requireOperator(caller: Caller | undefined): void {
  if (!caller) throw new UnauthenticatedError('operator only: send Authorization: Bearer <admin token>');
  if (caller.kind !== 'operator') throw new ForbiddenError('operator only');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
