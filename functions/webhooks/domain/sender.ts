/**
 * One webhook POST, guarded: the receiver's name is resolved once, every
 * address it resolves to is checked (./address-guard.ts), and the
 * connection goes to the address that was checked, through the `lookup`
 * the request is given, so a second resolution cannot lead elsewhere (DNS
 * rebinding). Redirects are not followed: a 3xx is a failed attempt, so a
 * receiver cannot bounce a delivery into the private network. The whole
 * exchange has one deadline, and only the first 256 bytes of the answer are
 * read and kept.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { blockedRangeOf } from './address-guard.js';

/** Why an attempt failed without a 2xx; the attempts log keeps it. */
export const AttemptError = {
  /** No full answer within the timeout. */
  Timeout: 'timeout',
  /** The receiver refused the connection. */
  Refused: 'refused',
  /** The URL leads to a private, loopback, link-local or otherwise internal address. */
  SsrfBlocked: 'ssrf_blocked',
  /** The name does not resolve. */
  DnsFailed: 'dns_failed',
  /** The TLS handshake failed (an untrusted or mismatched certificate). */
  TlsFailed: 'tls_failed',
  /** The connection failed or broke otherwise. */
  ConnectionFailed: 'connection_failed',
  /** The receiver answered 3xx; redirects are not followed. */
  RedirectNotFollowed: 'redirect_not_followed',
  /** The receiver answered, with a status other than 2xx or 3xx. */
  HttpStatus: 'http_status',
  /** Nothing was sent: Polaris could not open the endpoint's secret (POLARIS_WEBHOOK_SECRET_KEY changed); rotating the secret mends it. */
  SigningFailed: 'signing_failed',
} as const;
export type AttemptError = (typeof AttemptError)[keyof typeof AttemptError];

/** What one POST came to. */
export interface SendResult {
  ok: boolean;
  /** The receiver's status, when it answered. */
  statusCode?: number;
  error?: AttemptError;
  /** Milliseconds from the start (name resolution included) to the end of the excerpt. */
  latencyMs: number;
  /** The first bytes of the answer's body (at most {@link responseExcerptBytes}), as text. */
  responseExcerpt: string;
}

/** Resolves a name to every address it has, as `dns.lookup(name, { all: true })`. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export interface SenderOptions {
  /** Milliseconds for the whole exchange. */
  timeoutMs: number;
  /** Send to internal addresses too (local receivers, tests). */
  allowPrivate: boolean;
  /** Name resolution; default the system's (dns.lookup, all addresses). */
  resolve?: ResolveAll;
}

/** Bytes of a receiver's answer kept in the attempts log. */
export const responseExcerptBytes = 256;

const resolveWithSystem: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Connections to receivers are kept open between deliveries, a few per receiver. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/** A POST of `body` to `url` with `headers`, under the options' guard and deadline; never throws. */
export async function sendWebhook(url: string, headers: Record<string, string>, body: string, options: SenderOptions): Promise<SendResult> {
  const started = performance.now();
  const done = (result: Omit<SendResult, 'latencyMs' | 'responseExcerpt'> & { responseExcerpt?: string }): SendResult => ({
    responseExcerpt: '',
    ...result,
    latencyMs: Math.round(performance.now() - started),
  });
  const deadline = AbortSignal.timeout(options.timeoutMs);

  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return done({ ok: false, error: AttemptError.ConnectionFailed });
  }
  const protocol = target.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return done({ ok: false, error: AttemptError.ConnectionFailed });

  const address = await checkedAddress(target.hostname, options, deadline);
  if ('error' in address) return done({ ok: false, error: address.error });

  try {
    const { response, excerpt } = await post(target, protocol, headers, body, address, deadline);
    const statusCode = response.statusCode ?? 0;
    const ok = statusCode >= 200 && statusCode < 300;
    const error = ok ? undefined : statusCode >= 300 && statusCode < 400 ? AttemptError.RedirectNotFollowed : AttemptError.HttpStatus;
    return done({ ok, statusCode, ...(error && { error }), responseExcerpt: excerpt });
  } catch (err) {
    return done({ ok: false, error: deadline.aborted ? AttemptError.Timeout : errorOf(err) });
  }
}

type CheckedAddress = { address: string; family: number } | { error: AttemptError };

/** The address to connect to: the URL's own, or the name's first, once every address the name has passed the guard. */
async function checkedAddress(hostname: string, options: SenderOptions, deadline: AbortSignal): Promise<CheckedAddress> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  if (isIP(literal) !== 0) {
    addresses = [{ address: literal, family: isIP(literal) }];
  } else {
    try {
      addresses = await Promise.race([
        (options.resolve ?? resolveWithSystem)(hostname),
        new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(deadline.reason), { once: true })),
      ]);
    } catch {
      return { error: deadline.aborted ? AttemptError.Timeout : AttemptError.DnsFailed };
    }
    if (addresses.length === 0) return { error: AttemptError.DnsFailed };
  }
  // Every address, not only the first: a name with one public and one internal address is refused.
  if (!options.allowPrivate && addresses.some(({ address }) => blockedRangeOf(address) !== undefined)) return { error: AttemptError.SsrfBlocked };
  return addresses[0]!;
}

function post(
  target: URL,
  protocol: 'http:' | 'https:',
  headers: Record<string, string>,
  body: string,
  pinned: { address: string; family: number },
  deadline: AbortSignal,
): Promise<{ response: IncomingMessage; excerpt: string }> {
  // The connection goes to the checked address whatever the name resolves to now;
  // TLS still checks the certificate against the URL's name.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const payload = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const request = (protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      agent: agents[protocol],
      lookup,
      signal: deadline,
      headers: { ...headers, 'content-length': String(payload.length) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const finish = () => resolve({ response, excerpt: excerptOf(Buffer.concat(chunks)) });
      response.on('data', (chunk: Buffer) => {
        if (kept >= responseExcerptBytes) return;
        chunks.push(chunk.subarray(0, responseExcerptBytes - kept));
        kept += Math.min(chunk.length, responseExcerptBytes - kept);
        // Enough kept: the rest of a large answer is not waited for (its socket is not reused).
        if (kept >= responseExcerptBytes) {
          response.destroy();
          finish();
        }
      });
      response.on('end', finish);
      response.on('error', reject);
    });
    request.end(payload);
  });
}

/** Text PostgreSQL can keep: a cut multi-byte character becomes U+FFFD, and U+0000 goes. */
function excerptOf(bytes: Buffer): string {
  return bytes.toString('utf8').replaceAll('\u0000', '');
}

function errorOf(err: unknown): AttemptError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return AttemptError.ConnectionFailed;
  if (code === 'ECONNREFUSED') return AttemptError.Refused;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return AttemptError.DnsFailed;
  if (code === 'ABORT_ERR' || code === 'ETIMEDOUT') return AttemptError.Timeout;
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_)/.test(code) || code.startsWith('ERR_OSSL')) return AttemptError.TlsFailed;
  return AttemptError.ConnectionFailed;
}
