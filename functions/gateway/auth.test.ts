/**
 * GatewayAuth's JWT settings that the gateway test's host does not use: an
 * organization claim other than `sub`, and an identity provider whose keys
 * cannot be fetched; and how it tells sessions' access tokens, outside JWTs,
 * scoped keys and service keys apart (Identity stubbed: the access matrix
 * tests them against the real one).
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, type ValidateSessionResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ErrorKind, NotFoundError } from '../../shared/errors.js';
import type { ApiKeyAuthenticator } from '../../shared/grpc/index.js';
import { findFreePort } from '../../scripts/local/index.js';
import { startIdentityProvider, type IdentityProvider } from '../../test/support/identity-provider.js';
import { GatewayAuth, type GatewayAuthOptions } from './auth.js';

const organizationId = '0190a5c3-7d1e-7a4b-9c2d-3e4f5a6b7c8d';
let provider: IdentityProvider;

beforeAll(async () => {
  provider = await startIdentityProvider();
});

afterAll(async () => {
  await provider?.close();
});

function auth(options: Partial<GatewayAuthOptions>): GatewayAuth {
  return new GatewayAuth({
    apiKeys: {} as ApiKeyAuthenticator, // no API key is sent here
    requireOrganization: async (id) => {
      if (id !== organizationId) throw new NotFoundError('organization_not_found', 'no such organization');
      return {};
    },
    ...options,
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('GatewayAuth with an identity provider', () => {
  it('reads the organization from the configured claim, and only from it', async () => {
    const gateway = auth({ jwks: { url: provider.jwksUrl }, organizationClaim: 'org_id' });
    const token = await provider.sign({ sub: 'user-42', org_id: organizationId });
    expect(await gateway.authenticate(bearer(token))).toMatchObject({ kind: 'tenant', via: 'token', organizationId, actor: `token:${organizationId}` });
    await expect(gateway.authenticate(bearer(await provider.sign({ sub: organizationId })))).rejects.toMatchObject({
      kind: ErrorKind.Unauthenticated,
      message: 'token org_id must be an organization id',
    });
  });

  it('answers unavailable, not unauthenticated, while the keys cannot be fetched', async () => {
    const gateway = auth({ jwks: { url: `http://127.0.0.1:${await findFreePort()}/jwks.json` } });
    await expect(gateway.authenticate(bearer(await provider.sign({ sub: organizationId })))).rejects.toMatchObject({
      kind: ErrorKind.Unavailable,
      code: 'unavailable',
    });
  });

  it('refuses provider tokens when only the HS256 secret is set, and HS256 tokens when only the provider is', async () => {
    const secretOnly = auth({ jwtSecret: 'a-secret-that-is-long-enough-0123456789' });
    await expect(secretOnly.authenticate(bearer(await provider.sign({ sub: organizationId })))).rejects.toMatchObject({ code: 'invalid_token' });
    const providerOnly = auth({ jwks: { url: provider.jwksUrl } });
    const hs256 = await new SignJWT({ sub: organizationId }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-secret-that-is-long-enough-0123456789'));
    await expect(providerOnly.authenticate(bearer(hs256))).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

const sessionSecret = 'a-session-secret-that-is-long-enough-0123';
const jwtSecret = 'an-outside-secret-that-is-long-enough-0123';
const userId = '0190a5c3-7d1e-7a4b-9c2d-000000000001';
const sessionId = '0190a5c3-7d1e-7a4b-9c2d-000000000002';
const otherOrganizationId = '0190a5c3-7d1e-7a4b-9c2d-000000000003';

function sessionToken(claims: Record<string, unknown> = {}, options: { secret?: string; issuer?: string; audience?: string } = {}) {
  return new SignJWT({ uid: userId, sid: sessionId, role: 'OWNER', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : organizationId)
    .setIssuer(options.issuer ?? 'polaris')
    .setAudience(options.audience ?? 'polaris-session')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(options.secret ?? sessionSecret));
}

function sessions(answer: Partial<ValidateSessionResponse> = {}) {
  const asked: string[] = [];
  const validateSession = async (id: string): Promise<ValidateSessionResponse> => {
    asked.push(id);
    return { active: true, userId, organizationId, role: Role.ROLE_VIEWER, limits: undefined, ...answer };
  };
  return { asked, validateSession };
}

describe('GatewayAuth with sessions', () => {
  it("accepts a session's access token with the role Identity answers now, not the token's", async () => {
    const { asked, validateSession } = sessions();
    const caller = await auth({ sessionSecret, jwtSecret, validateSession }).authenticate(bearer(await sessionToken()));
    expect(caller).toMatchObject({ kind: 'tenant', via: 'session', organizationId, userId, sessionId, role: 'VIEWER', actor: `user:${userId}` });
    expect(caller?.kind === 'tenant' && [...caller.permissions]).toEqual(['read']);
    expect(asked).toEqual([sessionId]);
  });

  it.each([
    ['an ended session', { active: false }],
    ['a session of another user', { userId: '0190a5c3-7d1e-7a4b-9c2d-00000000000f' }],
    ['a session moved to another organization', { organizationId: otherOrganizationId }],
    ['a member no longer', { role: Role.ROLE_UNSPECIFIED }],
  ])('refuses the token of %s', async (_what, answer) => {
    const gateway = auth({ sessionSecret, validateSession: sessions(answer).validateSession });
    await expect(gateway.authenticate(bearer(await sessionToken()))).rejects.toMatchObject({ kind: ErrorKind.Unauthenticated });
  });

  it('asks Identity again, past its cached answer, for a token of another organization: the session may have switched a moment ago', async () => {
    let current = organizationId;
    const asked: boolean[] = [];
    const cached = new Map<string, ValidateSessionResponse>();
    // A cache as the gateway keeps one: the organization switches while its answer is cached.
    const validateSession = async (id: string, { fresh = false }: { fresh?: boolean } = {}) => {
      asked.push(fresh);
      if (fresh || !cached.has(id)) cached.set(id, { active: true, userId, organizationId: current, role: Role.ROLE_VIEWER, limits: undefined });
      return cached.get(id)!;
    };
    const gateway = auth({ sessionSecret, validateSession });
    await gateway.authenticate(bearer(await sessionToken()));
    current = otherOrganizationId;
    const switched = await gateway.authenticate(bearer(await sessionToken({ sub: otherOrganizationId })));
    expect(switched).toMatchObject({ organizationId: otherOrganizationId });
    expect(asked).toEqual([false, false, true]);
    // The token made before the switch is refused, whatever Identity is asked.
    await expect(gateway.authenticate(bearer(await sessionToken()))).rejects.toMatchObject({ code: 'session_moved' });
  });

  it('treats a session Identity does not know as ended', async () => {
    const validateSession = async () => {
      throw new NotFoundError('session_not_found', 'no such session');
    };
    await expect(auth({ sessionSecret, validateSession }).authenticate(bearer(await sessionToken()))).rejects.toMatchObject({ kind: ErrorKind.Unauthenticated });
  });

  it('tells sessions and outside JWTs apart by audience and by the secret that must verify them, with both secrets set', async () => {
    const { asked, validateSession } = sessions();
    const gateway = auth({ sessionSecret, jwtSecret, validateSession });
    // An outside JWT claiming to be a session's: only the session secret may sign those.
    await expect(gateway.authenticate(bearer(await sessionToken({}, { secret: jwtSecret })))).rejects.toMatchObject({ code: 'invalid_token' });
    // A session's token with another issuer, and one for another audience (then an outside JWT, which the session secret did not sign).
    await expect(gateway.authenticate(bearer(await sessionToken({}, { issuer: 'elsewhere' })))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(gateway.authenticate(bearer(await sessionToken({}, { audience: 'other' })))).rejects.toMatchObject({ code: 'invalid_token' });
    expect(asked).toEqual([]);
    // An outside JWT as before: read, ingest and manage.
    const outside = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(organizationId).sign(new TextEncoder().encode(jwtSecret));
    const caller = await gateway.authenticate(bearer(outside));
    expect(caller).toMatchObject({ kind: 'tenant', via: 'token', organizationId });
    expect(caller?.kind === 'tenant' && [...caller.permissions]).toEqual(['read', 'ingest', 'manage']);
  });

  it('accepts no session without the session secret', async () => {
    const gateway = auth({ jwtSecret, validateSession: sessions().validateSession });
    await expect(gateway.authenticate(bearer(await sessionToken({}, { secret: jwtSecret })))).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it.each([
    ['without a session id', { sid: undefined }],
    ['whose session id is no id', { sid: 'x' }],
    ['without a user id', { uid: undefined }],
  ])('refuses a token %s', async (_what, claims) => {
    const gateway = auth({ sessionSecret, validateSession: sessions().validateSession });
    await expect(gateway.authenticate(bearer(await sessionToken(claims)))).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

describe('GatewayAuth with API keys', () => {
  const keyId = '0190a5c3-7d1e-7a4b-9c2d-00000000000a';
  const keys = (answer: object) => ({ authenticate: async () => ({ organizationId, keyId, ...answer }) }) as unknown as ApiKeyAuthenticator;

  it("gives a key its scopes' permissions", async () => {
    const scoped = await auth({ apiKeys: keys({ scopes: ['READ', 'MANAGE'], service: false }) }).authenticate({ 'x-api-key': 'pol_x' });
    expect(scoped).toMatchObject({ kind: 'tenant', via: 'key', organizationId, keyId, scopes: ['READ', 'MANAGE'], actor: `key:${keyId}` });
    expect(scoped?.kind === 'tenant' && [...scoped.permissions]).toEqual(['read', 'manage']);
  });

  it('knows a service key, which acts for no organization', async () => {
    const caller = await auth({ apiKeys: keys({ organizationId: '', scopes: ['INGEST_ANY'], service: true }) }).authenticate({ 'x-api-key': 'pol_x' });
    expect(caller).toEqual({ kind: 'service', keyId, actor: `key:${keyId}` });
  });
});
