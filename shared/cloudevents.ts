/**
 * The CloudEvents checks every receiver shares: events over HTTP for event
 * functions (shared/runtime/cloudevents.ts), structured CloudEvents in
 * `POST /ingest`, and JetStream messages (shared/events/nats.ts). Each finds
 * the same problems here and wraps them in its own error, under its own field
 * names (`ce-id` for a binary-mode header, `id` in a JSON envelope).
 */
import { CloudEvent, ValidationError as SdkValidationError } from 'cloudevents';

/** The media types of structured mode: one event, or a batch (a JSON array). */
export const CloudEventsMediaType = {
  structured: 'application/cloudevents+json',
  batch: 'application/cloudevents-batch+json',
} as const;

/**
 * The media type of a `Content-Type` value, `type/subtype` without its
 * parameters, lower-cased (RFC 9110 §8.3.1: type and subtype are
 * case-insensitive tokens). '' when there is no header.
 */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The attributes every CloudEvent must carry (CloudEvents 1.0 §3.1). */
export const requiredAttributes = ['specversion', 'id', 'source', 'type'] as const;
export type RequiredAttribute = (typeof requiredAttributes)[number];

/** The one spec version Polaris reads. */
export const supportedSpecVersion = '1.0';

/** One problem with a CloudEvent, for the caller to name in its own words. */
export interface CloudEventProblem {
  /** The required attribute at fault; undefined for a problem the SDK's validation found (its message names the attribute). */
  attribute?: RequiredAttribute;
  /** True when the attribute is absent or not a string (rather than empty, or an unsupported version). */
  missing?: boolean;
  /** e.g. `is required, a non-empty string`, `must be 1.0`, `source must NOT have fewer than 1 characters`. */
  message: string;
}

/** A problem with one required attribute. */
export interface AttributeProblem extends CloudEventProblem {
  attribute: RequiredAttribute;
  missing: boolean;
}

/**
 * Checks the required attributes before the SDK sees an event: it invents a
 * missing id (the idempotency key of ingest) and does not validate an event
 * whose specversion is not 1.0. Every problem is reported, in attribute order.
 *
 * @param attributes the envelope: a structured-mode JSON object, or binary-mode headers by attribute name.
 */
export function requiredAttributeProblems(attributes: Readonly<Record<string, unknown>>): AttributeProblem[] {
  const problems: AttributeProblem[] = [];
  for (const attribute of requiredAttributes) {
    const value = attributes[attribute];
    if (typeof value !== 'string' || value === '') {
      problems.push({ attribute, missing: typeof value !== 'string', message: 'is required, a non-empty string' });
    } else if (attribute === 'specversion' && value !== supportedSpecVersion) {
      problems.push({ attribute, missing: false, message: `must be ${supportedSpecVersion}` });
    }
  }
  return problems;
}

/** A CloudEvent read from a structured-mode JSON object, or every problem that refuses it. */
export type CloudEventReading =
  | { ok: true; event: CloudEvent<unknown> }
  | { ok: false; problems: CloudEventProblem[]; /** The SDK's error, when it found the problem. */ cause?: unknown };

/**
 * Reads one structured-mode event: the required attributes first
 * ({@link requiredAttributeProblems}), then the SDK's own validation.
 */
export function readCloudEvent(attributes: Readonly<Record<string, unknown>>): CloudEventReading {
  const problems = requiredAttributeProblems(attributes);
  if (problems.length > 0) return { ok: false, problems };
  try {
    return { ok: true, event: new CloudEvent<unknown>(attributes as object, true) };
  } catch (err) {
    return { ok: false, problems: [{ message: cloudEventProblem(err) }], cause: err };
  }
}

/**
 * The first problem the SDK reports, as `<attribute> <message>`
 * (`source must NOT have fewer than 1 characters`); for any other error its
 * message's first line (the SDK's own messages append every problem as JSON).
 */
export function cloudEventProblem(err: unknown): string {
  if (err instanceof SdkValidationError) {
    const first = (err.errors ?? [])[0] as { instancePath?: string; message?: string } | string | undefined;
    if (typeof first === 'string') return first;
    if (first?.message) return `${first.instancePath?.replace(/^\//, '') || 'event'} ${first.message}`;
  }
  return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : 'is not a valid CloudEvent';
}
