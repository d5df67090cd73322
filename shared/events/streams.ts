/**
 * JetStream streams: the one helper that creates a stream when it is missing,
 * and the specification of Polaris's event stream. Other streams (the
 * dead-letter stream) state their own specification and use the same helper.
 */
import { nanos, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection, type NatsError, type StreamInfo } from 'nats';
import type { RuntimeConfig } from '../config.js';

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

/** What {@link ensureStream} creates: a file-backed stream with limits retention. */
export interface StreamSpec {
  name: string;
  subjects: readonly string[];
  /** Milliseconds JetStream remembers a `Nats-Msg-Id`. */
  duplicateWindowMs: number;
  /** Milliseconds a message is kept. */
  maxAgeMs: number;
}

/** JetStream API error codes (`api_error.err_code`) this module tells apart. */
const JetStreamErrorCode = {
  StreamNotFound: 10059,
  StreamNameInUse: 10058,
} as const;

/** The subject filter that matches every event on the stream: `<prefix>.>`. */
export function allEventsSubject(config: EventStreamConfig): string {
  return `${config.subjectPrefix}.>`;
}

/** The event stream: subjects `<prefix>.>`, a 10-minute duplicate window, 7 days of events ({@link eventStreamLimits}). */
export function eventStreamSpec(config: EventStreamConfig): StreamSpec {
  return { name: config.stream, subjects: [allEventsSubject(config)], ...eventStreamLimits };
}

/**
 * Creates the stream if it is missing. An existing stream is updated only
 * when its subjects differ (its other limits are the operator's to change) and
 * is never deleted. Safe when several processes call it at once.
 *
 * @returns the stream's info after the call.
 * @throws NatsError when JetStream is unavailable, or another stream already owns the subjects.
 */
export async function ensureStream(nc: NatsConnection, spec: StreamSpec): Promise<StreamInfo> {
  const jsm = await nc.jetstreamManager();
  const subjects = [...spec.subjects];
  let info = await streamInfo(jsm, spec.name);
  if (info === undefined) {
    try {
      return await jsm.streams.add({
        name: spec.name,
        subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: nanos(spec.duplicateWindowMs),
        max_age: nanos(spec.maxAgeMs),
      });
    } catch (err) {
      // Another process created it first (with a config that differs in some
      // detail, or the server would have answered success): use theirs.
      if (apiErrorCode(err) !== JetStreamErrorCode.StreamNameInUse) throw err;
      info = await jsm.streams.info(spec.name);
    }
  }
  const current = info.config.subjects ?? [];
  if (current.length === subjects.length && subjects.every((subject) => current.includes(subject))) return info;
  return jsm.streams.update(spec.name, { subjects });
}

/** A stream's info, undefined when it does not exist. */
async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (apiErrorCode(err) === JetStreamErrorCode.StreamNotFound) return undefined;
    throw err;
  }
}

/** The JetStream API error code of a failed request, if it has one. */
function apiErrorCode(err: unknown): number | undefined {
  return (err as NatsError | null)?.api_error?.err_code;
}
