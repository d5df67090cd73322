/**
 * The routes the dashboard's page calls on its own origin that other
 * functions serve. `npm start` hosts them all on one port; in the cluster
 * each function is a Service of its own and the page's Content-Security-Policy
 * (`connect-src 'self'`) lets it call no other host, so the dashboard
 * forwards them, as a reverse proxy does: the body streamed and capped as the
 * gateway caps its own, the credentials, content headers and cookies passed
 * on, the client's address added to X-Forwarded-For, hop-by-hop headers
 * dropped both ways, and a clear error when the other function cannot be
 * reached.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { errorCodes, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DashboardUpstreams } from '../../shared/config.js';
import { bodyTooLargeMessage, maxBodyBytes, type ErrorBody } from '../../shared/runtime/index.js';

/**
 * Milliseconds the other function has to answer, body included. Generous: in
 * the cluster it may be scaled to zero, and Knative's activator holds the
 * request while a replica starts.
 */
export const forwardTimeoutMs = 30_000;

/** The request headers passed on: what the functions behind the routes read, and nothing else of the client's. */
const passedRequestHeaders = ['accept', 'accept-language', 'authorization', 'content-length', 'content-type', 'cookie', 'user-agent', 'x-api-key'] as const;

/** Headers about one connection (RFC 9110 §7.6.1), never passed to the next; `connection` may name more. */
const hopByHopHeaders = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The headers a `Connection` header names as this hop's own, lower-cased. */
function namedByConnection(connection: string | string[] | null | undefined): Set<string> {
  const value = Array.isArray(connection) ? connection.join(',') : (connection ?? '');
  return new Set(
    value
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * What goes to the other function: the passed headers the client sent
 * (unless its `Connection` named them), identity encoding (so the body comes
 * back as the function wrote it), and X-Forwarded-For with the address the
 * request came from appended, as each proxy before us appended its own, so
 * that shared/client-address.ts, stepping over private hops from the right,
 * finds the client and not the dashboard.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, peerAddress: string | undefined): Headers {
  const connectionOnly = namedByConnection(headers.connection);
  const upstream = new Headers({ 'accept-encoding': 'identity' });
  for (const name of passedRequestHeaders) {
    const value = headers[name];
    if (value !== undefined && !connectionOnly.has(name)) upstream.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const earlierHops = connectionOnly.has('x-forwarded-for') ? undefined : headers['x-forwarded-for'];
  const forwardedFor = [earlierHops, peerAddress].flat().filter((hop) => hop !== undefined && hop.trim() !== '');
  if (forwardedFor.length > 0) upstream.set('x-forwarded-for', forwardedFor.join(', '));
  return upstream;
}

/** What goes back to the browser: the answer's headers but the hop-by-hop ones, every Set-Cookie kept apart. */
export function downstreamResponseHeaders(headers: Headers): Record<string, string | string[]> {
  const connectionOnly = namedByConnection(headers.get('connection'));
  const downstream: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    if (!hopByHopHeaders.has(name) && !connectionOnly.has(name) && name !== 'set-cookie') downstream[name] = value;
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) downstream['set-cookie'] = cookies;
  // fetch decodes a compressed body (not asked for, but possible): what is sent on is the decoded one.
  if (headers.has('content-encoding')) {
    delete downstream['content-encoding'];
    delete downstream['content-length'];
  }
  return downstream;
}

/** How a route's own errors look, so the page reads the dashboard's as it reads the function's. */
interface RouteErrors {
  /** The function behind the route did not answer (502, 504). */
  unreachable(message: string): object;
  /** The body passed the gateway's limit (413). */
  readonly tooLarge: object;
}

const graphqlError = (message: string, code: string) => ({ data: null, errors: [{ message, extensions: { code } }] });

/** GraphQL answers, so the page shows them as it shows the gateway's errors. */
const graphqlErrors: RouteErrors = {
  unreachable: (message) => graphqlError(message, 'UNAVAILABLE'),
  tooLarge: graphqlError(bodyTooLargeMessage, 'BAD_USER_INPUT'),
};
/** Polaris's JSON errors, as the invoice document and sign-in answer theirs. */
const jsonErrors: RouteErrors = {
  unreachable: (message): ErrorBody => ({ error: { code: 'unavailable', message } }),
  tooLarge: { error: { code: 'payload_too_large', message: bodyTooLargeMessage } } satisfies ErrorBody,
};

/** Mounts the forwarded routes whose function has an address in `upstreams`; none when none has. */
export function forwardRoutes(app: FastifyInstance, upstreams: DashboardUpstreams): void {
  const { gateway, invoiceDocument, oidc } = upstreams;
  if (gateway) forwardScope(app, 'POST', ['/graphql'], { upstream: gateway, what: 'the GraphQL gateway', errors: graphqlErrors });
  if (invoiceDocument) forwardScope(app, 'GET', ['/invoices/:file'], { upstream: invoiceDocument, what: 'the invoice document', errors: jsonErrors });
  if (oidc) forwardScope(app, 'GET', ['/auth/oidc', '/auth/oidc/start', '/auth/oidc/callback'], { upstream: oidc, what: 'sign-in through the identity provider', errors: jsonErrors });
}

interface Upstream {
  /** The function's base URL; the request's path and query are appended. */
  upstream: string;
  /** The function, as its errors name it. */
  what: string;
  errors: RouteErrors;
}

function forwardScope(app: FastifyInstance, method: 'GET' | 'POST', paths: readonly string[], upstream: Upstream): void {
  void app.register(async (scope) => {
    // The body is the other function's to parse: it is streamed there as it came.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Runs after the runtime's onError hook has read and dropped what is left of a refused body.
    scope.setErrorHandler((err: FastifyError, _request, reply) => {
      if (err.code !== tooLargeCode) throw err;
      return reply.code(413).send(upstream.errors.tooLarge);
    });
    for (const url of paths) scope.route({ method, url, handler: forwarder(upstream) });
  });
}

const tooLargeCode = 'FST_ERR_CTP_BODY_TOO_LARGE';

/** A route handler that sends the request on to the function and its answer back. */
function forwarder({ upstream, what, errors }: Upstream) {
  const base = upstream.replace(/\/+$/, '');
  const origin = new URL(upstream).origin;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // Refused before anything is sent on.
    if (Number(request.headers['content-length']) > maxBodyBytes) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    const body = request.method === 'POST' ? cappedBody(request.raw) : undefined;
    // The browser gone (its connection closed before the answer was out): the other function's work is stopped too.
    const clientGone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) clientGone.abort();
    });
    let answer: Response;
    try {
      answer = await fetch(`${base}${request.url}`, {
        method: request.method,
        headers: upstreamRequestHeaders(request.headers, request.socket.remoteAddress),
        body: body?.chunks,
        // Node's fetch streams a request body only half-duplex: the answer is read once the body is sent.
        duplex: 'half',
        // A redirect (sign-in's, to the provider and back to the page) is the browser's to follow.
        redirect: 'manual',
        signal: AbortSignal.any([clientGone.signal, AbortSignal.timeout(forwardTimeoutMs)]),
      });
    } catch (err) {
      if (body?.tooLarge()) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
      if (clientGone.signal.aborted) return reply;
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      request.log.warn({ upstream: origin, reason: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err) }, `dashboard: ${what} did not answer`);
      const message = timedOut
        ? `${what} did not answer within ${forwardTimeoutMs / 1000} s; try again shortly`
        : `${what} cannot be reached from the dashboard; try again shortly`;
      return reply.code(timedOut ? 504 : 502).header('cache-control', 'no-store').send(errors.unreachable(message));
    }
    reply.code(answer.status).headers(downstreamResponseHeaders(answer.headers));
    return reply.send(answer.body ? Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream) : undefined);
  };
}

/**
 * The request's body as it arrives, failing once it passes the gateway's
 * limit (which also ends the request sent on, unfinished). The client's
 * stream is left open, so the error answer can read and drop the rest of it
 * first, as every Polaris function does (shared/runtime/http.ts).
 */
function cappedBody(source: IncomingMessage): { chunks: AsyncIterable<Uint8Array>; tooLarge(): boolean } {
  let received = 0;
  return {
    chunks: (async function* () {
      for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > maxBodyBytes) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
        yield chunk;
      }
    })(),
    tooLarge: () => received > maxBodyBytes,
  };
}
