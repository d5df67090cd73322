/**
 * An identity provider for the tests: its signing keys (RS256 and ES256)
 * published as a JWKS over HTTP, as Auth0, Okta or Keycloak publish theirs,
 * and tokens it signs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface IdentityProvider {
  /** The JWKS URL, for POLARIS_JWT_JWKS_URL. */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A token signed with one of the published keys (RS256 unless asked), from this issuer for this audience unless overridden. */
  sign(claims: JWTPayload, options?: { alg?: 'RS256' | 'ES256'; expiresIn?: string; unpublishedKey?: boolean }): Promise<string>;
  /** Requests the JWKS URL answered. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  // Same kid as the published RSA key, another key: a forgery that names a real key.
  const impostor = await generateKeyPair('RS256');
  const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] };
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/`;
  const audience = 'polaris';
  return {
    jwksUrl: `${origin}/.well-known/jwks.json`,
    issuer,
    audience,
    sign(claims, options = {}) {
      const alg = options.alg ?? 'RS256';
      const [key, kid]: [CryptoKey, string] = options.unpublishedKey ? [impostor.privateKey, 'rsa-1'] : alg === 'ES256' ? [ec.privateKey, 'ec-1'] : [rsa.privateKey, 'rsa-1'];
      let token = new SignJWT({ iss: issuer, aud: audience, ...claims }).setProtectedHeader({ alg, kid }).setIssuedAt();
      if (options.expiresIn) token = token.setExpirationTime(options.expiresIn);
      return token.sign(key);
    },
    get requests() {
      return requests;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
