import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ErrorKind, type PolarisError } from './errors.js';
import { isSessionToken, sessionTokenAudience, sessionTokenIssuer, signSessionToken, verifySessionToken } from './session-token.js';

const secret = 'a-session-secret-of-32-characters!!';
const claims = {
  organizationId: '6f1c2a52-3b7e-4e59-9a5e-0c1d2e3f4a5b',
  userId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  sessionId: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
  role: 'ADMIN' as const,
};
const key = new TextEncoder().encode(secret);

/** A token signed with `secret` carrying `payload`, with the session's issuer and audience unless overridden. */
const forge = (payload: Record<string, unknown>, options: { issuer?: string; audience?: string; expiresIn?: number; algorithm?: string } = {}) =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: options.algorithm ?? 'HS256' })
    .setIssuer(options.issuer ?? sessionTokenIssuer)
    .setAudience(options.audience ?? sessionTokenAudience)
    .setSubject(claims.organizationId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 60))
    .sign(key);

async function refusal(token: string, withSecret = secret): Promise<PolarisError> {
  try {
    await verifySessionToken(token, withSecret);
  } catch (err) {
    return err as PolarisError;
  }
  throw new Error('expected the token to be refused');
}

describe('session access tokens', () => {
  it('round-trip their claims, lasting the lifetime asked for', async () => {
    const { token, expiresAt } = await signSessionToken(claims, secret, 900);
    expect(isSessionToken(token)).toBe(true);
    const verified = await verifySessionToken(token, secret);
    expect(verified).toMatchObject(claims);
    expect(verified.expiresAt).toEqual(expiresAt);
    expect(verified.expiresAt.getTime() - verified.issuedAt.getTime()).toBe(900_000);
  });

  it('are refused when signed with another secret, expired, or of another issuer or audience', async () => {
    const { token } = await signSessionToken(claims, secret, 900);
    expect(await refusal(token, 'another-secret-of-32-characters-long')).toMatchObject({ kind: ErrorKind.Unauthenticated, code: 'invalid_token' });
    const payload = { uid: claims.userId, sid: claims.sessionId, role: claims.role };
    expect(await refusal(await forge(payload, { expiresIn: -120 }))).toMatchObject({ code: 'token_expired' });
    // An organization JWT minted outside Polaris with the same secret is no session.
    const outside = await forge(payload, { issuer: 'billing-backend' });
    expect(isSessionToken(outside)).toBe(false);
    expect((await refusal(outside)).code).toBe('invalid_token');
    expect((await refusal(await forge(payload, { audience: 'polaris' }))).code).toBe('invalid_token');
  });

  it('are refused with a malformed claim or an unsigned header', async () => {
    for (const payload of [
      { uid: 'someone', sid: claims.sessionId, role: 'ADMIN' },
      { uid: claims.userId, sid: claims.sessionId, role: 'SUPERUSER' },
      { uid: claims.userId, role: 'OWNER' },
    ]) {
      expect((await refusal(await forge(payload))).code).toBe('invalid_token');
    }
    const unsigned = new UnsecuredJWT({ uid: claims.userId, sid: claims.sessionId, role: 'OWNER' })
      .setIssuer(sessionTokenIssuer)
      .setAudience(sessionTokenAudience)
      .setSubject(claims.organizationId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    expect(isSessionToken(unsigned)).toBe(true);
    expect((await refusal(unsigned)).code).toBe('invalid_token');
    expect(isSessionToken('not a jwt')).toBe(false);
  });
});
