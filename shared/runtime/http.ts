/**
 * The Fastify app every HTTP and CloudEvent function is mounted on: one error
 * encoding, health and metrics routes, request metrics.
 */
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import { httpStatusByKind, RateLimitedError, toPublicError, ValidationError, type FieldProblem } from '../errors.js';
import { rateLimitHeaders } from '../rate-limits/headers.js';
import type { Logger } from '../logger.js';
import { opsPaths, opsResponse, type OpsOptions } from './ops.js';

/** Bodies larger than this are refused with 413 before they are parsed. */
export const maxBodyBytes = 1024 * 1024;

/**
 * How much of a body that is refused unread (413, 415) is read and dropped
 * before the answer goes out. A client still sending its body reads no answer
 * until the body is out: closing the connection under it fails the request
 * (Node's fetch: EPIPE, "other side closed") instead of showing the status.
 * A larger body, or one slower than this, gets the answer at once and the
 * connection closed, as before.
 */
export const refusedBodyDrain = {
  /** Bytes read at most: 8 MiB. */
  maxBytes: 8 * 1024 * 1024,
  /** Milliseconds waited at most. */
  timeoutMs: 5_000,
} as const;

export interface HttpAppOptions extends OpsOptions {
  logger: Logger;
  /** Whether any route mounted on the app declares a JSON schema (see `FunctionEntry.routeSchemas`). */
  routeSchemas?: boolean;
}

/**
 * Compilers for an app none of whose routes declares a schema. Fastify loads
 * its own (Ajv, fast-json-stringify and theirs) when an app is made, and
 * their module code ran at every cold start of functions that never use them:
 * about 8 ms of each such function's start (scripts/bench/LOG.md).
 * A route given a schema anyway stops the start with this error.
 */
const noSchemaCompilers = {
  buildValidator(): never {
    throw new Error('a route declares a JSON schema, but its function is not marked `routeSchemas` in functions/registry.ts');
  },
  buildSerializer(): never {
    throw new Error('a route declares a response schema, but its function is not marked `routeSchemas` in functions/registry.ts');
  },
};

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; fields?: readonly FieldProblem[] };
}

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps Fastify's default generics.
    loggerInstance: options.logger as FastifyBaseLogger,
    // One line per request would dominate the logs of a hot ingest path; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodyBytes,
    // Report every schema problem, not only the first. The route schemas are
    // written here and tested, so Ajv does not check them against its
    // meta-schema at start (compiling that costs some 30 ms of a cold start).
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, validateSchema: false } },
    return503OnClosing: true,
    ...(options.routeSchemas ? {} : { schemaController: { compilersFactory: noSchemaCompilers } }),
  });

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [options.metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route.startsWith('/health') || route === '/metrics') return;
    duration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });

  // Every error answer, the routes of Mercurius included, waits for the rest of an unread body.
  app.addHook('onError', async (request) => discardUnreadBody(request.raw));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = errorResponse(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    if (status === 503) reply.header('retry-after', '1');
    if (err instanceof RateLimitedError) reply.headers(rateLimitHeaders(err));
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'route_not_found', message: `no route ${request.method} ${request.url}` } }),
  );

  app.register(async (ops) => {
    for (const path of opsPaths) {
      ops.get(path, { logLevel: 'silent' }, async (_request, reply) => {
        const { status, contentType, body } = (await opsResponse(path, options))!;
        return reply.code(status).type(contentType).send(body);
      });
    }
  });
  return app;
}

/** Reads and drops what is left of a request's body, within {@link refusedBodyDrain}. */
function discardUnreadBody(request: IncomingMessage): Promise<void> {
  if (request.complete || Number(request.headers['content-length']) > refusedBodyDrain.maxBytes) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const done = () => {
      clearTimeout(timer);
      request.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > refusedBodyDrain.maxBytes) done();
    };
    const timer = setTimeout(done, refusedBodyDrain.timeoutMs);
    request.on('data', onData).once('end', done).once('close', done).once('error', done);
    request.resume();
  });
}

/** Fastify's own client errors (schema, size, media type) by their error code. */
const fastifyClientErrors: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: `body is larger than ${maxBodyBytes} bytes` },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'unsupported Content-Type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_body', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_body', message: 'body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_body', message: 'body is not valid JSON' },
};

/** The status and JSON body for any error: client mistakes named, the rest generic. */
export function errorResponse(err: FastifyError | Error): { status: number; body: ErrorBody } {
  const fastifyError = err as FastifyError;
  if (fastifyError.validation) {
    return errorResponse(new ValidationError(schemaProblems(fastifyError)));
  }
  const known = fastifyError.code ? fastifyClientErrors[fastifyError.code] : undefined;
  if (known) return { status: known.status, body: { error: { code: known.code, message: known.message } } };
  if (err instanceof SyntaxError || (fastifyError.statusCode === 400 && fastifyError.code?.startsWith('FST_'))) {
    return { status: 400, body: { error: { code: 'invalid_body', message: 'body is not valid JSON' } } };
  }
  const error = toPublicError(err);
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error instanceof ValidationError) body.error.fields = error.problems;
  return { status: httpStatusByKind[error.kind], body };
}

/** Turns Ajv's errors into field problems named by their JSON path (`metric`, `[3].quantity`). */
function schemaProblems(err: FastifyError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of err.validation ?? []) {
    const params = issue.params as Record<string, unknown>;
    const path = issue.instancePath
      .split('/')
      .filter(Boolean)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('')
      .replace(/^\./, '');
    const missing = typeof params.missingProperty === 'string' ? params.missingProperty : undefined;
    const extra = typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
    const field = [path, missing ?? extra].filter(Boolean).join('.') || 'body';
    const message = missing ? 'is required' : extra ? 'is not a known field' : (issue.message ?? 'is invalid');
    if (!problems.some((p) => p.field === field && p.message === message)) problems.push({ field, message });
  }
  return problems;
}
