/**
 * CloudEvents on NATS JetStream, per the CloudEvents NATS protocol binding in
 * structured mode: the message body is the JSON event and the header
 * `content-type` is `application/cloudevents+json`. Every message also carries
 * `Nats-Msg-Id: <event id>`, so JetStream drops a re-published event within
 * the stream's duplicate window.
 */
import { CloudEvent } from 'cloudevents';
import { createInbox, ErrorCode, headers, Match, NatsError, type ApiError, type JetStreamClient, type JsMsg, type Msg, type MsgHdrs, type NatsConnection, type PubAck, type StoredMsg } from 'nats';
import { CloudEventsMediaType, mediaTypeOf, readCloudEvent, type CloudEventProblem } from '../cloudevents.js';
import type { EventStreamConfig } from './streams.js';
import type { EncodedEvent } from './types.js';

/** The structured-mode content type, as the NATS binding and HTTP binding name it. */
export const cloudEventsContentType = CloudEventsMediaType.structured;

/** A NATS message that is not a structured-mode CloudEvent. The payload is never part of the message. */
export class EventDecodeError extends Error {
  override name = 'EventDecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The subject an event type is published on: `<prefix>.<type>`. The dots of
 * the type become subject tokens, so `polaris.events.dev.polaris.usage.>`
 * selects Usage's events.
 *
 * @throws Error when the type holds characters a subject token cannot (space, `*`, `>`, empty tokens).
 */
export function subjectForEventType(config: EventStreamConfig, type: string): string {
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(type)) throw new Error(`event type '${type}' cannot be a NATS subject`);
  return `${config.subjectPrefix}.${type}`;
}

/**
 * A string's UTF-8 bytes. `Buffer.from` slices small strings out of a shared
 * pool, where `TextEncoder.encode` makes a new ArrayBuffer for each: 5–15
 * times slower for an event (Node 20 and 24), and garbage the collector must
 * track. The relay encodes every event it publishes, and its headers.
 */
function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/**
 * Publishes an encoded event to `<prefix>.<type>` with `Nats-Msg-Id` and the
 * structured-mode content type, and waits for JetStream's ack.
 *
 * @param timeoutMs how long to wait for the ack; default the client's (5000 ms).
 * @returns the ack; `ack.duplicate` is true when JetStream already had this id.
 * @throws NatsError `TIMEOUT`, `503` (no stream/JetStream answers), `CONNECTION_CLOSED`, …
 */
export async function publishEncodedEvent(js: JetStreamClient, config: EventStreamConfig, event: EncodedEvent, timeoutMs?: number): Promise<PubAck> {
  const h = headers();
  h.set('content-type', cloudEventsContentType);
  return js.publish(subjectForEventType(config, event.type), utf8(event.body), {
    msgID: event.id,
    headers: h,
    expect: { streamName: config.stream },
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
  });
}

/** How one event of {@link publishEncodedEvents} went: taken (`duplicate`: the stream had its id already), or why not. */
export type PublishOutcome = PromiseSettledResult<{ duplicate: boolean }>;

/**
 * Publishes events to JetStream pipelined, with the guarantees of
 * {@link publishEncodedEvent} for each (its subject, `Nats-Msg-Id`, the
 * stream expected, an ack or an error of its own): every message goes out at
 * once with a reply subject of one inbox, and their acks come back on one
 * subscription within one timeout. `js.publish` makes a request, a timer and
 * a headers object per event: under load, a third of what the outbox relay
 * allocated (`npm run bench`, section batch).
 *
 * @returns each event's outcome, in order: a NatsError as `js.publish` would
 *   throw it (`503` when no stream answers, `TIMEOUT`, the stream's API error
 *   with `api_error`, `MAX_PAYLOAD_EXCEEDED`, …).
 */
export async function publishEncodedEvents(nc: NatsConnection, config: EventStreamConfig, events: readonly EncodedEvent[], timeoutMs: number): Promise<PublishOutcome[]> {
  const outcomes: (PublishOutcome | undefined)[] = new Array(events.length);
  if (events.length === 0) return [];
  const inbox = createInbox();
  let waiting = events.length;
  let allSettled!: () => void;
  const settled = new Promise<void>((resolve) => (allSettled = resolve));
  const settle = (index: number, outcome: PublishOutcome) => {
    if (outcomes[index] !== undefined) return;
    outcomes[index] = outcome;
    if (--waiting === 0) allSettled();
  };
  // Subscribed before the first publish on the same connection, so no ack can come before it.
  const subscription = nc.subscribe(`${inbox}.*`, {
    callback: (err, msg) => {
      if (err) return; // the connection closing: what is unsettled times out
      const index = Number(msg.subject.slice(inbox.length + 1));
      if (Number.isInteger(index) && index >= 0 && index < events.length) settle(index, ackOutcome(msg));
    },
  });
  const timer = setTimeout(allSettled, timeoutMs);
  try {
    events.forEach((event, index) => {
      try {
        nc.publish(subjectForEventType(config, event.type), utf8(event.body), { reply: `${inbox}.${index}`, headers: eventHeaders(event.id, config.stream) });
      } catch (err) {
        settle(index, { status: 'rejected', reason: err });
      }
    });
    await settled;
  } finally {
    clearTimeout(timer);
    subscription.unsubscribe();
  }
  return outcomes.map((outcome) => outcome ?? { status: 'rejected', reason: NatsError.errorForCode(ErrorCode.Timeout) });
}

/**
 * An event's message headers, as `publishEncodedEvent` sets them, encoded
 * once: publishing only asks headers for `encode()`, and nats.js's own would
 * build a map and canonicalize each key for every event.
 *
 * @throws NatsError BAD_HEADER when the id or stream holds a line break (as nats.js's headers refuse one).
 */
function eventHeaders(eventId: string, stream: string): MsgHdrs {
  if (/[\r\n]/.test(eventId + stream)) throw new NatsError('an event id or stream name holds a line break, which no header value may', ErrorCode.BadHeader);
  return new EncodedHeaders(utf8(`NATS/1.0\r\ncontent-type: ${cloudEventsContentType}\r\nNats-Msg-Id: ${eventId}\r\nNats-Expected-Stream: ${stream}\r\n\r\n`)) as unknown as MsgHdrs;
}

/** Headers already encoded; `encode()` is all a publish calls. */
class EncodedHeaders {
  constructor(private readonly bytes: Uint8Array) {}
  encode(): Uint8Array {
    return this.bytes;
  }
}

/** A JetStream publish ack (or the server's no-responders status) as an outcome, as `js.publish` reads it. */
function ackOutcome(msg: Msg): PublishOutcome {
  if (msg.headers?.hasError) {
    const code = msg.headers.code;
    return { status: 'rejected', reason: code === 503 ? NatsError.errorForCode(ErrorCode.NoResponders) : new NatsError(msg.headers.description || `status ${code}`, String(code)) };
  }
  let ack: { stream?: string; duplicate?: boolean; error?: ApiError };
  try {
    ack = JSON.parse(utf8Decoder.decode(msg.data)) as typeof ack;
  } catch {
    return { status: 'rejected', reason: NatsError.errorForCode(ErrorCode.JetStreamInvalidAck) };
  }
  if (ack.error) {
    const error = new NatsError(ack.error.description ?? `JetStream error ${ack.error.code}`, ack.error.code === 503 ? ErrorCode.JetStreamNotEnabled : String(ack.error.code));
    error.api_error = ack.error;
    return { status: 'rejected', reason: error };
  }
  if (!ack.stream) return { status: 'rejected', reason: NatsError.errorForCode(ErrorCode.JetStreamInvalidAck) };
  return { status: 'fulfilled', value: { duplicate: ack.duplicate === true } };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a structured-mode message (a consumed `JsMsg`, a core `Msg`, or a
 * `StoredMsg` from `jsm.streams.getMessage`) into a validated CloudEvent.
 * A message without `content-type` is read as structured mode too (the NATS
 * binding's original form).
 *
 * @throws EventDecodeError when the content type is another, or the body is not UTF-8 JSON of a valid CloudEvent.
 */
export function decodeCloudEvent(msg: JsMsg | Msg | StoredMsg): CloudEvent<unknown> {
  const hdrs = 'header' in msg ? msg.header : msg.headers;
  const contentType = hdrs?.has('content-type', Match.IgnoreCase) ? hdrs.get('content-type', Match.IgnoreCase) : undefined;
  if (contentType !== undefined && mediaTypeOf(contentType) !== cloudEventsContentType) {
    throw new EventDecodeError(`not a structured-mode CloudEvent: content-type is '${contentType}'`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(msg.data));
  } catch (err) {
    throw new EventDecodeError('not a structured-mode CloudEvent: the body is not UTF-8 JSON', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EventDecodeError('not a structured-mode CloudEvent: the body is not a JSON object');
  }
  const reading = readCloudEvent(parsed as Record<string, unknown>);
  if (!reading.ok) throw new EventDecodeError(`invalid CloudEvent: ${describeProblems(reading.problems)}`, { cause: reading.cause });
  return reading.event;
}

/** `missing id, source`, then any other problem as `<attribute> <message>`. */
function describeProblems(problems: readonly CloudEventProblem[]): string {
  const missing = problems.filter((p) => p.missing).map((p) => p.attribute);
  const others = problems.filter((p) => !p.missing).map((p) => (p.attribute ? `${p.attribute} ${p.message}` : p.message));
  return [...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []), ...others].join('; ');
}
