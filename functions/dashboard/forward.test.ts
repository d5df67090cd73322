/** The headers the dashboard passes on, each way, when it forwards a route (test/dashboard-forwarding.test.ts runs the routes). */
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../shared/client-address.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forward.js';

describe('upstreamRequestHeaders', () => {
  it('passes the credentials, content headers and cookies on, and nothing of the connection', () => {
    const headers = upstreamRequestHeaders(
      {
        host: 'dashboard.polaris.example',
        authorization: 'Bearer token',
        'x-api-key': 'pol_key',
        'content-type': 'application/json',
        'content-length': '42',
        accept: 'application/json',
        cookie: 'polaris_oidc=sealed; other=1',
        connection: 'keep-alive, X-Custom',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic eDp5',
        'x-custom': 'named by Connection',
        'accept-encoding': 'gzip, br',
        origin: 'https://dashboard.polaris.example',
      },
      '10.0.0.9',
    );
    expect(Object.fromEntries(headers)).toEqual({
      authorization: 'Bearer token',
      'x-api-key': 'pol_key',
      'content-type': 'application/json',
      'content-length': '42',
      accept: 'application/json',
      cookie: 'polaris_oidc=sealed; other=1',
      // The body comes back as the function wrote it.
      'accept-encoding': 'identity',
      'x-forwarded-for': '10.0.0.9',
    });
  });

  it("drops a credential the client's Connection header names as its own hop's", () => {
    expect(upstreamRequestHeaders({ 'x-api-key': 'pol_key', authorization: 'Bearer t', connection: 'X-Api-Key' }, undefined).has('x-api-key')).toBe(false);
  });

  it('appends the peer to X-Forwarded-For, so the gateway steps over the dashboard to the client', () => {
    // In the cluster: the client, Kourier's Envoy (which appended the client), the queue-proxy in front of the dashboard (the peer).
    const forwarded = upstreamRequestHeaders({ 'x-forwarded-for': '203.0.113.7, 10.244.0.12' }, '127.0.0.1').get('x-forwarded-for');
    expect(forwarded).toBe('203.0.113.7, 10.244.0.12, 127.0.0.1');
    // The gateway's own queue-proxy is its peer; the dashboard's pod address is appended by it.
    expect(clientAddress('127.0.0.1', `${forwarded}, 10.244.0.30`)).toBe('203.0.113.7');
    // A client's own X-Forwarded-For does not make it someone else: the first public hop from the right wins.
    expect(clientAddress('127.0.0.1', upstreamRequestHeaders({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7' }, '10.0.0.9').get('x-forwarded-for')!)).toBe('203.0.113.7');
  });
});

describe('downstreamResponseHeaders', () => {
  it("passes the answer's headers back but the hop-by-hop ones, each cookie on its own", () => {
    const answer = new Headers([
      ['content-type', 'application/pdf'],
      ['content-length', '1234'],
      ['content-disposition', 'inline; filename="INV-000001.pdf"'],
      ['location', 'https://provider.example/authorize'],
      ['set-cookie', 'polaris_oidc=sealed; Path=/auth/oidc; HttpOnly'],
      ['set-cookie', 'other=1'],
      ['connection', 'keep-alive, x-upstream-hop'],
      ['keep-alive', 'timeout=72'],
      ['transfer-encoding', 'chunked'],
      ['x-upstream-hop', '1'],
    ]);
    expect(downstreamResponseHeaders(answer)).toEqual({
      'content-type': 'application/pdf',
      'content-length': '1234',
      'content-disposition': 'inline; filename="INV-000001.pdf"',
      location: 'https://provider.example/authorize',
      'set-cookie': ['polaris_oidc=sealed; Path=/auth/oidc; HttpOnly', 'other=1'],
    });
  });

  it('leaves out the encoding and length of a body fetch has decoded', () => {
    expect(downstreamResponseHeaders(new Headers({ 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '10' }))).toEqual({ 'content-type': 'application/json' });
  });
});
