/**
 * Decoding and encoding of `POST /ingest` (the public contract, §3): one JSON
 * event, a JSON array of up to 1000, a structured CloudEvent or a CloudEvents
 * batch. Numbers are parsed losslessly, so a quantity is kept exactly as written.
 */
import type { FastifyInstance } from 'fastify';
import { parse as parseLosslessJson } from 'lossless-json';
import { CloudEventsMediaType, mediaTypeOf, readCloudEvent } from '../../shared/cloudevents.js';
import { NumberLiteral } from '../../shared/decimal.js';
import { httpStatusByKind, ValidationError, type FieldProblem } from '../../shared/errors.js';
import type { ErrorBody } from '../../shared/runtime/index.js';
import { jsonFieldNames, RecordStatus, type RawUsageEvent, type RecordOutcome, type UsageFieldNames } from './domain/index.js';

export const ingestContentTypes = {
  json: 'application/json',
  cloudEvent: CloudEventsMediaType.structured,
  cloudEventBatch: CloudEventsMediaType.batch,
} as const;

/** Events in one request at most. */
export const maxBatchEvents = 1000;

export const cloudEventFieldNames: UsageFieldNames = {
  metric: 'data.metric',
  quantity: 'data.quantity',
  timestamp: 'time',
  idempotencyKey: 'id',
  properties: 'data.properties',
};

/**
 * One item as decoded: an event with the organization it names, if any (a
 * service key's events must name one), or the problems that refuse it already.
 */
export type IngestItem = { event: RawUsageEvent; organization?: unknown } | { problems: FieldProblem[] };

export interface IngestRequest {
  /** An array was sent: answer per item. */
  batch: boolean;
  /** In request order. */
  items: IngestItem[];
  names: UsageFieldNames;
  /** What the wire calls an event's organization: `organization`, or `data.organization` in a CloudEvent. */
  organizationField: string;
}

/**
 * Parses the three JSON media types losslessly, every number as the
 * NumberLiteral it was written as; anything else answers 415.
 */
export function registerIngestParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.values(ingestContentTypes), { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseLosslessJson(body as string, null, NumberLiteral.of));
    } catch {
      done(new ValidationError([{ field: 'body', message: 'is not valid JSON' }]), undefined);
    }
  });
}

export function decodeIngestRequest(contentType: string | undefined, body: unknown, idempotencyHeader: string | undefined): IngestRequest {
  const mediaType = mediaTypeOf(contentType);
  const cloudEvents = mediaType !== ingestContentTypes.json;
  const names = cloudEvents ? cloudEventFieldNames : jsonFieldNames;
  const batch = Array.isArray(body);

  if (mediaType === ingestContentTypes.cloudEventBatch && !batch) throw bodyProblem('a CloudEvents batch must be a JSON array');
  if (mediaType === ingestContentTypes.cloudEvent && batch) throw bodyProblem('send an array as application/cloudevents-batch+json');
  if (batch && (body.length === 0 || body.length > maxBatchEvents)) throw bodyProblem(`must hold 1 to ${maxBatchEvents} events`);
  if (idempotencyHeader !== undefined) {
    if (batch) throw new ValidationError([{ field: 'Idempotency-Key', message: 'applies to a single event; give each item its own key' }]);
    if (cloudEvents) throw new ValidationError([{ field: 'Idempotency-Key', message: "a CloudEvent's id is its idempotency key" }]);
  }

  const values: unknown[] = batch ? body : [body];
  const items = values.map((value) => (cloudEvents ? decodeCloudEvent(value) : decodeJsonEvent(value, idempotencyHeader)));
  return { batch, items, names, organizationField: cloudEvents ? 'data.organization' : 'organization' };
}

function decodeJsonEvent(value: unknown, idempotencyHeader: string | undefined): IngestItem {
  if (!isPlainObject(value)) return { problems: [{ field: 'body', message: 'each event must be a JSON object' }] };
  const { metric, quantity, timestamp, idempotency_key: idempotencyKey, properties, organization, ...unknown } = value;
  const extra = Object.keys(unknown);
  if (extra.length > 0) return { problems: extra.map((field) => ({ field, message: 'is not a known field' })) };
  if (idempotencyHeader !== undefined && idempotencyKey !== undefined && idempotencyKey !== idempotencyHeader) {
    return { problems: [{ field: 'idempotency_key', message: 'differs from the Idempotency-Key header' }] };
  }
  return { event: { metric, quantity, timestamp, idempotencyKey: idempotencyKey ?? idempotencyHeader, properties }, organization };
}

function decodeCloudEvent(value: unknown): IngestItem {
  if (!isPlainObject(value)) return { problems: [{ field: 'body', message: 'each CloudEvent must be a JSON object' }] };
  // CloudEvent attributes are strings; number literals would fail the SDK's schema for the wrong reason.
  const attributes = Object.fromEntries(Object.entries(value).map(([key, v]) => [key, key !== 'data' && v instanceof NumberLiteral ? Number(v.text) : v]));
  const reading = readCloudEvent(attributes);
  if (!reading.ok) return { problems: reading.problems.map(({ attribute, message }) => ({ field: attribute ?? 'cloudevent', message })) };
  const { event } = reading;
  if ('data_base64' in value) return { problems: [{ field: 'data_base64', message: 'data must be a JSON object' }] };
  const data = event.data;
  if (!isPlainObject(data)) return { problems: [{ field: 'data', message: 'must be an object with metric and quantity' }] };
  const { metric, quantity, properties, organization, ...unknown } = data;
  const extra = Object.keys(unknown);
  if (extra.length > 0) return { problems: extra.map((field) => ({ field: `data.${field}`, message: 'is not a known field' })) };
  return {
    event: { metric, quantity, timestamp: (value as { time?: unknown }).time, idempotencyKey: event.id, eventType: event.type, properties },
    organization,
  };
}

/** The contract's answers: 202 for one event, 400 when it is rejected, 200 with per-item results for an array. */
export function ingestResponse(batch: boolean, outcomes: readonly RecordOutcome[]): { status: number; body: unknown } {
  if (!batch) {
    const outcome = outcomes[0]!;
    if (outcome.status === RecordStatus.Rejected) return { status: httpStatusByKind.VALIDATION, body: rejection(outcome.problems) };
    return { status: 202, body: { id: outcome.id, duplicate: outcome.status === RecordStatus.Duplicate } };
  }
  return {
    status: 200,
    body: {
      results: outcomes.map((outcome) =>
        outcome.status === RecordStatus.Rejected
          ? { status: outcome.status, error: rejection(outcome.problems).error }
          : { status: outcome.status, id: outcome.id },
      ),
    },
  };
}

function rejection(problems: FieldProblem[]): ErrorBody {
  const error = new ValidationError(problems);
  return { error: { code: error.code, message: error.message, fields: problems } };
}

function bodyProblem(message: string): ValidationError {
  return new ValidationError([{ field: 'body', message }]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof NumberLiteral);
}
