/**
 * CloudEvents on NATS JetStream, per the CloudEvents NATS protocol binding in
 * structured mode: the message body is the JSON event and the header
 * `content-type` is `application/cloudevents+json`. Every message also carries
 * `Nats-Msg-Id: <event id>`, so JetStream drops a re-published event within
 * the stream's duplicate window.
 */
import { CloudEvent } from 'cloudevents';
import { headers, Match, type JetStreamClient, type JsMsg, type Msg, type PubAck, type StoredMsg } from 'nats';
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

const utf8 = new TextEncoder();

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
  return js.publish(subjectForEventType(config, event.type), utf8.encode(event.body), {
    msgID: event.id,
    headers: h,
    expect: { streamName: config.stream },
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
  });
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
