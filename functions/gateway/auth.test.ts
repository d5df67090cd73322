/**
 * GatewayAuth's JWT settings that the gateway test's host does not use: an
 * organization claim other than `sub`, and an identity provider whose keys
 * cannot be fetched.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
