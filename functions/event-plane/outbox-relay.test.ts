/**
 * The outbox and its relay against real PostgreSQL and NATS JetStream: each
 * test has its own database, stream and subject prefix; one starts and stops
 * a private nats-server to take NATS away and bring it back.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type JetStreamManager, type Msg, type NatsConnection, type StoredMsg } from 'nats';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '../../scripts/local/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { waitFor } from '../../test/support/wait.js';
import {
  decodeCloudEvent,
  encodeCloudEvent,
  enqueueEvents,
  ensureStream,
  eventStreamSpec,
  EventType,
  newEvent,
  outboxEventCountSql,
  outboxTableSql,
  subjectForEventType,
  type EventStreamConfig,
} from '../../shared/events/index.js';
import { publishEvent } from '../../test/support/nats.js';
import { OutboxPublishError, OutboxRelay, type ListedEventsReader } from './index.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const schema = 't';

/** Resources a test opened, released newest first whatever the outcome. */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function outboxDatabase(schemas: readonly string[] = [schema]): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  cleanups.push(() => db.drop());
  for (const name of schemas) {
    await db.sql.begin(async (tx) => {
      await tx.unsafe(`create schema "${name}"`);
      await tx.unsafe(`set local search_path to "${name}"`);
      await tx.unsafe(outboxTableSql);
      await tx.unsafe(outboxEventCountSql);
    });
  }
  return db;
}

async function natsConnection(url = natsUrl): Promise<NatsConnection> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, waitOnFirstConnect: true, reconnectTimeWait: 100 });
  cleanups.push(() => nc.close());
  return nc;
}

/** A stream and subject prefix no other test uses, deleted afterwards (the connection must outlive the test). */
function testStream(nc: NatsConnection): EventStreamConfig {
  const id = randomBytes(5).toString('hex');
  const config = { stream: `TEST_${id}`, subjectPrefix: `test.${id}` };
  cleanups.push(async () => {
    if (nc.isClosed()) return;
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(config.stream).catch(() => undefined);
  });
  return config;
}

const silentLogger = pino({ level: 'silent' });

function capturingLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function newRelay(db: TestDatabase, nc: NatsConnection, stream: EventStreamConfig, options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
  const relay = new OutboxRelay({
    sql: db.sql,
    schema,
    nats: async () => nc,
    stream,
    logger: silentLogger,
    metrics: new Registry(),
    ...options,
  });
  cleanups.push(() => relay.stop());
  return relay;
}

let counter = 0;
function usageEvent(extra: Partial<{ metric: string }> = {}) {
  const id = `${Date.now()}-${++counter}-${randomBytes(4).toString('hex')}`;
  return newEvent(
    EventType.UsageRecorded,
    '/polaris/usage',
    { orgId: 'org-1', metric: extra.metric ?? 'api_calls', quantity: '1.5', occurredAt: '2024-05-01T10:00:00.000Z', eventId: id },
    { id, subject: 'org-1' },
  );
}

async function streamMessages(jsm: JetStreamManager, stream: string): Promise<StoredMsg[]> {
  const info = await jsm.streams.info(stream);
  const messages: StoredMsg[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    messages.push(await jsm.streams.getMessage(stream, { seq }));
  }
  return messages;
}

async function outboxCount(db: TestDatabase, name = schema): Promise<number> {
  const [row] = await db.sql<{ count: number }[]>`select count(*)::int as count from ${db.sql(name)}.outbox`;
  return row!.count;
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('outbox relay', () => {
  it('publishes committed events once in structured mode and never rolled-back ones', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const rolledBack = [usageEvent(), usageEvent()];
    // Quotes, backslashes, commas, braces and non-ASCII survive the array parameters and jsonb.
    const tricky = usageEvent({ metric: 'he said "hi", {a\\b} — ünïcødé 🚀' });
    const invoice = newEvent(
      EventType.InvoiceUpdated,
      '/polaris/billing',
      { orgId: 'org-1', invoiceId: 'inv-1', status: 'draft', amount: '12.340000', periodStart: '2024-05-01T00:00:00.000Z', periodEnd: '2024-06-01T00:00:00.000Z' },
      { subject: 'org-1' },
    );
    const committed = [usageEvent(), tricky, invoice];

    await expect(
      db.sql.begin(async (tx) => {
        await enqueueEvents(tx, schema, rolledBack);
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    expect(await db.sql.begin((tx) => enqueueEvents(tx, schema, committed))).toBe(3);
    // The same event id again is a no-op.
    expect(await enqueueEvents(db.sql, schema, [committed[0]!])).toBe(0);

    const relay = newRelay(db, nc, stream);
    expect(await relay.relayOnce()).toBe(3);
    expect(await relay.relayOnce()).toBe(0);
    expect(await outboxCount(db)).toBe(0);

    const jsm = await nc.jetstreamManager();
    const messages = await streamMessages(jsm, stream.stream);
    expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(committed.map((e) => e.id));
    for (const [i, message] of messages.entries()) {
      const event = committed[i]!;
      expect(message.subject).toBe(subjectForEventType(stream, event.type));
      expect(message.header.get('content-type')).toBe('application/cloudevents+json');
      const decoded = decodeCloudEvent(message);
      expect(decoded.toJSON()).toEqual(JSON.parse(JSON.stringify(event)));
      expect(decoded.datacontenttype).toBe('application/json');
    }
    expect(message(messages, invoice.id).subject).toBe(`${stream.subjectPrefix}.dev.polaris.invoice.updated`);
  });

  it('keeps events while NATS is down and publishes each once when it is back', async () => {
    const db = await outboxDatabase();
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'polaris-outbox-'));
    cleanups.push(() => fs.rm(stateDir, { recursive: true, force: true }));
    let server: NatsServerHandle = await startNatsServer({ stateDir });
    cleanups.push(() => server.stop());
    const nc = await natsConnection(server.url);
    const stream = { stream: 'OUTBOX_TEST', subjectPrefix: 'outbox.test' };
    const registry = new Registry();
    const relay = newRelay(db, nc, stream, { metrics: registry, publishTimeoutMs: 1_000 });
    relay.start();

    const before = [usageEvent(), usageEvent(), usageEvent()];
    await enqueueEvents(db.sql, schema, before);
    relay.nudge();
    await waitFor('the first events to be relayed', async () => (await outboxCount(db)) === 0);

    await server.stop();
    const during = [usageEvent(), usageEvent(), usageEvent(), usageEvent()];
    await enqueueEvents(db.sql, schema, during);
    relay.nudge();
    await waitFor('two failed passes', async () => (await metricValue(registry, 'polaris_outbox_publish_failures_total', { schema })) >= 2);
    expect(await metricValue(registry, 'polaris_outbox_backlog', { schema })).toBe(during.length);
    expect(await metricValue(registry, 'polaris_outbox_oldest_age_seconds', { schema })).toBeGreaterThan(0);

    server = await startNatsServer({ stateDir, port: server.port });
    await waitFor('the outbox to empty after NATS is back', async () => (await outboxCount(db)) === 0);
    expect(await metricValue(registry, 'polaris_outbox_backlog', { schema })).toBe(0);

    const jsm = await nc.jetstreamManager();
    const ids = (await streamMessages(jsm, stream.stream)).map((m) => m.header.get('Nats-Msg-Id'));
    expect(ids.sort()).toEqual([...before, ...during].map((e) => e.id).sort());
    expect(await metricValue(registry, 'polaris_outbox_published_total', { schema })).toBe(before.length + during.length);
    await relay.stop();
    await nc.close();
  });

  it('re-publishes rows whose commit was lost, and JetStream drops them as duplicates', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const events = [usageEvent(), usageEvent(), usageEvent()];
    await enqueueEvents(db.sql, schema, events);

    // A relay that crashed after JetStream's acks but before deleting the rows.
    await ensureStream(nc, eventStreamSpec(stream));
    const js = nc.jetstream();
    for (const event of events) expect((await publishEvent(js, stream, event)).duplicate).toBe(false);

    const { logger, lines } = capturingLogger();
    const relay = newRelay(db, nc, stream, { logger });
    expect(await relay.relayOnce()).toBe(events.length);
    expect(await outboxCount(db)).toBe(0);
    expect(lines().find((line) => line.duplicates !== undefined)?.duplicates).toBe(events.length);

    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream.stream);
    expect(info.state.messages).toBe(events.length);
    expect(info.state.last_seq).toBe(events.length);
    expect((await publishEvent(js, stream, events[0]!)).duplicate).toBe(true);
  });

  it('keeps rows NATS could not take, with their attempts and error, and recreates a deleted stream', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const relay = newRelay(db, nc, stream);
    await enqueueEvents(db.sql, schema, [usageEvent()]);
    expect(await relay.relayOnce()).toBe(1);

    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream.stream);
    const events = [usageEvent(), usageEvent()];
    await enqueueEvents(db.sql, schema, events);
    await expect(relay.relayOnce()).rejects.toThrow(OutboxPublishError);
    const rows = await db.sql<{ attempts: number; lastError: string }[]>`select attempts, last_error from t.outbox order by seq`;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.attempts).toBe(1);
      expect(row.lastError).toMatch(/^503/);
    }

    expect(await relay.relayOnce()).toBe(2);
    expect((await jsm.streams.info(stream.stream)).state.messages).toBe(2);
  });

  it('does not let an event JetStream rejects hold back the others', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const tooLarge = newEvent(EventType.KnativePing, '/ping', { blob: 'x'.repeat(nc.info!.max_payload + 1) });
    const fine = [usageEvent(), usageEvent()];
    await enqueueEvents(db.sql, schema, [tooLarge, ...fine]);

    const { logger, lines } = capturingLogger();
    const relay = newRelay(db, nc, stream, { logger, batchSize: 1 });
    expect(await relay.relayOnce()).toBe(2);
    expect(await relay.relayOnce()).toBe(0);
    const rows = await db.sql<{ eventId: string; attempts: number; lastError: string }[]>`select event_id, attempts, last_error from t.outbox`;
    expect(rows).toEqual([{ eventId: tooLarge.id, attempts: 2, lastError: expect.stringMatching(/^MAX_PAYLOAD_EXCEEDED/) }]);
    // Warned once, not on every pass; no payload in the logs.
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(lines())).not.toContain('xxxxxxxx');
  });

  it('publishes each event a row lists by id, built by the schema’s reader, and keeps in the row only those not acknowledged', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const listed = [usageEvent(), usageEvent(), usageEvent()];
    const single = usageEvent();
    await db.sql`
      insert into t.outbox (event_id, type, payload)
      values (${listed[0]!.id}, ${EventType.UsageRecorded}, to_jsonb(${listed.map((e) => e.id)}::text[]))`;
    await enqueueEvents(db.sql, schema, [single]);
    // The reader has no event for the second id at first, as if its row were missing.
    let readable = new Set([listed[0]!.id, listed[2]!.id]);
    const asked: string[][] = [];
    const reader: ListedEventsReader = async (_tx, type, ids) => {
      asked.push([type, ...ids]);
      return listed.filter((event) => ids.includes(event.id) && readable.has(event.id)).map(encodeCloudEvent);
    };

    // A batch of two events still takes the listed row whole, and the single row in the next batch.
    const registry = new Registry();
    const relay = newRelay(db, nc, stream, { listedEvents: reader, batchSize: 2, metrics: registry });
    expect(await metricValue(registry, 'polaris_outbox_backlog', { schema })).toBe(4);
    expect(await relay.relayOnce()).toBe(3);
    expect(await metricValue(registry, 'polaris_outbox_backlog', { schema })).toBe(1);
    expect(asked).toEqual([[EventType.UsageRecorded, ...listed.map((e) => e.id)]]);
    const rows = await db.sql<{ payload: string[]; attempts: number; lastError: string }[]>`select payload, attempts, last_error from t.outbox`;
    expect(rows).toEqual([{ payload: [listed[1]!.id], attempts: 1, lastError: `no ${EventType.UsageRecorded} event ${listed[1]!.id} to build` }]);

    readable = new Set(listed.map((e) => e.id));
    expect(await relay.relayOnce()).toBe(1);
    expect(await outboxCount(db)).toBe(0);
    const jsm = await nc.jetstreamManager();
    const messages = await streamMessages(jsm, stream.stream);
    expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual([listed[0]!.id, listed[2]!.id, single.id, listed[1]!.id]);
    for (const message of messages) {
      const event = [...listed, single].find((e) => e.id === message.header.get('Nats-Msg-Id'))!;
      expect(decodeCloudEvent(message).toJSON()).toEqual(JSON.parse(JSON.stringify(event)));
    }
  });

  it('locks and reads only the rows a batch takes, so a backlog behind it stays free for other relays', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const rows = Array.from({ length: 4 }, () => [usageEvent(), usageEvent()]);
    for (const listed of rows) {
      await db.sql`
        insert into t.outbox (event_id, type, payload)
        values (${listed[0]!.id}, ${EventType.UsageRecorded}, to_jsonb(${listed.map((e) => e.id)}::text[]))`;
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reading!: () => void;
    const inBatch = new Promise<void>((resolve) => (reading = resolve));
    const reader: ListedEventsReader = async (_tx, _type, ids) => {
      reading();
      await released;
      return rows.flat().filter((event) => ids.includes(event.id)).map(encodeCloudEvent);
    };

    // Room for four events: the first two rows, planned among all four.
    const relay = newRelay(db, nc, stream, { listedEvents: reader, batchSize: 4 });
    const pass = relay.relayOnce();
    await inBatch;
    const free = await db.sql<{ eventId: string }[]>`select event_id from t.outbox order by seq for update skip locked`;
    release();

    expect(free.map((row) => row.eventId)).toEqual(rows.slice(2).map((listed) => listed[0]!.id));
    expect(await pass).toBe(8);
    expect(await outboxCount(db)).toBe(0);
  });

  it('rejects a row listing events when its schema has no reader, and keeps it', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const event = usageEvent();
    await db.sql`insert into t.outbox (event_id, type, payload) values (${event.id}, ${EventType.UsageRecorded}, to_jsonb(${[event.id]}::text[]))`;
    expect(await newRelay(db, nc, stream).relayOnce()).toBe(0);
    const rows = await db.sql<{ payload: string[]; attempts: number }[]>`select payload, attempts from t.outbox`;
    expect(rows).toEqual([{ payload: [event.id], attempts: 1 }]);
  });

  it('lets two relays share one outbox without publishing any event twice', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    // Sixty groups of ten, alternately in rows of their own and listed by id in one row, so that every batch of
    // fifty events takes a listed row and asks the reader for its events.
    const groups = Array.from({ length: 60 }, () => Array.from({ length: 10 }, () => usageEvent()));
    for (const [index, group] of groups.entries()) {
      if (index % 2 === 0) {
        await enqueueEvents(db.sql, schema, group);
      } else {
        await db.sql`
          insert into t.outbox (event_id, type, payload)
          values (${group[0]!.id}, ${EventType.UsageRecorded}, to_jsonb(${group.map((e) => e.id)}::text[]))`;
      }
    }
    const events = groups.flat();
    // Each relay's first batch waits in the reader, its rows locked, until the other's has begun too: both
    // then hold rows at once however the machine schedules them (a relay that began later could otherwise
    // find the outbox already emptied).
    let readersIn = 0;
    let bothIn!: () => void;
    const together = new Promise<void>((resolve) => (bothIn = resolve));
    const reader: ListedEventsReader = async (_tx, _type, ids) => {
      readersIn += 1;
      if (readersIn === 2) bothIn();
      if (readersIn <= 2) await together;
      return events.filter((event) => ids.includes(event.id)).map(encodeCloudEvent);
    };

    // A core subscription sees every publish, even those JetStream would drop as duplicates.
    const seen = new Map<string, number>();
    const sub = nc.subscribe(`${stream.subjectPrefix}.>`, {
      callback: (_err, msg: Msg) => {
        const id = msg.headers?.get('Nats-Msg-Id') ?? '';
        seen.set(id, (seen.get(id) ?? 0) + 1);
      },
    });
    cleanups.push(() => sub.unsubscribe());
    await ensureStream(nc, eventStreamSpec(stream));

    const registry = new Registry();
    const first = newRelay(db, nc, stream, { metrics: registry, batchSize: 50, listedEvents: reader });
    const second = newRelay(db, nc, stream, { metrics: registry, batchSize: 50, listedEvents: reader });
    const [a, b] = await Promise.all([first.relayOnce(), second.relayOnce()]);
    // Either may finish early on rows the other holds: drain what is left.
    const rest = (await first.relayOnce()) + (await second.relayOnce());
    await nc.flush();

    expect(a + b + rest).toBe(events.length);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(await outboxCount(db)).toBe(0);
    expect(seen.size).toBe(events.length);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(await metricValue(registry, 'polaris_outbox_published_total', { schema })).toBe(events.length);
  });

  it('shares metrics between relays of several schemas on one registry', async () => {
    const db = await outboxDatabase(['t', 'u']);
    const nc = await natsConnection();
    const stream = testStream(nc);
    const registry = new Registry();
    const relayT = newRelay(db, nc, stream, { metrics: registry, schema: 't' });
    const relayU = newRelay(db, nc, stream, { metrics: registry, schema: 'u' });
    await enqueueEvents(db.sql, 't', [usageEvent()]);
    await enqueueEvents(db.sql, 'u', [usageEvent(), usageEvent()]);

    expect(await metricValue(registry, 'polaris_outbox_backlog', { schema: 't' })).toBe(1);
    expect(await metricValue(registry, 'polaris_outbox_backlog', { schema: 'u' })).toBe(2);
    expect(await relayT.relayOnce()).toBe(1);
    expect(await relayU.relayOnce()).toBe(2);
    expect(await metricValue(registry, 'polaris_outbox_published_total', { schema: 'u', type: EventType.UsageRecorded })).toBe(2);
    expect(await metricValue(registry, 'polaris_outbox_backlog')).toBe(0);
    expect(await registry.metrics()).toContain('polaris_outbox_oldest_age_seconds{schema="u"} 0');
  });

  it('relays within milliseconds of a nudge, and stop() ends the loop', async () => {
    const db = await outboxDatabase();
    const nc = await natsConnection();
    const stream = testStream(nc);
    const relay = newRelay(db, nc, stream, { pollIntervalMs: 60_000 });
    relay.start();
    await waitFor('the stream to exist', async () => (await nc.jetstreamManager()).streams.info(stream.stream).then(() => true, () => false));

    const started = Date.now();
    await enqueueEvents(db.sql, schema, [usageEvent()]);
    relay.nudge();
    await waitFor('the nudged event to be relayed', async () => (await outboxCount(db)) === 0);
    expect(Date.now() - started).toBeLessThan(2_000);
    await relay.stop();

    await enqueueEvents(db.sql, schema, [usageEvent()]);
    relay.nudge();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await outboxCount(db)).toBe(1);
  });

  it('does not block start() or stop() while the first NATS connection is pending', async () => {
    const db = await outboxDatabase();
    const relay = new OutboxRelay({
      sql: db.sql,
      schema,
      nats: () => new Promise<NatsConnection>(() => undefined),
      stream: { stream: 'NEVER', subjectPrefix: 'never' },
      logger: silentLogger,
      metrics: new Registry(),
    });
    relay.start();
    relay.nudge();
    await relay.stop();
  });
});

function message(messages: StoredMsg[], id: string): StoredMsg {
  const found = messages.find((m) => m.header.get('Nats-Msg-Id') === id);
  if (!found) throw new Error(`no message ${id}`);
  return found;
}

/** A stand-in for a Knative Broker's ingress (Knative is not run by the tests): records each POST, answers what `answer` says. */
async function sinkServer(answer: (eventId: string, attempt: number) => number): Promise<{ url: string; received: Array<{ id: string; contentType: string; body: string }> }> {
  const received: Array<{ id: string; contentType: string; body: string }> = [];
  const attempts = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = (JSON.parse(body) as { id: string }).id;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      received.push({ id, contentType: request.headers['content-type'] ?? '', body });
      response.writeHead(answer(id, attempt)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/polaris/default`, received };
}

describe('outbox relay to an HTTP sink (the Broker in the cluster)', () => {
  it('POSTs each event in structured mode with its id, and deletes a row only after a 2xx', async () => {
    const db = await outboxDatabase();
    const events = [usageEvent(), usageEvent(), usageEvent()];
    const refusedOnce = events[1]!.id;
    const sink = await sinkServer((id, attempt) => (id === refusedOnce && attempt === 1 ? 503 : 202));
    await enqueueEvents(db.sql, schema, events);
    const relay = new OutboxRelay({ sql: db.sql, schema, sink: sink.url, logger: silentLogger, metrics: new Registry() });
    cleanups.push(() => relay.stop());

    expect(await relay.relayOnce()).toBe(2);
    const [kept] = await db.sql<{ eventId: string; attempts: number; lastError: string }[]>`select event_id, attempts, last_error from t.outbox`;
    expect(kept).toEqual({ eventId: refusedOnce, attempts: 1, lastError: 'the sink answered 503' });

    expect(await relay.relayOnce()).toBe(1);
    expect(await outboxCount(db)).toBe(0);
    // The retry carries the same id, which is what consumers and the channel deduplicate on.
    expect(sink.received.map((r) => r.id)).toEqual([...events.map((e) => e.id), refusedOnce]);
    for (const request of sink.received) {
      expect(request.contentType).toBe('application/cloudevents+json');
      expect(JSON.parse(request.body)).toEqual(JSON.parse(JSON.stringify(events.find((e) => e.id === request.id))));
    }
  });

  it('POSTs each event a row lists, and keeps in the row only the one the sink did not take', async () => {
    const db = await outboxDatabase();
    const listed = [usageEvent(), usageEvent(), usageEvent()];
    const refusedOnce = listed[2]!.id;
    const sink = await sinkServer((id, attempt) => (id === refusedOnce && attempt === 1 ? 503 : 202));
    await db.sql`
      insert into t.outbox (event_id, type, payload) values (${listed[0]!.id}, ${EventType.UsageRecorded}, to_jsonb(${listed.map((e) => e.id)}::text[]))`;
    const reader: ListedEventsReader = async (_tx, _type, ids) => listed.filter((event) => ids.includes(event.id)).map(encodeCloudEvent);
    const relay = new OutboxRelay({ sql: db.sql, schema, sink: sink.url, logger: silentLogger, metrics: new Registry(), listedEvents: reader });
    cleanups.push(() => relay.stop());

    expect(await relay.relayOnce()).toBe(2);
    const rows = await db.sql<{ payload: string[]; attempts: number; lastError: string }[]>`select payload, attempts, last_error from t.outbox`;
    expect(rows).toEqual([{ payload: [refusedOnce], attempts: 1, lastError: 'the sink answered 503' }]);
    expect(await relay.relayOnce()).toBe(1);
    expect(await outboxCount(db)).toBe(0);
    expect(sink.received.map((r) => r.id).sort()).toEqual([...listed.map((e) => e.id), refusedOnce].sort());
    for (const request of sink.received) {
      expect(request.contentType).toBe('application/cloudevents+json');
      expect(JSON.parse(request.body)).toEqual(JSON.parse(JSON.stringify(listed.find((e) => e.id === request.id))));
    }
  });

  it('keeps an event the sink refuses (4xx) with its error, without holding back the others, and fails a pass the sink takes nothing of', async () => {
    const db = await outboxDatabase();
    const events = [usageEvent(), usageEvent()];
    const sink = await sinkServer((id) => (id === events[0]!.id ? 400 : 202));
    await enqueueEvents(db.sql, schema, events);
    const relay = new OutboxRelay({ sql: db.sql, schema, sink: sink.url, logger: silentLogger, metrics: new Registry() });
    cleanups.push(() => relay.stop());
    expect(await relay.relayOnce()).toBe(1);
    expect(await db.sql`select event_id, last_error from t.outbox`).toEqual([{ eventId: events[0]!.id, lastError: 'the sink answered 400' }]);

    await db.sql`delete from t.outbox`;
    await enqueueEvents(db.sql, schema, [usageEvent()]);
    const down = new OutboxRelay({ sql: db.sql, schema, sink: 'http://127.0.0.1:1/', logger: silentLogger, metrics: new Registry(), publishTimeoutMs: 1_000 });
    cleanups.push(() => down.stop());
    await expect(down.relayOnce()).rejects.toThrow(OutboxPublishError);
    expect(await outboxCount(db)).toBe(1);
  });
});
