/**
 * The Fastify app HTTP functions (and, in the host, CloudEvent functions) are
 * mounted on: one error encoding, health and metrics routes, request metrics.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { RateLimitedError, ValidationError, type FieldProblem } from '../errors.js';
import { rateLimitHeaders } from '../rate-limits/headers.js';
import type { Logger } from '../logger.js';
import { bodyTooLargeMessage, discardUnreadBody, maxBodyBytes, publicErrorResponse, requestDurations, type ErrorBody } from './http-answers.js';
import { opsPaths, opsResponse, type OpsOptions } from './ops.js';

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

  const duration = requestDurations(options.metrics);
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

/** Fastify's own client errors (schema, size, media type) by their error code. */
const fastifyClientErrors: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: bodyTooLargeMessage },
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
  return publicErrorResponse(err);
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
