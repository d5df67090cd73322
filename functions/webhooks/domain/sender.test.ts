/**
 * The webhook sender on its own: every blocked range, addresses that embed
 * IPv4 ones, names that resolve inside the network, redirects, timeouts and
 * excerpts, against real HTTP servers on this machine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedRangeOf, embeddedIpv4 } from './address-guard.js';
import { AttemptError, responseExcerptBytes, sendWebhook, type ResolveAll, type SenderOptions } from './sender.js';

describe('blockedRangeOf', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'protocol assignments'],
    ['192.168.1.1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b:1::1', 'private'],
    ['not an address', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(blockedRangeOf(address)).toBe(range);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['0:0:0:0:0:ffff:192.168.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe:1::1', 'link-local'],
  ])('refuses %s, which embeds an IPv4 address (%s)', (address, range) => {
    expect(blockedRangeOf(address)).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '172.15.255.255', '100.128.0.1', '100.63.255.255', '192.0.2.1', '11.0.0.1', '223.255.255.255', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'lets %s through',
    (address) => {
      expect(blockedRangeOf(address)).toBeUndefined();
    },
  );

  it('reads the IPv4 address an IPv6 address embeds, in any notation', () => {
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('0000:0000:0000:0000:0000:FFFF:0A00:0001')).toBe('10.0.0.1');
    expect(embeddedIpv4('64:ff9b::c0a8:101')).toBe('192.168.1.1');
    expect(embeddedIpv4('::1')).toBeUndefined();
    expect(embeddedIpv4('2606:4700::1')).toBeUndefined();
  });
});

/** A server on 127.0.0.1 that answers as `handle` says and counts its requests. */
async function receiver(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; port: number; requests: IncomingMessage[]; server: Server }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    request.resume();
    request.on('end', () => handle(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hooks`, port, requests, server };
}

const servers: Server[] = [];
const open = async (handle: (request: IncomingMessage, response: ServerResponse) => void) => {
  const made = await receiver(handle);
  servers.push(made.server);
  return made;
};

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const guarded: SenderOptions = { timeoutMs: 2_000, allowPrivate: false };
const unguarded: SenderOptions = { timeoutMs: 2_000, allowPrivate: true };
const send = (url: string, options: SenderOptions) => sendWebhook(url, { 'content-type': 'application/json' }, '{"hello":"world"}', options);
/** A resolver that answers `addresses` for every name and counts its calls. */
const resolving = (...addresses: string[]): ResolveAll & { calls: string[] } => {
  const calls: string[] = [];
  return Object.assign(async (hostname: string) => {
    calls.push(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }, { calls });
};

describe('sendWebhook', () => {
  let ok: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    ok = await open((_request, response) => response.writeHead(204).end());
  });

  it('posts the body and headers and answers a 2xx as delivered', async () => {
    const bodies: string[] = [];
    const echo = await open((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks'));
    echo.server.prependListener('request', (request: IncomingMessage) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk));
      request.on('end', () => bodies.push(body));
    });
    const result = await sendWebhook(echo.url, { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, '{"a":1}', unguarded);
    expect(result).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: 'thanks' });
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(bodies).toEqual(['{"a":1}']);
    expect(echo.requests[0]!.headers).toMatchObject({ 'webhook-id': 'msg_1', 'content-length': '7', 'content-type': 'application/json' });
    expect(echo.requests[0]!.method).toBe('POST');
  });

  it.each([
    ['the loopback address', (port: number) => `http://127.0.0.1:${port}/hooks`],
    ['IPv6 loopback', (port: number) => `http://[::1]:${port}/hooks`],
    ['IPv4-mapped loopback', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hooks`],
    ['loopback in decimal', (port: number) => `http://2130706433:${port}/hooks`],
    ['loopback in hex', (port: number) => `http://0x7f.0.0.1:${port}/hooks`],
    ['a private address', () => 'http://10.0.0.1/hooks'],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
    ['the unspecified address', (port: number) => `http://0.0.0.0:${port}/hooks`],
    ['localhost, which resolves to loopback', (port: number) => `http://localhost:${port}/hooks`],
  ])('refuses %s before connecting', async (_what, url) => {
    const before = ok.requests.length;
    const result = await send(url(ok.port), guarded);
    expect(result).toMatchObject({ ok: false, error: AttemptError.SsrfBlocked, responseExcerpt: '' });
    expect(result.statusCode).toBeUndefined();
    expect(ok.requests.length).toBe(before);
  });

  it('refuses a name that resolves to a private address, or to any internal one among public ones', async () => {
    expect(await send('https://hooks.example.com/in', { ...guarded, resolve: resolving('10.1.2.3') })).toMatchObject({ error: AttemptError.SsrfBlocked });
    expect(await send('https://hooks.example.com/in', { ...guarded, resolve: resolving('93.184.216.34', '169.254.169.254') })).toMatchObject({ error: AttemptError.SsrfBlocked });
    expect(await send('https://hooks.example.com/in', { ...guarded, resolve: resolving('::ffff:127.0.0.1') })).toMatchObject({ error: AttemptError.SsrfBlocked });
    expect(await send('https://hooks.example.com/in', { ...guarded, resolve: resolving('fd00::1') })).toMatchObject({ error: AttemptError.SsrfBlocked });
  });

  it('resolves the name once and connects to the address it checked, keeping the name for Host', async () => {
    const resolve = resolving('127.0.0.1');
    const before = ok.requests.length;
    const result = await send(`http://receiver.polaris.test:${ok.port}/hooks`, { ...unguarded, resolve });
    expect(result).toMatchObject({ ok: true, statusCode: 204 });
    expect(resolve.calls).toEqual(['receiver.polaris.test']);
    expect(ok.requests.length).toBe(before + 1);
    expect(ok.requests.at(-1)!.headers.host).toBe(`receiver.polaris.test:${ok.port}`);
  });

  it('does not follow a redirect: a 3xx is a failed attempt, and its target gets nothing', async () => {
    const target = await open((_request, response) => response.writeHead(200).end());
    const redirecting = await open((_request, response) => response.writeHead(302, { location: target.url }).end('moved'));
    const result = await send(redirecting.url, unguarded);
    expect(result).toMatchObject({ ok: false, statusCode: 302, error: AttemptError.RedirectNotFollowed, responseExcerpt: 'moved' });
    expect(target.requests).toHaveLength(0);
    const toMetadata = await open((_request, response) => response.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    expect(await send(toMetadata.url, unguarded)).toMatchObject({ ok: false, statusCode: 307, error: AttemptError.RedirectNotFollowed });
  });

  it('answers a non-2xx with its status and the start of its body', async () => {
    const failing = await open((_request, response) => response.writeHead(500).end('{"error":"boom"}'));
    expect(await send(failing.url, unguarded)).toMatchObject({ ok: false, statusCode: 500, error: AttemptError.HttpStatus, responseExcerpt: '{"error":"boom"}' });
  });

  it(`keeps at most ${responseExcerptBytes} bytes of a large answer, as valid text`, async () => {
    // 'é' is two bytes: 256 bytes end in the middle of one.
    const large = await open((_request, response) => response.writeHead(200).end(`x${'é'.repeat(500_000)}`));
    const result = await send(large.url, unguarded);
    expect(result.ok).toBe(true);
    expect(Buffer.byteLength(result.responseExcerpt)).toBeLessThanOrEqual(responseExcerptBytes + 2);
    expect(result.responseExcerpt.startsWith(`x${'é'.repeat(127)}`)).toBe(true);
    expect(result.responseExcerpt.isWellFormed()).toBe(true);
    const nul = await open((_request, response) => response.writeHead(400).end('a\u0000b'));
    expect((await send(nul.url, unguarded)).responseExcerpt).toBe('ab');
  });

  it('times out a receiver that does not answer, or answers too slowly', async () => {
    const silent = await open(() => undefined);
    const started = Date.now();
    const result = await send(silent.url, { ...unguarded, timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, error: AttemptError.Timeout });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.latencyMs).toBeGreaterThanOrEqual(250);
    const trickle = await open((_request, response) => {
      response.writeHead(200);
      response.write('a');
    });
    expect(await send(trickle.url, { ...unguarded, timeoutMs: 300 })).toMatchObject({ ok: false, error: AttemptError.Timeout });
  });

  it('times out a name that takes too long to resolve', async () => {
    const never: ResolveAll = () => new Promise(() => undefined);
    expect(await send('https://slow.example.com/', { ...guarded, timeoutMs: 200, resolve: never })).toMatchObject({ ok: false, error: AttemptError.Timeout });
  });

  it('names a refused connection and a name that does not resolve', async () => {
    const closed = await open(() => undefined);
    const port = closed.port;
    closed.server.close();
    expect(await send(`http://127.0.0.1:${port}/`, unguarded)).toMatchObject({ ok: false, error: AttemptError.Refused });
    const failing: ResolveAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await send('https://nowhere.invalid/', { ...guarded, resolve: failing })).toMatchObject({ ok: false, error: AttemptError.DnsFailed });
    expect(await send('https://empty.example.com/', { ...guarded, resolve: resolving() })).toMatchObject({ ok: false, error: AttemptError.DnsFailed });
  });
});
