/**
 * Event delivery against the NATS server on 127.0.0.1:4222: each test has a
 * stream and subject prefix of its own, and fixture HTTP servers on
 * 127.0.0.1 play the functions.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers as natsHeaders, type ConsumerInfo, type NatsConnection, type StoredMsg } from 'nats';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { findFreePort, startNatsServer } from '../../scripts/local/index.js';
import { encodeCloudEvent, EventType, newEvent, publishEncodedEvent, subjectForEventType, type EventStreamConfig } from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { publishEvent } from '../../test/support/nats.js';
import { waitFor } from '../../test/support/wait.js';
import { waitForOk } from '../../test/support/process.js';
import {
  DeadLetterHeader,
  deadLetterStreamName,
  deliveryMetricNames,
  EventDelivery,
  httpDeliverer,
  subscriptionsFromRegistry,
  type EventDeliveryOptions,
  type EventSubscription,
} from './index.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'test', revision: 'test', level: 'silent' });

let nc: NatsConnection;
beforeAll(async () => {
  nc = await connect({ servers: natsUrl });
});
afterAll(async () => {
  await nc?.close();
});

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stream and prefix of the test's own; it and its dead-letter stream (consumers with them) go afterwards. */
function uniqueStream(): EventStreamConfig {
  const id = randomBytes(5).toString('hex');
  const config = { stream: `TEST_DLV_${id}`, subjectPrefix: `test.dlv.${id}` };
  cleanups.push(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(config.stream).catch(() => undefined);
    await jsm.streams.delete(deadLetterStreamName(config)).catch(() => undefined);
  });
  return config;
}

interface Received {
  /** The function, from the path `/<name>/`. */
  name: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = (request: Received, received: readonly Received[]) => number | Promise<number>;

/**
 * One HTTP server playing every function: the deliverer's address template
 * `127.0.0.1:<port>/{name}` puts the function's name in the path.
 */
async function fixtureFunctions(answer: Answer = () => 202) {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const entry = { name: (request.url ?? '/').split('/')[1] ?? '', headers: request.headers, body };
      received.push(entry);
      Promise.resolve(answer(entry, received)).then(
        (status) => response.writeHead(status).end(),
        () => response.writeHead(500).end(),
      );
    });
  });
  const port = await findFreePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { port, addressTemplate: `127.0.0.1:${port}/{name}`, received, of: (name: string) => received.filter((r) => r.name === name) };
}

/** Starts delivery and waits until its streams and consumers exist. */
async function startDelivery(options: Partial<EventDeliveryOptions> & { stream: EventStreamConfig; subscriptions: readonly EventSubscription[]; addressTemplate: string }) {
  const metrics = new Registry();
  const delivery = new EventDelivery({
    nats: async () => nc,
    deliver: httpDeliverer({ addressTemplate: options.addressTemplate, timeoutMs: 5_000 }),
    logger,
    metrics,
    backoffMs: [100],
    ...options,
  });
  delivery.start();
  cleanups.push(() => delivery.stop());
  await waitFor('consumers attached', () => delivery.ready().then(() => true, () => false));
  return { delivery, metrics };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

async function consumerInfos(stream: EventStreamConfig, connection: NatsConnection = nc): Promise<ConsumerInfo[]> {
  const jsm = await connection.jetstreamManager();
  return jsm.consumers.list(stream.stream).next();
}

/** True once every consumer of the stream has nothing pending and nothing waiting for an ack. */
async function allAcked(stream: EventStreamConfig, connection: NatsConnection = nc): Promise<boolean> {
  const infos = await consumerInfos(stream, connection);
  return infos.length > 0 && infos.every((info) => info.num_pending === 0 && info.num_ack_pending === 0);
}

async function deadLetters(stream: EventStreamConfig): Promise<StoredMsg[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(deadLetterStreamName(stream)).catch(() => undefined);
  if (!info || info.state.messages === 0) return [];
  const messages: StoredMsg[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) messages.push(await jsm.streams.getMessage(deadLetterStreamName(stream), { seq }));
  return messages;
}

const requested = (orgId: string, id?: string) => newEvent(EventType.AggregationRequested, '/test/delivery', { orgId }, { id });

describe('EventDelivery', () => {
  it('delivers an event in binary mode to exactly the functions subscribed to its type, once each, and acks it', async () => {
    const stream = uniqueStream();
    const fixture = await fixtureFunctions();
    const subscriptions = [
      { name: 'alpha', types: [EventType.AggregationRequested, EventType.AggregateUpdated] },
      { name: 'beta', types: [EventType.AggregationRequested] },
      { name: 'gamma', types: [EventType.InvoiceUpdated] },
    ];
    const { delivery, metrics } = await startDelivery({ stream, subscriptions, addressTemplate: fixture.addressTemplate });

    const first = requested('org-1', 'evt-requested-1');
    const second = newEvent(EventType.AggregateUpdated, '/test/delivery', { orgId: 'org-1', metric: 'api_calls', periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-01-02T00:00:00Z', total: '4.5' });
    const js = nc.jetstream();
    await publishEvent(js, stream, first);
    await publishEvent(js, stream, second);

    await waitFor('both deliveries to alpha and one to beta', () => fixture.of('alpha').length === 2 && fixture.of('beta').length === 1);
    await waitFor('every consumer acked', () => allAcked(stream));
    await sleep(300); // time for a stray duplicate to show up
    expect(fixture.of('alpha').map((r) => r.headers['ce-id']).sort()).toEqual([first.id, second.id].sort());
    expect(fixture.of('beta').map((r) => r.headers['ce-id'])).toEqual([first.id]);
    expect(fixture.of('gamma')).toEqual([]);

    const atBeta = fixture.of('beta')[0]!;
    expect(atBeta.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': 'evt-requested-1',
      'ce-type': EventType.AggregationRequested,
      'ce-source': '/test/delivery',
      'content-type': expect.stringMatching(/^application\/json/),
    });
    expect(JSON.parse(atBeta.body)).toEqual({ orgId: 'org-1' });

    const consumers = await consumerInfos(stream);
    expect(consumers.map((c) => c.name).sort()).toEqual(delivery.consumers.map((c) => c.durable).sort());
    for (const info of consumers) {
      expect(info.config).toMatchObject({ ack_policy: 'explicit', deliver_policy: 'all', max_deliver: -1 });
      expect(delivery.consumers.find((c) => c.durable === info.name)?.subject).toBe(info.config.filter_subject);
    }
    expect(delivery.consumers.find((c) => c.functionName === 'beta')?.subject).toBe(subjectForEventType(stream, EventType.AggregationRequested));
    expect(await metricValue(metrics, deliveryMetricNames.delivered, { function: 'alpha' })).toBe(2);
    expect(await metricValue(metrics, deliveryMetricNames.delivered, { function: 'beta', type: EventType.AggregationRequested })).toBe(1);
    expect(await metricValue(metrics, deliveryMetricNames.failures)).toBe(0);
  });

  it('retries a function that failed, with backoff, until it takes the event', async () => {
    const stream = uniqueStream();
    const fixture = await fixtureFunctions((_request, received) => (received.length <= 2 ? 500 : 202));
    const { metrics } = await startDelivery({ stream, subscriptions: [{ name: 'flaky', types: [EventType.AggregationRequested] }], addressTemplate: fixture.addressTemplate });

    const event = requested('org-2');
    await publishEvent(nc.jetstream(), stream, event);
    await waitFor('the third attempt', () => fixture.received.length === 3);
    await waitFor('the event acked', () => allAcked(stream));
    await sleep(300);

    expect(fixture.received.map((r) => r.headers['ce-id'])).toEqual([event.id, event.id, event.id]);
    const labels = { function: 'flaky', type: EventType.AggregationRequested };
    expect(await metricValue(metrics, deliveryMetricNames.failures, labels)).toBe(2);
    expect(await metricValue(metrics, deliveryMetricNames.delivered, labels)).toBe(1);
    expect(await metricValue(metrics, deliveryMetricNames.deadLettered, labels)).toBe(0);
    const duration = await metrics.getSingleMetric(deliveryMetricNames.duration)!.get();
    const count = duration.values.find((v) => (v as { metricName?: string }).metricName === `${deliveryMetricNames.duration}_count`);
    expect(count?.value).toBe(3);
  });

  it('moves a poison event to the dead-letter stream after maxDeliver attempts, and delivers it no more', async () => {
    const stream = uniqueStream();
    const fixture = await fixtureFunctions(() => 500);
    const { metrics } = await startDelivery({
      stream,
      subscriptions: [{ name: 'poisoned', types: [EventType.AggregationRequested] }],
      addressTemplate: fixture.addressTemplate,
      maxDeliver: 3,
      backoffMs: [50],
    });

    const event = requested('org-3');
    await publishEvent(nc.jetstream(), stream, event);
    await waitFor('the dead letter', async () => (await deadLetters(stream)).length === 1);
    await waitFor('the event terminated', () => allAcked(stream));
    await sleep(500);

    expect(fixture.received).toHaveLength(3);
    const [letter] = await deadLetters(stream);
    expect(letter!.subject).toBe(`dead-letter.${stream.subjectPrefix}.poisoned`);
    expect(JSON.parse(new TextDecoder().decode(letter!.data))).toMatchObject({ id: event.id, type: event.type, data: { orgId: 'org-3' } });
    expect(letter!.header.get('content-type')).toBe('application/cloudevents+json');
    expect(letter!.header.get('Nats-Msg-Id')).toBe(`${event.id}:poisoned`);
    expect(letter!.header.get(DeadLetterHeader.Function)).toBe('poisoned');
    expect(letter!.header.get(DeadLetterHeader.Attempts)).toBe('3');
    expect(letter!.header.get(DeadLetterHeader.Error)).toBe('poisoned answered 500');
    expect(letter!.header.get(DeadLetterHeader.Subject)).toBe(subjectForEventType(stream, EventType.AggregationRequested));

    const labels = { function: 'poisoned', type: EventType.AggregationRequested };
    expect(await metricValue(metrics, deliveryMetricNames.deadLettered, labels)).toBe(1);
    expect(await metricValue(metrics, deliveryMetricNames.failures, labels)).toBe(3);
    expect(await metricValue(metrics, deliveryMetricNames.delivered, labels)).toBe(0);
  });

  it('dead-letters a message that is no CloudEvent without delivering it', async () => {
    const stream = uniqueStream();
    const fixture = await fixtureFunctions();
    const { delivery, metrics } = await startDelivery({ stream, subscriptions: [{ name: 'strict', types: [EventType.AggregationRequested] }], addressTemplate: fixture.addressTemplate });

    const h = natsHeaders();
    h.set('x-trace', 'kept');
    await nc.jetstream().publish(subjectForEventType(stream, EventType.AggregationRequested), new TextEncoder().encode('not json at all'), { msgID: 'garbage-1', headers: h });
    await waitFor('the dead letter', async () => (await deadLetters(stream)).length === 1);

    const [letter] = await deadLetters(stream);
    expect(new TextDecoder().decode(letter!.data)).toBe('not json at all');
    expect(letter!.header.get('x-trace')).toBe('kept');
    expect(letter!.header.get('Nats-Msg-Id')).toBe('garbage-1:strict');
    expect(letter!.header.get(DeadLetterHeader.Attempts)).toBe('0');
    expect(letter!.header.get(DeadLetterHeader.Error)).toBe('not a structured-mode CloudEvent: the body is not UTF-8 JSON');
    expect(fixture.received).toEqual([]);
    expect(await metricValue(metrics, deliveryMetricNames.deadLettered, { function: 'strict' })).toBe(1);
  });

  it('stop() waits for the delivery in flight, which is then acked', async () => {
    const stream = uniqueStream();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const fixture = await fixtureFunctions(() => released.then(() => 202));
    const { delivery, metrics } = await startDelivery({ stream, subscriptions: [{ name: 'slow', types: [EventType.AggregationRequested] }], addressTemplate: fixture.addressTemplate });

    await publishEvent(nc.jetstream(), stream, requested('org-4'));
    await waitFor('the delivery to start', () => fixture.received.length === 1);
    let stopped = false;
    const stopping = delivery.stop().then(() => (stopped = true));
    await sleep(300);
    expect(stopped).toBe(false);

    release();
    await stopping;
    expect(await metricValue(metrics, deliveryMetricNames.delivered, { function: 'slow' })).toBe(1);
    await nc.flush();
    await waitFor('the event acked', () => allAcked(stream));
    expect(fixture.received).toHaveLength(1);
    await expect(delivery.ready()).rejects.toThrow('stopping');
  });
});

describe('EventDelivery across NATS restarts', () => {
  it('reconnects after a restart, and re-creates streams and consumers a restart lost', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'polaris-delivery-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    let server = await startNatsServer({ stateDir });
    cleanups.push(() => server.stop());
    const own = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanups.push(() => own.close());
    const stream = { stream: `TEST_DLV_${randomBytes(5).toString('hex')}`, subjectPrefix: 'test.dlv.restart' };
    const fixture = await fixtureFunctions();
    const delivery = new EventDelivery({
      nats: async () => own,
      stream,
      subscriptions: [{ name: 'durable', types: [EventType.AggregationRequested] }],
      deliver: httpDeliverer({ addressTemplate: fixture.addressTemplate }),
      logger,
      metrics: new Registry(),
    });
    delivery.start();
    cleanups.push(() => delivery.stop());

    const publishWhenUp = (orgId: string) =>
      waitFor('the stream to take the event', () =>
        // A short timeout: a request buffered while reconnecting may go unanswered.
        publishEncodedEvent(own.jetstream(), stream, encodeCloudEvent(requested(orgId, `restart-${orgId}`)), 500).then(
          () => true,
          () => false,
        ),
      );
    // Delivery is at least once: an ack the server had not stored when it stopped brings an event again
    // after the restart (subscribers dedupe by ce-id), so the test waits for, and asserts, each event's arrival.
    const arrived = () => [...new Set(fixture.received.map((r) => JSON.parse(r.body).orgId as string))];
    const delivered = (orgId: string) => waitFor(`the delivery of ${orgId}`, () => arrived().includes(orgId));
    await publishWhenUp('before');
    await delivered('before');
    await waitFor('the first delivery acked', () => allAcked(stream, own).catch(() => false));

    await server.stop();
    server = await startNatsServer({ stateDir, port: server.port });
    await publishWhenUp('after-restart');
    await delivered('after-restart');

    await server.stop();
    rmSync(join(stateDir, 'nats'), { recursive: true, force: true });
    server = await startNatsServer({ stateDir, port: server.port });
    await publishWhenUp('after-store-lost');
    await delivered('after-store-lost');
    await waitFor('ready again', () => delivery.ready().then(() => true, () => false));

    expect(arrived()).toEqual(['before', 'after-restart', 'after-store-lost']);
    const ids = fixture.received.map((r) => r.headers['ce-id']);
    expect(new Set(ids)).toEqual(new Set(['restart-before', 'restart-after-restart', 'restart-after-store-lost']));
    await delivery.stop();
  }, 30_000);
});

describe('the delivery process (functions/event-plane/process.ts)', () => {
  it('delivers to the subscribed function, answers readiness, and exits 0 on SIGTERM', async () => {
    const stream = uniqueStream();
    const fixture = await fixtureFunctions();
    // A type exactly one registry function takes, so one delivery is expected.
    const subscriptions = subscriptionsFromRegistry();
    const subscribers = (type: string) => subscriptions.filter((s) => s.types.includes(type));
    const type = [EventType.AggregateUpdated, EventType.AggregationRequested].find((t) => subscribers(t).length === 1)!;
    const [subscriber] = subscribers(type);
    expect(subscriber).toBeDefined();

    const port = await findFreePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'functions/event-plane/process.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        NATS_URL: natsUrl,
        POLARIS_NATS_STREAM: stream.stream,
        POLARIS_NATS_SUBJECT_PREFIX: stream.subjectPrefix,
        POLARIS_DELIVERY_ADDRESS_TEMPLATE: fixture.addressTemplate,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    try {
      await waitForOk(`http://127.0.0.1:${port}/health/readiness`, 15_000);
      const event = newEvent(type, '/test/delivery-process', { orgId: 'org-5' } as never);
      await publishEvent(nc.jetstream(), stream, event);
      await waitFor('the delivery', () => fixture.received.length === 1);
      expect(fixture.received[0]).toMatchObject({ name: subscriber!.name, headers: { 'ce-id': event.id, 'ce-type': type } });
      await waitFor('the event acked', () => allAcked(stream));

      const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metricsText).toMatch(new RegExp(`${deliveryMetricNames.delivered}\\{[^}]*function="${subscriber!.name}"[^}]*\\} 1`));

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- delivery output ---\n${output}`);
    }
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['delivery listening', 'event delivery attached', 'shutting down']));
  });

  it('refuses an address template without {name}, listing every problem', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'functions/event-plane/process.ts')], {
      env: { PATH: process.env.PATH ?? '', PORT: 'x', POLARIS_DELIVERY_ADDRESS_TEMPLATE: '127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("delivery: POLARIS_DELIVERY_ADDRESS_TEMPLATE must contain '{name}'");
    expect(stderr).toContain('http: PORT must be a whole number');
  });
});
