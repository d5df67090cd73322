/**
 * The HTTP side of the runtime with fixture functions: CloudEvents in binary
 * and structured mode, coded errors, health and metrics.
 */
import type { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { NotFoundError, Problems } from '../errors.js';
import { createServiceContexts } from './contexts.js';
import { defineEventFunction, defineHttpFunction, defineServiceContext, type FunctionEntry } from './function.js';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { createRuntime } from './runtime.js';

const received: CloudEvent<unknown>[] = [];
const fixtureContext = defineServiceContext({ service: 'usage', create: () => ({ received }) });
const recorder = defineEventFunction({
  context: fixtureContext,
  async handle(event, context) {
    if ((event.data as { fail?: boolean } | undefined)?.fail) throw new NotFoundError('thing_not_found', 'no such thing');
    context.received.push(event);
  },
});
const echo = defineHttpFunction({
  context: fixtureContext,
  routes(app) {
    app.post('/echo', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } } }, async (request) => request.body);
    app.get('/boom', async () => {
      throw Object.assign(new Error('relation "secret_table" does not exist'), { code: '42P01' });
    });
    app.get('/many-problems', async () => {
      const problems = new Problems();
      problems.add('metric', 'is required');
      problems.add('quantity', 'must be ≥ 0');
      problems.throwIfAny();
    });
  },
});

const entries = {
  recorder: { name: 'recorder', service: 'usage', kind: 'event', module: 'fixture', subscribes: ['dev.polaris.test.happened'] },
  echo: { name: 'echo', service: 'usage', kind: 'http', module: 'fixture', routeSchemas: true },
} satisfies Record<string, FunctionEntry>;

let server: RunningHttpServer;
let base: string;
const silentRuntime = () => createRuntime(loadRuntimeConfig({ LOG_LEVEL: 'silent' }), { logger: createLogger({ service: 't', revision: 't', level: 'silent' }) });

beforeAll(async () => {
  const runtime = silentRuntime();
  const contexts = await createServiceContexts([recorder, echo], runtime);
  server = await startHttpServer({
    runtime,
    contexts,
    functions: [
      { entry: entries.recorder, fn: recorder },
      { entry: entries.echo, fn: echo },
    ],
    host: '127.0.0.1',
    port: 0,
    readiness: () => contexts.ready(),
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server?.close(1000));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json();
const post = (path: string, headers: Record<string, string>, body: string) => fetch(`${base}${path}`, { method: 'POST', headers, body });

describe('CloudEvent functions', () => {
  it('receive binary mode (ce-* headers)', async () => {
    const response = await post(
      '/',
      { 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/test', 'ce-type': 'dev.polaris.test.happened', 'content-type': 'application/json' },
      JSON.stringify({ n: 1 }),
    );
    expect(response.status).toBe(202);
    expect(received.at(-1)).toMatchObject({ id: 'b-1', type: 'dev.polaris.test.happened', data: { n: 1 } });
  });

  it('receive structured mode (application/cloudevents+json)', async () => {
    const event = { specversion: '1.0', id: 's-1', source: '/test', type: 'dev.polaris.test.happened', data: { n: 2 } };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect(response.status).toBe(202);
    expect(received.at(-1)).toMatchObject({ id: 's-1', data: { n: 2 } });
  });

  it('refuse an event without its required attributes, naming the problem', async () => {
    const response = await post('/', { 'ce-specversion': '1.0', 'ce-type': 'dev.polaris.test.happened', 'content-type': 'application/json' }, '{}');
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('invalid_argument');
  });

  it('refuse a type the function does not handle', async () => {
    const event = { specversion: '1.0', id: 'x', source: '/test', type: 'dev.polaris.other' };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('unsupported_event_type');
  });

  it("answer the handler's own error with its status and code", async () => {
    const event = { specversion: '1.0', id: 'f-1', source: '/test', type: 'dev.polaris.test.happened', data: { fail: true } };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect(response.status).toBe(404);
    expect((await json(response)).error).toEqual({ code: 'thing_not_found', message: 'no such thing' });
  });
});

describe('HTTP functions', () => {
  it('validate bodies with JSON schema, naming the field', async () => {
    const response = await post('/echo', { 'content-type': 'application/json' }, '{}');
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      error: { code: 'invalid_argument', message: 'name: is required', fields: [{ field: 'name', message: 'is required' }] },
    });
  });

  it('report every problem at once', async () => {
    const body = await json(await fetch(`${base}/many-problems`));
    expect(body.error.fields).toHaveLength(2);
  });

  it('answer malformed JSON with 400 and unknown content types with 415', async () => {
    expect((await post('/echo', { 'content-type': 'application/json' }, '{"name":')).status).toBe(400);
    expect((await post('/echo', { 'content-type': 'text/csv' }, 'name\nx')).status).toBe(415);
  });

  it('never show SQL or stack traces in an internal error', async () => {
    const response = await fetch(`${base}/boom`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(text).not.toContain('secret_table');
  });

  it('answer health and metrics', async () => {
    expect((await fetch(`${base}/health/liveness`)).status).toBe(200);
    expect((await fetch(`${base}/health/readiness`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('http_request_duration_seconds');
  });
});

describe('route schemas', () => {
  it('stop the start of a function not marked routeSchemas, whose app has no schema compilers', async () => {
    const runtime = silentRuntime();
    const contexts = await createServiceContexts([echo], runtime);
    const { routeSchemas: _, ...unmarked } = entries.echo;
    const starting = startHttpServer({ runtime, contexts, functions: [{ entry: unmarked, fn: echo }], host: '127.0.0.1', port: 0, readiness: () => contexts.ready() });
    await expect(starting).rejects.toThrow(
      /declares a JSON schema, but its function is not marked `routeSchemas` in functions\/registry\.ts/,
    );
    await runtime.close();
  });
});
