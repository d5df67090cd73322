import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../scripts/local/index.js';
import { startOidcProvider, type OidcTestProvider } from '../../../test/support/oidc-provider.js';
import { OidcFailure, OidcRelyingParty, OidcSignInError } from './relying-party.js';

let provider: OidcTestProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

const settingsFor = (issuer: string) => ({
  issuer,
  clientId: 'polaris-test',
  clientSecret: 'secret',
  redirectUrl: 'http://127.0.0.1:1/auth/oidc/callback',
  scopes: ['openid', 'email'],
  allowHttp: true,
});

describe('OidcRelyingParty', () => {
  it('says provider_unavailable while the provider cannot be reached, and discovers it once it can', async () => {
    const port = await findFreePort();
    const relyingParty = new OidcRelyingParty(settingsFor(`http://127.0.0.1:${port}`), { timeoutMs: 2_000 });
    const failure = await relyingParty.start().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OidcSignInError);
    expect((failure as OidcSignInError).failure).toBe(OidcFailure.ProviderUnavailable);

    provider = await startOidcProvider({ port, redirectUris: ['http://127.0.0.1:1/auth/oidc/callback'] });
    const { url, flow } = await relyingParty.start('0b9f3c1e-7a52-4c1e-9d51-2f7c0a4b6e10');
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('state')).toBe(flow.state);
    expect(url.searchParams.get('scope')).toBe('openid email');
    expect(flow.organizationId).toBe('0b9f3c1e-7a52-4c1e-9d51-2f7c0a4b6e10');
  });

  it('refuses an answer whose state is not the flow’s before asking the provider anything', async () => {
    const relyingParty = new OidcRelyingParty(settingsFor('http://127.0.0.1:1'));
    const flow = { state: 'expected', codeVerifier: 'v', nonce: 'n' };
    for (const query of ['code=abc&state=other', 'code=abc', 'error=access_denied&state=other']) {
      const failure = await relyingParty.finish(flow, new URLSearchParams(query)).catch((err: unknown) => err);
      expect((failure as OidcSignInError).failure, query).toBe(OidcFailure.InvalidState);
    }
    const denied = await relyingParty.finish(flow, new URLSearchParams('error=access_denied&state=expected')).catch((err: unknown) => err);
    expect((denied as OidcSignInError).failure).toBe(OidcFailure.AccessDenied);
    const other = await relyingParty.finish(flow, new URLSearchParams('error=server_error&state=expected')).catch((err: unknown) => err);
    expect((other as OidcSignInError).failure).toBe(OidcFailure.ProviderError);
  });
});
