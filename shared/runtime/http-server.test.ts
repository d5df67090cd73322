/**
 * The HTTP side of the runtime with fixture functions: CloudEvents in binary
 * and structured mode on both servers that receive them (the Fastify app and
 * an event bundle's own), coded errors, health and metrics.
 */
import type { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { NotFoundError, Problems } from '../errors.js';
import { createServiceContexts } from './contexts.js';
import { defineEventFunction, defineHttpFunction, defineServiceContext, type FunctionEntry } from './function.js';
import { startEventServer } from './event-server.js';
import { maxBodyBytes } from './http-answers.js';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { createRuntime } from './runtime.js';
import type { RunningServer, ServerOptions } from './server.js';

const received: CloudEvent<unknown>[] = [];
/** Events with `data.hold` call `holding`, then wait in the handler until `held` resolves. */
let held = Promise.resolve();
let holding = () => {};
const fixtureContext = defineServiceContext({ service: 'usage', create: () => ({ received }) });
const recorder = defineEventFunction({
  context: fixtureContext,
  async handle(event, context) {
    const data = event.data as { fail?: boolean; hold?: boolean } | undefined;
    if (data?.fail) throw new NotFoundError('thing_not_found', 'no such thing');
    if (data?.hold) {
      holding();
      await held;
    }
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
  const contexts = await createServiceContexts([echo], runtime);
  server = await startHttpServer({
    runtime,
    contexts,
    functions: [{ entry: entries.echo, fn: echo }],
    host: '127.0.0.1',
    port: 0,
    readiness: () => contexts.ready(),
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server?.close(1000));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json();
const post = (path: string, headers: Record<string, string>, body: string, at = base) => fetch(`${at}${path}`, { method: 'POST', headers, body });

const eventServers: [string, (options: ServerOptions) => Promise<RunningServer>][] = [
  ['on the Fastify app of HTTP functions', startHttpServer],
  ["on an event bundle's own server (node:http)", startEventServer],
];

describe.each(eventServers)('CloudEvent functions %s', (_server, start) => {
  let running: RunningServer;
  let at: string;
  beforeAll(async () => {
    const runtime = silentRuntime();
    const contexts = await createServiceContexts([recorder], runtime);
    running = await start({ runtime, contexts, functions: [{ entry: entries.recorder, fn: recorder }], host: '127.0.0.1', port: 0, readiness: () => contexts.ready() });
    at = `http://127.0.0.1:${running.port}`;
  });
  afterAll(() => running?.close(1000));

  it('receive binary mode (ce-* headers)', async () => {
    const response = await post(
      '/',
      { 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/test', 'ce-type': 'dev.polaris.test.happened', 'content-type': 'application/json' },
      JSON.stringify({ n: 1 }),
      at,
    );
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({ accepted: 1 });
    expect(received.at(-1)).toMatchObject({ id: 'b-1', type: 'dev.polaris.test.happened', data: { n: 1 } });
  });

  it('receive structured mode (application/cloudevents+json)', async () => {
    const event = { specversion: '1.0', id: 's-1', source: '/test', type: 'dev.polaris.test.happened', data: { n: 2 } };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event), at);
    expect(response.status).toBe(202);
    expect(received.at(-1)).toMatchObject({ id: 's-1', data: { n: 2 } });
  });

  it('receive a batch (application/cloudevents-batch+json), each event in turn', async () => {
    const batch = ['k-1', 'k-2'].map((id) => ({ specversion: '1.0', id, source: '/test', type: 'dev.polaris.test.happened', data: {} }));
    const response = await post('/', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch), at);
    expect(await json(response)).toEqual({ accepted: 2 });
    expect(received.slice(-2).map((event) => event.id)).toEqual(['k-1', 'k-2']);
  });

  it('refuse an event without its required attributes, naming the problem', async () => {
    const response = await post('/', { 'ce-specversion': '1.0', 'ce-type': 'dev.polaris.test.happened', 'content-type': 'application/json' }, '{}', at);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ code: 'invalid_argument', fields: [{ field: 'ce-id' }, { field: 'ce-source' }] });
  });

  it('refuse a structured body that is not JSON, and an empty one', async () => {
    const malformed = await post('/', { 'content-type': 'application/cloudevents+json' }, '{"id":', at);
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).error.fields).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    const empty = await post('/', { 'content-type': 'application/cloudevents+json' }, '', at);
    expect(empty.status).toBe(400);
    expect((await json(empty)).error.code).toBe('invalid_argument');
  });

  it('refuse a type the function does not handle', async () => {
    const event = { specversion: '1.0', id: 'x', source: '/test', type: 'dev.polaris.other' };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event), at);
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('unsupported_event_type');
  });

  it("answer the handler's own error with its status and code", async () => {
    const event = { specversion: '1.0', id: 'f-1', source: '/test', type: 'dev.polaris.test.happened', data: { fail: true } };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event), at);
    expect(response.status).toBe(404);
    expect((await json(response)).error).toEqual({ code: 'thing_not_found', message: 'no such thing' });
  });

  it('refuse a body over the limit with 413, having read it, and deliver nothing', async () => {
    const before = received.length;
    const event = { specversion: '1.0', id: 'big', source: '/test', type: 'dev.polaris.test.happened', data: 'x'.repeat(maxBodyBytes) };
    const response = await post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event), at);
    expect(response.status).toBe(413);
    expect((await json(response)).error).toEqual({ code: 'payload_too_large', message: `body is larger than ${maxBodyBytes} bytes` });
    expect(received.length).toBe(before);
  });

  it('answer health, metrics with the requests received, and 404 elsewhere', async () => {
    expect((await fetch(`${at}/health/liveness`)).status).toBe(200);
    expect((await fetch(`${at}/health/readiness`)).status).toBe(200);
    expect(await (await fetch(`${at}/metrics`)).text()).toMatch(/http_request_duration_seconds_count\{[^}]*method="POST",route="\/",status="202"[^}]*\} [1-9]/);
    const elsewhere = await fetch(`${at}/elsewhere`);
    expect(elsewhere.status).toBe(404);
    expect((await json(elsewhere)).error.code).toBe('route_not_found');
  });

  // Last: it closes the server.
  it('finish an event in flight when closed, then take no more', async () => {
    let release!: () => void;
    held = new Promise((resolve) => (release = resolve));
    const inHandler = new Promise<void>((resolve) => (holding = resolve));
    const event = { specversion: '1.0', id: 'h-1', source: '/test', type: 'dev.polaris.test.happened', data: { hold: true } };
    const inFlight = post('/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event), at);
    await inHandler;
    let closed = false;
    const grace = 10_000;
    const closing = running.close(grace).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    const released = performance.now();
    release();
    expect((await inFlight).status).toBe(202);
    await closing;
    // Not held by the answered request's kept-alive connection until the grace ends.
    expect(performance.now() - released).toBeLessThan(grace / 2);
    expect(received.at(-1)!.id).toBe('h-1');
    await expect(fetch(`${at}/health/liveness`)).rejects.toThrow();
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
