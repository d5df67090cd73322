/**
 * A signed-in session's access token: a JWT, HS256 with POLARIS_SESSION_SECRET,
 * that Identity mints and the gateway verifies. Its `iss` and `aud` set it
 * apart from the organization JWTs minted outside Polaris (README, GraphQL), so neither is
 * ever taken for the other, even were both signed with one secret.
 *
 * Claims: sub = organization id, uid = user id, sid = session id, role, iat, exp.
 */
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { UnauthenticatedError } from './errors.js';
import { isUuid } from './validation.js';

export const sessionTokenIssuer = 'polaris';
export const sessionTokenAudience = 'polaris-session';

/** A member's role in an organization, most powerful first. */
export const roles = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return (roles as readonly unknown[]).includes(value);
}

/** What an access token says, as of when it was made. */
export interface SessionClaims {
  organizationId: string;
  userId: string;
  sessionId: string;
  /** The role when the token was made; Identity's ValidateSession has the role now. */
  role: Role;
  issuedAt: Date;
  expiresAt: Date;
}

/** Seconds of clock skew allowed on `exp` and `iat`, as for other JWTs. */
const clockToleranceSeconds = 30;

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** Signs an access token lasting `lifetimeSeconds` from now. */
export async function signSessionToken(
  claims: Pick<SessionClaims, 'organizationId' | 'userId' | 'sessionId' | 'role'>,
  secret: string,
  lifetimeSeconds: number,
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + lifetimeSeconds;
  const token = await new SignJWT({ uid: claims.userId, sid: claims.sessionId, role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(sessionTokenIssuer)
    .setAudience(sessionTokenAudience)
    .setSubject(claims.organizationId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(keyOf(secret));
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

/**
 * True when `token` is shaped like a session's access token (its `iss` and
 * `aud`), without checking its signature: lets the gateway pick the verifier.
 */
export function isSessionToken(token: string): boolean {
  try {
    const payload = decodeJwt(token);
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return payload.iss === sessionTokenIssuer && audience.includes(sessionTokenAudience);
  } catch {
    return false;
  }
}

/**
 * The claims of an access token whose signature (HS256 only), issuer,
 * audience and times hold. Throws UnauthenticatedError otherwise: code
 * `token_expired` for an expired token, `invalid_token` for anything else.
 * Whether the session still stands is ValidateSession's to say.
 */
export async function verifySessionToken(token: string, secret: string): Promise<SessionClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      issuer: sessionTokenIssuer,
      audience: sessionTokenAudience,
      requiredClaims: ['sub', 'iat', 'exp'],
      clockTolerance: clockToleranceSeconds,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('token expired', 'token_expired');
    throw new UnauthenticatedError('invalid token', 'invalid_token');
  }
  const { sub, uid, sid, role, iat, exp } = payload;
  if (![sub, uid, sid].every((id) => typeof id === 'string' && isUuid(id)) || !isRole(role)) {
    throw new UnauthenticatedError('invalid token', 'invalid_token');
  }
  return {
    organizationId: (sub as string).toLowerCase(),
    userId: (uid as string).toLowerCase(),
    sessionId: (sid as string).toLowerCase(),
    role,
    issuedAt: new Date(iat! * 1000),
    expiresAt: new Date(exp! * 1000),
  };
}
