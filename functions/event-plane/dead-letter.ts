/**
 * The dead-letter stream: where an event goes when a function did not take it
 * within its attempts, or when the message is no CloudEvent at all. Its
 * subjects live outside the event stream's `<prefix>.>`, so dead letters are
 * never consumed as events; an operator reads them (`nats stream view`) and
 * re-publishes what should be retried.
 */
import { allEventsSubject, eventStreamLimits, type EventStreamConfig, type StreamSpec } from '../../shared/events/index.js';

/**
 * Headers a dead-lettered message carries besides the original ones. The
 * original `Nats-*` headers are dropped: they instruct the server (an expected
 * stream, the message id) and would make the dead-letter publish fail.
 */
export const DeadLetterHeader = {
  /** The registry name of the function that did not take the event. */
  Function: 'Polaris-Delivery-Function',
  /** Delivery attempts made to the function (0 when the message could not be decoded). */
  Attempts: 'Polaris-Delivery-Attempts',
  /** The last error, one line of at most {@link deadLetterLimits.errorMaxLength} characters; never the payload. */
  Error: 'Polaris-Delivery-Error',
  /** The subject the event was published on, e.g. `polaris.events.dev.polaris.aggregate.updated`. */
  Subject: 'Polaris-Delivery-Subject',
  /** The event's sequence number in the event stream. */
  Sequence: 'Polaris-Delivery-Sequence',
} as const;
/** The name of one of the {@link DeadLetterHeader} headers. */
export type DeadLetterHeader = (typeof DeadLetterHeader)[keyof typeof DeadLetterHeader];

/** Limits of the dead-letter stream. */
export const deadLetterLimits = {
  /** Milliseconds a dead letter is kept: 30 days, time for an operator to look. */
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
  /** Milliseconds JetStream remembers a dead letter's `Nats-Msg-Id` (as the event stream). */
  duplicateWindowMs: eventStreamLimits.duplicateWindowMs,
  /** Characters of an error message kept in {@link DeadLetterHeader.Error}. */
  errorMaxLength: 300,
} as const;

/** The first token of every dead-letter subject. */
const deadLetterRoot = 'dead-letter';


/** The dead-letter stream of an event stream: `<stream>_DEAD_LETTER`. */
export function deadLetterStreamName(config: EventStreamConfig): string {
  return `${config.stream}_DEAD_LETTER`;
}

/**
 * Where a function's dead letters are published: `dead-letter.<prefix>.<function>`.
 *
 * @throws Error when the function name cannot be a subject token.
 */
export function deadLetterSubject(config: EventStreamConfig, functionName: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(functionName)) throw new Error(`function name '${functionName}' cannot be a NATS subject token`);
  return `${deadLetterRoot}.${config.subjectPrefix}.${functionName}`;
}

/** The subject filter of every dead letter of the stream: `dead-letter.<prefix>.>`. */
export function allDeadLettersSubject(config: EventStreamConfig): string {
  return `${deadLetterRoot}.${config.subjectPrefix}.>`;
}

/**
 * The dead-letter stream: subjects `dead-letter.<prefix>.>`, 30 days of dead
 * letters ({@link deadLetterLimits}).
 *
 * @throws Error when the dead-letter subjects would fall inside the event stream's (a prefix starting with `dead-letter.`).
 */
export function deadLetterStreamSpec(config: EventStreamConfig): StreamSpec {
  // `<prefix>.>` matches `dead-letter.<prefix>.x` only when that starts with `<prefix>.`.
  if (`${deadLetterRoot}.${config.subjectPrefix}.`.startsWith(`${config.subjectPrefix}.`)) {
    throw new Error(`dead letters of '${allEventsSubject(config)}' would be consumed as events: choose a subject prefix not starting with '${deadLetterRoot}.'`);
  }
  return {
    name: deadLetterStreamName(config),
    subjects: [allDeadLettersSubject(config)],
    duplicateWindowMs: deadLetterLimits.duplicateWindowMs,
    maxAgeMs: deadLetterLimits.maxAgeMs,
  };
}

/** One line of at most {@link deadLetterLimits.errorMaxLength} characters, safe as a header value. */
export function deadLetterErrorText(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string' && !text.includes(code)) text = `${text} (${code})`;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, deadLetterLimits.errorMaxLength);
}

