/**
 * CloudEvents on NATS JetStream, per the CloudEvents NATS protocol binding in
 * structured mode: the message body is the JSON event and the header
 * `content-type` is `application/cloudevents+json`. Every message also carries
 * `Nats-Msg-Id: <event id>`, so JetStream drops a re-published event within
 * the stream's duplicate window.
 */
import { CloudEvent } from 'cloudevents';
import {
  headers,
  Match,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type Msg,
  type NatsConnection,
  type NatsError,
  type PubAck,
  type StoredMsg,
  type StreamInfo,
} from 'nats';
import { CloudEventsMediaType, mediaTypeOf, readCloudEvent, type CloudEventProblem } from '../cloudevents.js';
import type { RuntimeConfig } from '../config.js';
import { encodeCloudEvent, type EncodedEvent } from './types.js';

/** Where Polaris events live: the runtime config's `natsStream` and `natsSubjectPrefix`. */
export interface EventStreamConfig {
  /** JetStream stream name, e.g. `POLARIS_EVENTS`. */
  stream: string;
  /** Subjects are `<subjectPrefix>.<CloudEvent type>`, e.g. `polaris.events`. */
  subjectPrefix: string;
}

/** The event stream the runtime configuration names (`POLARIS_NATS_STREAM`, `POLARIS_NATS_SUBJECT_PREFIX`). */
export function eventStreamConfig(config: Pick<RuntimeConfig, 'natsStream' | 'natsSubjectPrefix'>): EventStreamConfig {
  return { stream: config.natsStream, subjectPrefix: config.natsSubjectPrefix };
}

/** The structured-mode content type, as the NATS binding and HTTP binding name it. */
export const cloudEventsContentType = CloudEventsMediaType.structured;

/**
 * Stream limits. The duplicate window bounds how late a re-publish (after a
 * relay crashed between JetStream's ack and its commit, or NATS was down for
 * a while) is still recognised; 10 minutes covers restarts and backoff.
 */
export const eventStreamLimits = {
  /** Milliseconds JetStream remembers a `Nats-Msg-Id`. */
  duplicateWindowMs: 10 * 60 * 1000,
  /** Milliseconds an event stays in the stream. */
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
} as const;

/** JetStream API error codes (`api_error.err_code`) this module tells apart. */
export const JetStreamErrorCode = {
  StreamNotFound: 10059,
  StreamNameInUse: 10058,
} as const;

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

/** The subject filter that matches every event on the stream: `<prefix>.>`. */
export function allEventsSubject(config: EventStreamConfig): string {
  return `${config.subjectPrefix}.>`;
}

/** The JetStream API error code of a failed request, if it has one. */
export function apiErrorCode(err: unknown): number | undefined {
  return (err as NatsError | null)?.api_error?.err_code;
}

/** A stream's info, undefined when it does not exist. */
export async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (apiErrorCode(err) === JetStreamErrorCode.StreamNotFound) return undefined;
    throw err;
  }
}

const sameSubjects = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  a !== undefined && a.length === b.length && b.every((subject) => a.includes(subject));

/**
 * Creates the event stream if it is missing: subjects `<prefix>.>`, file
 * storage, limits retention, a 10-minute duplicate window and a 7-day max age
 * ({@link eventStreamLimits}). An existing stream is updated only when its
 * subjects differ (its other limits are the operator's to change) and is
 * never deleted. Safe when several processes call it at once.
 *
 * @returns the stream's info after the call.
 * @throws NatsError when JetStream is unavailable, or another stream already owns the subjects.
 */
export async function ensureEventStream(nc: NatsConnection, config: EventStreamConfig): Promise<StreamInfo> {
  const jsm = await nc.jetstreamManager();
  const subjects = [allEventsSubject(config)];
  let info = await streamInfo(jsm, config.stream);
  if (info === undefined) {
    try {
      return await jsm.streams.add({
        name: config.stream,
        subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: nanos(eventStreamLimits.duplicateWindowMs),
        max_age: nanos(eventStreamLimits.maxAgeMs),
      });
    } catch (err) {
      // Another process created it first (with a config that differs in some
      // detail, or the server would have answered success): use theirs.
      if (apiErrorCode(err) !== JetStreamErrorCode.StreamNameInUse) throw err;
      info = await jsm.streams.info(config.stream);
    }
  }
  if (sameSubjects(info.config.subjects, subjects)) return info;
  return jsm.streams.update(config.stream, { subjects });
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

/**
 * Publishes a CloudEvent in structured mode to `<prefix>.<type>`, with
 * `Nats-Msg-Id` set to the event id. Services should not call this directly
 * for their own data changes: they enqueue events in the outbox, in the same
 * transaction, and the relay publishes them.
 *
 * @returns the ack; `ack.duplicate` is true when JetStream already had this id.
 */
export function publishCloudEvent(js: JetStreamClient, config: EventStreamConfig, event: CloudEvent<unknown>): Promise<PubAck> {
  return publishEncodedEvent(js, config, encodeCloudEvent(event));
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
