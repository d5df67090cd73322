/**
 * The server of an event function's own bundle: `POST /` as Knative delivers
 * CloudEvents to it, and the ops routes, on node:http. It answers as the
 * host's Fastify route does (shared/runtime/http-server.ts), but an event
 * function needs one route, and loading and booting Fastify, with a bundle
 * and code cache twice the size, was about a fifth of such a function's cold
 * start (scripts/bench/LOG.md), paid again whenever it scales from zero.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { UnavailableError } from '../errors.js';
import { eventDelivery } from './event-delivery.js';
import { bodyTooLargeMessage, discardUnreadBody, maxBodyBytes, publicErrorResponse, requestDurations, type ErrorBody } from './http-answers.js';
import { opsRequestHandler } from './ops.js';
import type { RunningServer, ServerOptions } from './server.js';

/** A client mistake found while reading the body, answered as Fastify answers it. */
class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error.message);
  }
}

/**
 * Fastify's keep-alive timeout, kept: longer than the proxies' in front
 * (Knative's queue-proxy), so they never send on a connection being closed.
 */
const keepAliveMs = 72_000;

const bodyTooLarge = () => new BodyError(413, { error: { code: 'payload_too_large', message: bodyTooLargeMessage } });

export async function startEventServer(options: ServerOptions): Promise<RunningServer> {
  const { runtime, contexts } = options;
  const events = eventDelivery(options.functions, contexts);
  const duration = requestDurations(runtime.metrics);
  const ops = opsRequestHandler({ metrics: runtime.metrics, readiness: options.readiness });
  let closing = false;

  const receive = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    const draining = closing;
    let answer: { status: number; body: unknown };
    try {
      // As Fastify's return503OnClosing: the pod is draining, another one answers the retry.
      if (draining) throw new UnavailableError('shutting down, retry later');
      const accepted = await events.receive(request.headers, await readBody(request), { refuseUnhandled: true });
      answer = { status: 202, body: { accepted } };
    } catch (err) {
      answer = err instanceof BodyError ? err : publicErrorResponse(err);
      if (answer.status >= 500 && !draining) runtime.logger.error({ err }, 'request failed');
      if (answer.status === 503) response.setHeader('retry-after', '1');
      if (!draining) await discardUnreadBody(request);
    }
    // A draining pod, or a body left unread (too large to drain): the connection ends with this answer.
    if (closing || !request.complete) response.setHeader('connection', 'close');
    response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.body));
    duration.observe({ method: 'POST', route: '/', status: answer.status }, (performance.now() - started) / 1000);
  };

  const server = createServer({ keepAliveTimeout: keepAliveMs }, (request, response) => {
    if (request.method === 'POST' && (request.url === '/' || request.url?.startsWith('/?'))) void receive(request, response);
    else ops(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    async close(graceMs) {
      closing = true;
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(timer);
    },
  };
}

/**
 * The body as text, undefined when there is none (as Fastify hands a body to
 * a route), refused over {@link maxBodyBytes} or when it ends short of its
 * Content-Length. The rest of a refused body stays unread, for the answer to
 * drain, not destroyed with the connection.
 */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  if (Number(request.headers['content-length']) > maxBodyBytes) throw bodyTooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > maxBodyBytes) throw bodyTooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    // The client closed the connection before the body's end.
    throw new BodyError(400, { error: { code: 'invalid_body', message: 'Content-Length does not match the body' } });
  }
  return received === 0 ? undefined : Buffer.concat(chunks, received).toString('utf8');
}
