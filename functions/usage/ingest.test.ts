/**
 * `POST /ingest` against real PostgreSQL and NATS: the contract's answers,
 * exactly-once under replays and concurrency, and bad input that changes nothing.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { rpcClient } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream, waitForStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let acme: TestTenant;
let globex: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_API_KEY_CACHE_SECONDS: '1', POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS: '0' } });
  acme = await createTenant(host.grpcAddress, 'Acme');
  globex = await createTenant(host.grpcAddress, 'Globex');
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function ingest(body: unknown, options: { key?: string | null; contentType?: string; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', ...options.headers };
  const key = options.key === undefined ? acme.apiKey : options.key;
  if (key !== null) headers['x-api-key'] = key;
  const response = await fetch(`${host.http}/ingest`, { method: 'POST', headers, body: options.raw ?? JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Json };
}

const eventCount = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events`)[0]!.n;
const recent = () => new Date(Date.now() - 60_000).toISOString();

describe('one JSON event', () => {
  it('answers 202 with its id, and a replay answers the first id as a duplicate, counted once', async () => {
    const event = { metric: 'api_calls', quantity: 5, timestamp: recent(), idempotency_key: 'req-8812' };
    const first = await ingest(event);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
    const replay = await ingest(event);
    expect(replay).toEqual({ status: 202, body: { id: first.body.id, duplicate: true } });
    const rows = await db.sql`select quantity::text, metric from usage.usage_events where idempotency_key = 'req-8812'`;
    expect(rows).toEqual([{ quantity: '5.000000000000', metric: 'api_calls' }]);
  });

  it('counts 40 concurrent identical requests exactly once', async () => {
    const event = { metric: 'api_calls', quantity: 1, idempotency_key: 'concurrent-1' };
    const answers = await Promise.all(Array.from({ length: 40 }, () => ingest(event)));
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(answers.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events where idempotency_key = 'concurrent-1'`;
    expect(row!.n).toBe(1);
  });

  it('keeps the same key apart for two organizations', async () => {
    const event = { metric: 'api_calls', quantity: 2, idempotency_key: 'shared-key' };
    const [a, b] = await Promise.all([ingest(event), ingest(event, { key: globex.apiKey })]);
    expect(a.body.duplicate).toBe(false);
    expect(b.body.duplicate).toBe(false);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('takes the Idempotency-Key header as the key, and refuses a different one in the body', async () => {
    const first = await ingest({ metric: 'api_calls', quantity: 1 }, { headers: { 'idempotency-key': 'hdr-1' } });
    const again = await ingest({ metric: 'api_calls', quantity: 1, idempotency_key: 'hdr-1' });
    expect(again.body).toEqual({ id: first.body.id, duplicate: true });
    const before = await eventCount();
    const clash = await ingest({ metric: 'api_calls', quantity: 1, idempotency_key: 'other' }, { headers: { 'idempotency-key': 'hdr-2' } });
    expect(clash.status).toBe(400);
    expect(await eventCount()).toBe(before);
  });

  it('keeps quantities exactly as written, up to 12 decimal places', async () => {
    const raw = '{"metric":"storage_gb","quantity":12345678901234.123456789012,"idempotency_key":"exact-1"}';
    const tiny = '{"metric":"storage_gb","quantity":0.000000000001,"idempotency_key":"exact-2"}';
    const exponent = '{"metric":"storage_gb","quantity":1.5e3,"idempotency_key":"exact-3"}';
    for (const body of [raw, tiny, exponent]) expect((await ingest(undefined, { raw: body })).status).toBe(202);
    const rows = await db.sql<{ key: string; quantity: string }[]>`
      select idempotency_key as key, trim_scale(quantity)::text as quantity from usage.usage_events where idempotency_key like 'exact-%' order by 1`;
    expect(rows.map((row) => row.quantity)).toEqual(['12345678901234.123456789012', '0.000000000001', '1500']);
  });

  it('stamps an event without a timestamp with the time of receipt', async () => {
    const before = Date.now();
    const { body } = await ingest({ metric: 'api_calls', quantity: 1 });
    const [row] = await db.sql<{ occurredAt: Date }[]>`select occurred_at from usage.usage_events where id = ${body.id}`;
    expect(row!.occurredAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(row!.occurredAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });
});

describe('a JSON array', () => {
  it('answers per item in request order; a rejected item does not stop the others', async () => {
    const before = await eventCount();
    const { status, body } = await ingest([
      { metric: 'api_calls', quantity: 1, idempotency_key: 'batch-a' },
      { metric: 'API calls', quantity: 1 },
      { metric: 'api_calls', quantity: 3, idempotency_key: 'batch-a' },
      { metric: 'api_calls', quantity: -1 },
      { metric: 'api_calls', quantity: 4 },
    ]);
    expect(status).toBe(200);
    expect(body.results.map((r: Json) => r.status)).toEqual(['accepted', 'rejected', 'duplicate', 'rejected', 'accepted']);
    expect(body.results[2].id).toBe(body.results[0].id);
    expect(body.results[1].error).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('metric') });
    expect(body.results[3].error.message).toContain('quantity');
    expect(await eventCount()).toBe(before + 2);
  });

  it('refuses an empty array and more than 1000 events', async () => {
    expect((await ingest([])).status).toBe(400);
    const tooMany = Array.from({ length: 1001 }, () => ({ metric: 'api_calls', quantity: 1 }));
    const answer = await ingest(tooMany);
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('1 to 1000');
  });

  it('writes 1000 events in one request', async () => {
    const before = await eventCount();
    const events = Array.from({ length: 1000 }, (_, i) => ({ metric: 'bulk', quantity: i, idempotency_key: `bulk-${i}` }));
    const { status, body } = await ingest(events);
    expect(status).toBe(200);
    expect(body.results.every((r: Json) => r.status === 'accepted')).toBe(true);
    expect(await eventCount()).toBe(before + 1000);
  });
});

describe('CloudEvents', () => {
  const cloudEvent = (id: string, data: unknown, extra: Record<string, unknown> = {}) => ({
    specversion: '1.0',
    id,
    source: '/billing-client',
    type: 'com.example.usage',
    time: recent(),
    datacontenttype: 'application/json',
    data,
    ...extra,
  });

  it('takes a structured event: id is the idempotency key, time the timestamp, type kept', async () => {
    const event = cloudEvent('ce-1', { metric: 'api_calls', quantity: 7 });
    const first = await ingest(event, { contentType: 'application/cloudevents+json' });
    expect(first).toEqual({ status: 202, body: { id: expect.any(String), duplicate: false } });
    expect((await ingest(event, { contentType: 'application/cloudevents+json' })).body.duplicate).toBe(true);
    const [row] = await db.sql`select event_type, idempotency_key, occurred_at from usage.usage_events where id = ${first.body.id}`;
    expect(row).toMatchObject({ eventType: 'com.example.usage', idempotencyKey: 'ce-1', occurredAt: new Date(event.time) });
  });

  it('takes a batch with per-item results', async () => {
    const { status, body } = await ingest(
      [cloudEvent('ce-b1', { metric: 'api_calls', quantity: 1 }), cloudEvent('ce-b2', { metric: 'api_calls' }), { id: 'broken' }],
      { contentType: 'application/cloudevents-batch+json' },
    );
    expect(status).toBe(200);
    expect(body.results.map((r: Json) => r.status)).toEqual(['accepted', 'rejected', 'rejected']);
    expect(body.results[1].error.message).toContain('data.quantity: is required');
  });
});

describe('bad input', () => {
  const now = Date.now();
  const valid = { metric: 'api_calls', quantity: 1 };
  // [what, request, status, code]
  const cases: Array<[string, Parameters<typeof ingest>, number, string]> = [
    ['no API key', [valid, { key: null }], 401, 'missing_api_key'],
    ['unknown API key', [valid, { key: 'pol_' + 'x'.repeat(40) }], 401, 'invalid_api_key'],
    ['garbage API key', [valid, { key: 'hello' }], 401, 'invalid_api_key'],
    ['missing metric', [{ quantity: 1 }], 400, 'invalid_argument'],
    ['missing quantity', [{ metric: 'api_calls' }], 400, 'invalid_argument'],
    ['metric with capitals', [{ metric: 'ApiCalls', quantity: 1 }], 400, 'invalid_argument'],
    ['metric with a space', [{ metric: 'api calls', quantity: 1 }], 400, 'invalid_argument'],
    ['metric starting with a digit', [{ metric: '1api', quantity: 1 }], 400, 'invalid_argument'],
    ['metric of 65 characters', [{ metric: 'a'.repeat(65), quantity: 1 }], 400, 'invalid_argument'],
    ['empty metric', [{ metric: '', quantity: 1 }], 400, 'invalid_argument'],
    ['metric as a number', [{ metric: 42, quantity: 1 }], 400, 'invalid_argument'],
    ['negative quantity', [{ metric: 'api_calls', quantity: -1 }], 400, 'invalid_argument'],
    ['quantity as a string', [{ metric: 'api_calls', quantity: '5' }], 400, 'invalid_argument'],
    ['quantity as null', [{ metric: 'api_calls', quantity: null }], 400, 'invalid_argument'],
    ['quantity with 13 decimals', [undefined, { raw: '{"metric":"api_calls","quantity":0.0000000000001}' }], 400, 'invalid_argument'],
    ['quantity of 10^30', [undefined, { raw: '{"metric":"api_calls","quantity":1e30}' }], 400, 'invalid_argument'],
    ['timestamp not RFC 3339', [{ ...valid, timestamp: '25/11/2026' }], 400, 'invalid_argument'],
    ['timestamp without zone', [{ ...valid, timestamp: '2026-11-25T10:00:00' }], 400, 'invalid_argument'],
    ['timestamp an hour ahead', [{ ...valid, timestamp: new Date(now + 3_600_000).toISOString() }], 400, 'invalid_argument'],
    ['timestamp 40 days old', [{ ...valid, timestamp: new Date(now - 40 * 86_400_000).toISOString() }], 400, 'invalid_argument'],
    ['timestamp as a number', [{ ...valid, timestamp: 1764064800 }], 400, 'invalid_argument'],
    ['empty idempotency key', [{ ...valid, idempotency_key: '' }], 400, 'invalid_argument'],
    ['idempotency key of 256 characters', [{ ...valid, idempotency_key: 'k'.repeat(256) }], 400, 'invalid_argument'],
    ['unknown field', [{ ...valid, qty: 3 }], 400, 'invalid_argument'],
    ['a JSON string', ['api_calls'], 400, 'invalid_argument'],
    ['malformed JSON', [undefined, { raw: '{"metric": "api_calls", ' }], 400, 'invalid_argument'],
    ['an empty body', [undefined, { raw: '' }], 400, 'invalid_argument'],
    ['text/plain', [undefined, { raw: 'api_calls 1', contentType: 'text/plain' }], 415, 'unsupported_media_type'],
    ['form encoding', [undefined, { raw: 'metric=api_calls', contentType: 'application/x-www-form-urlencoded' }], 415, 'unsupported_media_type'],
    ['a body over 1 MiB', [undefined, { raw: JSON.stringify({ ...valid, pad: 'x'.repeat(1_100_000) }) }], 413, 'payload_too_large'],
    ['a CloudEvent without id', [{ specversion: '1.0', source: '/x', type: 't', data: valid }, { contentType: 'application/cloudevents+json' }], 400, 'invalid_argument'],
    ['a CloudEvent with string data', [{ specversion: '1.0', id: 'x', source: '/x', type: 't', data: 'api_calls=1' }, { contentType: 'application/cloudevents+json' }], 400, 'invalid_argument'],
    ['a CloudEvents batch that is an object', [{ specversion: '1.0' }, { contentType: 'application/cloudevents-batch+json' }], 400, 'invalid_argument'],
    ['Idempotency-Key header on an array', [[valid], { headers: { 'idempotency-key': 'k' } }], 400, 'invalid_argument'],
  ];

  it.each(cases)('%s → %d %s, nothing stored', async (_what, args, status, code) => {
    const before = await eventCount();
    const answer = await ingest(...args);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(typeof answer.body.error.message).toBe('string');
    expect(await eventCount()).toBe(before);
  });

  it('names every field at fault', async () => {
    const { body } = await ingest({ metric: 'Bad Metric', quantity: -2, timestamp: 'yesterday' });
    expect(body.error.fields.map((f: Json) => f.field)).toEqual(['metric', 'quantity', 'timestamp']);
  });

  it('refuses a revoked key once the cache has let it go (here 1 s; at most 60 s)', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Revoked');
    expect((await ingest(valid, { key: tenant.apiKey })).status).toBe(202);
    const operator = rpcClient(host.grpcAddress);
    await operator.call(IdentityService.revokeApiKey, { apiKeyId: tenant.apiKeyId });
    operator.close();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await ingest(valid, { key: tenant.apiKey })).status).toBe(401);
  });
});

describe('a body over 1 MiB sent by a real client', () => {
  // The client runs on a thread of its own, as any client does: on the
  // server's own event loop it read every answer before the server closed.
  const clientSource = `
    const { parentPort, workerData: { url, headers, bytes, chunked } } = require('node:worker_threads');
    const chunk = new Uint8Array(64 * 1024).fill(120);
    const body = chunked
      ? new ReadableStream({ start(c) { for (let sent = 0; sent < bytes; sent += chunk.length) c.enqueue(chunk); c.close(); } })
      : new Uint8Array(bytes).fill(120);
    fetch(url, { method: 'POST', headers, body, duplex: 'half' })
      .then(async (response) => parentPort.postMessage({ status: response.status, body: await response.text() }))
      .catch((err) => parentPort.postMessage({ error: String(err.cause?.code ?? err.cause?.message ?? err.message) }));`;

  /** POSTs `bytes` bytes with Node's fetch, with Content-Length or chunked; the answer, or the error fetch failed with. */
  async function postFromAnotherThread(path: string, bytes: number, chunked: boolean): Promise<{ status?: number; body?: string; error?: string }> {
    const headers = { 'content-type': 'application/json', 'x-api-key': acme.apiKey };
    const worker = new Worker(clientSource, { eval: true, workerData: { url: `${host.http}${path}`, headers, bytes, chunked } });
    try {
      return await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    } finally {
      await worker.terminate();
    }
  }

  const twoMiB = 2 * 1024 * 1024;
  it.each([
    ['/ingest', false],
    ['/ingest', true],
    ['/events', false],
    ['/events', true],
  ] as const)('POST %s answers 413 with the coded error, readable by fetch (chunked: %s)', async (path, chunked) => {
    // Whether the answer was lost depended on timing: a few tries each.
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = await postFromAnotherThread(path, twoMiB, chunked);
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body!)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    }
  });

  it.each([false, true])('POST /graphql answers its refusal as GraphQL errors, readable by fetch (chunked: %s)', async (chunked) => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = await postFromAnotherThread('/graphql', twoMiB, chunked);
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body!)).toMatchObject({ data: null, errors: [{ message: expect.stringMatching(/too large/), extensions: { code: 'BAD_USER_INPUT' } }] });
    }
  });
});

describe('usage.recorded on NATS', () => {
  it('publishes one structured CloudEvent per accepted event, with Nats-Msg-Id = event id', async () => {
    const { body } = await ingest({ metric: 'published', quantity: 2.5, idempotency_key: 'pub-1' });
    await ingest({ metric: 'published', quantity: 2.5, idempotency_key: 'pub-1' });
    // The quantity as a decimal, however the literal was written.
    const { body: zeros } = await ingest(undefined, { raw: '{"metric":"published","quantity":2.500,"idempotency_key":"pub-2"}' });
    const events = await waitForStream(host.natsUrl, host.stream.stream, (all) => all.some((e) => e.event.id === body.id) && all.some((e) => e.event.id === zeros.id));
    expect(events.find((e) => e.event.id === zeros.id)?.event.data).toMatchObject({ quantity: '2.5' });
    const mine = events.filter((e) => e.event.id === body.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      subject: `${host.stream.subjectPrefix}.dev.polaris.usage.recorded`,
      msgId: body.id,
      contentType: 'application/cloudevents+json',
      event: {
        specversion: '1.0',
        type: 'dev.polaris.usage.recorded',
        data: { orgId: acme.organizationId, metric: 'published', quantity: '2.5', eventId: body.id },
      },
    });
  });
});
