import { describe, expect, it, vi } from 'vitest';
import { cookieValue, FlowCookie, flowCookieName } from './flow-cookie.js';

const secret = 'test-session-secret-0123456789abcdef';
const flow = { state: 'state-1', codeVerifier: 'verifier-1', nonce: 'nonce-1', organizationId: '0b9f3c1e-7a52-4c1e-9d51-2f7c0a4b6e10' };

/** The Cookie header a browser sends back for a Set-Cookie value. */
const sentBack = (setCookie: string) => setCookie.split(';')[0]!;

describe('FlowCookie', () => {
  it('carries a sign-in’s state to the callback, encrypted, HttpOnly, Lax, on /auth/oidc for ten minutes', async () => {
    const cookie = new FlowCookie(secret, false);
    const setCookie = await cookie.seal(flow);
    expect(setCookie).toMatch(new RegExp(`^${flowCookieName}=[\\w-]+\\.\\.[\\w-]+\\.[\\w-]+\\.[\\w-]+; Path=/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax$`));
    // Nothing of the flow can be read from the cookie.
    for (const value of Object.values(flow)) expect(setCookie).not.toContain(value);
    expect(await cookie.open(`other=1; ${sentBack(setCookie)}`)).toEqual(flow);
    // Another instance with the same secret opens it (no server-side state).
    expect(await new FlowCookie(secret, false).open(sentBack(setCookie))).toEqual(flow);
  });

  it('is Secure when the callback is https, and cleared with Max-Age=0', async () => {
    const cookie = new FlowCookie(secret, true);
    expect(await cookie.seal(flow)).toMatch(/; Secure$/);
    expect(cookie.clear()).toBe(`${flowCookieName}=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax; Secure`);
  });

  it('opens nothing that is missing, altered, expired or made with another secret', async () => {
    const cookie = new FlowCookie(secret, false);
    const token = sentBack(await cookie.seal({ state: 's', codeVerifier: 'v', nonce: 'n' })).slice(flowCookieName.length + 1);
    expect(await cookie.open(undefined)).toBeUndefined();
    expect(await cookie.open('')).toBeUndefined();
    const parts = token.split('.');
    const ciphertext = parts[3]!;
    parts[3] = `${ciphertext[0] === 'A' ? 'B' : 'A'}${ciphertext.slice(1)}`;
    expect(await cookie.open(`${flowCookieName}=${parts.join('.')}`)).toBeUndefined();
    expect(await cookie.open(`${flowCookieName}=not-a-token`)).toBeUndefined();
    expect(await new FlowCookie('another-session-secret-0123456789abcd', false).open(`${flowCookieName}=${token}`)).toBeUndefined();

    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 601_000);
      expect(await cookie.open(`${flowCookieName}=${token}`)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads one cookie of a Cookie header by its exact name', () => {
    expect(cookieValue('a=1; polaris_oidc_x=2; polaris_oidc=3', 'polaris_oidc')).toBe('3');
    expect(cookieValue('a=1', 'polaris_oidc')).toBeUndefined();
    expect(cookieValue(undefined, 'polaris_oidc')).toBeUndefined();
  });
});
