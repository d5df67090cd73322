/** Structured-mode encoding and the event stream, against the NATS server on 127.0.0.1:4222. */
import { randomBytes } from 'node:crypto';
import { connect, ErrorCode, headers, nanos, type Msg, type NatsConnection, type NatsError } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeCloudEvent,
  encodeCloudEvent,
  ensureStream,
  EventDecodeError,
  eventStreamSpec,
  eventStreamLimits,
  EventType,
  newEvent,
  publishEncodedEvents,
  subjectForEventType,
} from './index.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function natsConnection(): Promise<NatsConnection> {
  const nc = await connect({ servers: natsUrl });
  cleanups.push(() => nc.close());
  return nc;
}

function uniqueStream(nc: NatsConnection) {
  const id = randomBytes(5).toString('hex');
  const config = { stream: `TEST_${id}`, subjectPrefix: `test.${id}` };
  cleanups.push(async () => (await nc.jetstreamManager()).streams.delete(config.stream).catch(() => undefined));
  return config;
}

const pingEvent = () => newEvent(EventType.KnativePing, '/apis/v1/namespaces/polaris/pingsources/aggregate', { reason: 'schedule' });

describe('ensureStream', () => {
  it('creates the stream once however many processes race to create it', async () => {
    const connections = await Promise.all([natsConnection(), natsConnection(), natsConnection(), natsConnection()]);
    const config = uniqueStream(connections[0]!);
    const infos = await Promise.all(connections.map((nc) => ensureStream(nc, eventStreamSpec(config))));
    for (const info of infos) expect(info.config.subjects).toEqual([`${config.subjectPrefix}.>`]);
    const { config: created } = infos[0]!;
    expect(created.storage).toBe('file');
    expect(created.retention).toBe('limits');
    expect(created.duplicate_window).toBe(nanos(eventStreamLimits.duplicateWindowMs));
    expect(created.max_age).toBe(nanos(eventStreamLimits.maxAgeMs));
  });

  it('updates only the subjects of an existing stream, keeping its messages and other limits', async () => {
    const nc = await natsConnection();
    const config = uniqueStream(nc);
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: config.stream, subjects: [`${config.subjectPrefix}.old`], max_age: nanos(60_000) });
    await nc.jetstream().publish(`${config.subjectPrefix}.old`);

    const info = await ensureStream(nc, eventStreamSpec(config));
    expect(info.config.subjects).toEqual([`${config.subjectPrefix}.>`]);
    expect(info.config.max_age).toBe(nanos(60_000));
    expect(info.state.messages).toBe(1);
  });
});

describe('subjectForEventType', () => {
  it('appends the type to the prefix, and refuses types that are no subject', () => {
    expect(subjectForEventType({ stream: 'S', subjectPrefix: 'polaris.events' }, EventType.UsageRecorded)).toBe('polaris.events.dev.polaris.usage.recorded');
    expect(() => subjectForEventType({ stream: 'S', subjectPrefix: 'p' }, 'a.*')).toThrow('cannot be a NATS subject');
    expect(() => subjectForEventType({ stream: 'S', subjectPrefix: 'p' }, 'a..b')).toThrow('cannot be a NATS subject');
  });
});

describe('newEvent', () => {
  it('builds a valid JSON CloudEvent with the given id, time and subject', () => {
    const event = newEvent(EventType.AggregationRequested, '/polaris/usage', { orgId: 'org-1' }, { id: 'e-1', time: '2024-05-01T00:00:00.000Z', subject: 'org-1' });
    expect(event).toMatchObject({ specversion: '1.0', id: 'e-1', type: 'dev.polaris.aggregation.requested', subject: 'org-1', datacontenttype: 'application/json' });
    expect(event.time).toBe('2024-05-01T00:00:00.000Z');
    expect(newEvent(EventType.AggregationRequested, '/polaris/usage', {}).id).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => newEvent(EventType.AggregationRequested, '', {})).toThrow();
  });
});

describe('decodeCloudEvent', () => {
  const encoder = new TextEncoder();
  const msg = (body: string, contentType?: string) => {
    const h = headers();
    if (contentType) h.set('Content-Type', contentType);
    return { data: encoder.encode(body), headers: h, subject: 's' } as unknown as Msg;
  };

  it('reads structured mode, with or without the content type header', () => {
    const event = pingEvent();
    expect(decodeCloudEvent(msg(JSON.stringify(event), 'application/cloudevents+json; charset=utf-8')).id).toBe(event.id);
    expect(decodeCloudEvent(msg(JSON.stringify(event))).data).toEqual(event.data);
  });

  it('rejects garbage with a clear error', () => {
    expect(() => decodeCloudEvent(msg('not json'))).toThrow(EventDecodeError);
    expect(() => decodeCloudEvent(msg('not json'))).toThrow('not UTF-8 JSON');
    expect(() => decodeCloudEvent(msg('[1]'))).toThrow('not a JSON object');
    expect(() => decodeCloudEvent(msg('{"type":"x","source":"/s","specversion":"1.0"}'))).toThrow('missing id');
    expect(() => decodeCloudEvent(msg('{"id":"1","type":"x","source":"","specversion":"1.0"}'))).toThrow('invalid CloudEvent: source');
    expect(() => decodeCloudEvent(msg(JSON.stringify(pingEvent()), 'application/json'))).toThrow("content-type is 'application/json'");
  });
});

describe('publishEncodedEvents', () => {
  it("publishes each event once with its id, reads each ack as its own, and fails only the events JetStream or the client refused", async () => {
    const nc = await natsConnection();
    const config = uniqueStream(nc);
    await ensureStream(nc, eventStreamSpec(config));
    const [first, second] = [encodeCloudEvent(pingEvent()), encodeCloudEvent(pingEvent())];
    const tooLarge = { ...encodeCloudEvent(pingEvent()), body: 'x'.repeat(nc.info!.max_payload + 1) };
    const badType = { ...encodeCloudEvent(pingEvent()), type: 'not a subject' };
    const badId = { ...encodeCloudEvent(pingEvent()), id: 'an id\r\nNats-Msg-Id: another' };

    const outcomes = await publishEncodedEvents(nc, config, [first, tooLarge, second, first, badType, badId], 5_000);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.duplicate : undefined))).toEqual([false, undefined, false, true, undefined, undefined]);
    expect((outcomes[5] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.BadHeader });
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.MaxPayloadExceeded });

    // Stored once each, as js.publish stores them: the id as Nats-Msg-Id, structured mode.
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(config.stream)).state.messages).toBe(2);
    const stored = await jsm.streams.getMessage(config.stream, { seq: 1 });
    expect(stored.header.get('Nats-Msg-Id')).toBe(first.id);
    expect(decodeCloudEvent(stored).id).toBe(first.id);
  });

  it('stores every event’s body byte for byte, whatever its characters and size', async () => {
    const nc = await natsConnection();
    const config = uniqueStream(nc);
    await ensureStream(nc, eventStreamSpec(config));
    // Bodies are encoded from a shared pool while small and on their own when large (over 4 KiB):
    // each stored message must still be its own event's UTF-8, in order.
    const texts = ['Zürich', '東京の利用', 'growth 📈', 'a'.repeat(5_000), 'ß'.repeat(3_000), 'plain'];
    const events = texts.map((text) => encodeCloudEvent(newEvent(EventType.KnativePing, '/polaris/test', { text })));

    const outcomes = await publishEncodedEvents(nc, config, events, 5_000);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(texts.map(() => 'fulfilled'));
    const jsm = await nc.jetstreamManager();
    for (const [index, event] of events.entries()) {
      const stored = await jsm.streams.getMessage(config.stream, { seq: index + 1 });
      expect(Buffer.from(stored.data).equals(Buffer.from(event.body, 'utf8'))).toBe(true);
      expect(decodeCloudEvent(stored).data).toEqual({ text: texts[index] });
    }
  });

  it('answers each event with the stream’s own error: 503 when no stream takes the subject, the API error when another stream does', async () => {
    const nc = await natsConnection();
    const missing = uniqueStream(nc);
    const [noStream] = await publishEncodedEvents(nc, missing, [encodeCloudEvent(pingEvent())], 5_000);
    expect((noStream as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.NoResponders });

    const config = uniqueStream(nc);
    await ensureStream(nc, eventStreamSpec(config));
    const [wrongStream] = await publishEncodedEvents(nc, { ...config, stream: `${config.stream}_OTHER` }, [encodeCloudEvent(pingEvent())], 5_000);
    const reason = (wrongStream as PromiseRejectedResult).reason as NatsError;
    expect(reason.api_error?.code).toBe(400);
    expect((await (await nc.jetstreamManager()).streams.info(config.stream)).state.messages).toBe(0);
  });
});
