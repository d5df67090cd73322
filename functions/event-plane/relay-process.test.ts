/**
 * The cluster's outbox relay process against real PostgreSQL and NATS: a
 * service's committed event reaches the sink (a stand-in for the Knative
 * Broker's ingress, which the tests do not run), and a dead letter posted the
 * way a Trigger's delivery posts one lands in the dead-letter stream as
 * `npm start`'s delivery stores it.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'nats';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { deleteStream } from '../../test/support/nats.js';
import { enqueueEvents, EventType, newEvent } from '../../shared/events/index.js';
import { DeadLetterHeader, deadLetterStreamName } from './dead-letter.js';
import { deadLetterSinkUri } from './dead-letter-sink.js';
import { loadRelayConfig, startRelayProcess, type RunningRelay } from './relay-process.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const id = randomBytes(4).toString('hex');
const stream = { stream: `TEST_RELAY_${id}`, subjectPrefix: `test.relay.${id}` };
const received: Array<{ id: string; type: string }> = [];
const sink = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    const event = JSON.parse(body) as { id: string; type: string };
    received.push({ id: event.id, type: event.type });
    response.writeHead(202).end();
  });
});
let db: TestDatabase;
let relay: RunningRelay;

beforeAll(async () => {
  db = await createTestDatabase();
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const config = loadRelayConfig({
    DATABASE_URL: db.url,
    NATS_URL: natsUrl,
    POLARIS_NATS_STREAM: stream.stream,
    POLARIS_NATS_SUBJECT_PREFIX: stream.subjectPrefix,
    K_SINK: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/polaris/default`,
    PORT: '0',
  });
  relay = await startRelayProcess(config, { logger: pino({ level: 'silent' }), host: '127.0.0.1' });
});

afterAll(async () => {
  await relay?.close();
  await new Promise((resolve) => sink.close(resolve));
  await deleteStream(natsUrl, deadLetterStreamName(stream));
  await db?.drop();
});

describe('the outbox relay process', () => {
  it('refuses to start without K_SINK or DATABASE_URL, naming both', () => {
    expect(() => loadRelayConfig({})).toThrow(/K_SINK is not set[\s\S]*DATABASE_URL is not set/);
  });

  it("relays a service's committed event to K_SINK and empties the outbox", async () => {
    const event = newEvent(EventType.AggregationCompleted, '/polaris/usage', { events: 1 });
    await enqueueEvents(db.sql, 'usage', [event]);
    // The row goes once the sink's 2xx is committed.
    const outboxCount = async () => (await db.sql<{ count: number }[]>`select count(*)::int as count from usage.outbox`)[0]!.count;
    const deadline = Date.now() + 10_000;
    while ((await outboxCount()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await outboxCount()).toBe(0);
    expect(received.filter((r) => r.id === event.id)).toEqual([{ id: event.id, type: EventType.AggregationCompleted }]);
  });

  it('stores a Trigger\'s dead letter in the dead-letter stream with the headers npm start sets, once, and refuses a request naming no function', async () => {
    const base = `http://127.0.0.1:${relay.port}`;
    const eventId = `dead-${id}`;
    const post = (path: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': eventId,
          'ce-source': '/polaris/usage',
          'ce-type': EventType.AggregateUpdated,
          'ce-knativeerrorcode': '500',
          'ce-knativeerrordest': 'http://broker-filter.knative-eventing.svc.cluster.local/triggers/polaris/on-aggregate-updated/1',
          'ce-knativeerrordata': Buffer.from('{"error":"boom"}').toString('base64'),
          'content-type': 'application/json',
        },
        body: '{"orgId":"org-1"}',
      });
    expect((await post(deadLetterSinkUri('on-aggregate-updated', 8))).status).toBe(202);
    expect((await post(deadLetterSinkUri('on-aggregate-updated', 8))).status).toBe(202);
    const refused = await post('/dead-letters');
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('function:');

    const nc = await connect({ servers: natsUrl });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(deadLetterStreamName(stream));
      expect(info.state.messages).toBe(1);
      const message = await jsm.streams.getMessage(deadLetterStreamName(stream), { seq: info.state.first_seq });
      expect(message.subject).toBe(`dead-letter.${stream.subjectPrefix}.on-aggregate-updated`);
      expect(message.header.get(DeadLetterHeader.Function)).toBe('on-aggregate-updated');
      expect(message.header.get(DeadLetterHeader.Attempts)).toBe('8');
      expect(message.header.get(DeadLetterHeader.Error)).toBe(
        'answered 500 from http://broker-filter.knative-eventing.svc.cluster.local/triggers/polaris/on-aggregate-updated/1: {"error":"boom"}',
      );
      const stored = JSON.parse(new TextDecoder().decode(message.data)) as Record<string, unknown>;
      expect(stored).toMatchObject({ id: eventId, type: EventType.AggregateUpdated, data: { orgId: 'org-1' } });
      expect(Object.keys(stored).filter((key) => key.startsWith('knativeerror'))).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
