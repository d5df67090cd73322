/**
 * CloudEvents over HTTP, as Knative delivers them: binary mode (ce-* headers)
 * or structured mode (application/cloudevents+json), validated by the SDK.
 */
import { CloudEvent, HTTP, ValidationError as CloudEventValidationError } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import { Problems, ValidationError } from '../errors.js';

/**
 * Lets `app` receive any content type as a raw string: in binary mode the
 * data's own type is the request's Content-Type. Call inside an encapsulated
 * plugin so other routes keep strict JSON parsing.
 */
export function acceptAnyBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
}

/** The events in an HTTP request (a batch yields several); a ValidationError when malformed. */
export function eventsFromHttp(headers: Record<string, string | string[] | undefined>, body: unknown): CloudEvent<unknown>[] {
  try {
    const flatHeaders = Object.fromEntries(
      Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(',') : value]])),
    );
    requireEnvelope(flatHeaders, body);
    const parsed = HTTP.toEvent({ headers: flatHeaders, body: body === '' ? undefined : body });
    // The SDK types its result as the plain interface; the values are CloudEvent instances.
    const events = (Array.isArray(parsed) ? parsed : [parsed]) as CloudEvent<unknown>[];
    for (const event of events) event.validate();
    return events;
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const detail = err instanceof CloudEventValidationError ? cloudEventProblem(err) : err instanceof Error ? err.message : 'malformed';
    throw new ValidationError([{ field: 'cloudevent', message: detail }]);
  }
}

const requiredAttributes = ['specversion', 'id', 'source', 'type'] as const;

/**
 * Checks the required attributes before the SDK sees the message: it invents
 * a missing id and does not validate a specversion other than 1.0.
 */
function requireEnvelope(headers: Record<string, string>, body: unknown): void {
  const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const structured = contentType === 'application/cloudevents+json' || contentType === 'application/cloudevents-batch+json';
  let envelopes: unknown[];
  if (structured) {
    let parsed: unknown;
    try {
      parsed = typeof body === 'string' ? JSON.parse(body) : body;
    } catch {
      throw new ValidationError([{ field: 'body', message: 'is not valid JSON' }]);
    }
    envelopes = Array.isArray(parsed) ? parsed : [parsed];
  } else {
    envelopes = [Object.fromEntries(requiredAttributes.map((name) => [name, headers[`ce-${name}`]]))];
  }
  const problems = new Problems();
  for (const envelope of envelopes) {
    const attributes = (typeof envelope === 'object' && envelope !== null ? envelope : {}) as Record<string, unknown>;
    for (const name of requiredAttributes) {
      const field = structured ? name : `ce-${name}`;
      if (problems.check(typeof attributes[name] === 'string' && attributes[name] !== '', field, 'is required, a non-empty string') && name === 'specversion') {
        problems.check(attributes[name] === '1.0', field, 'must be 1.0');
      }
    }
  }
  problems.throwIfAny();
}

function cloudEventProblem(err: CloudEventValidationError): string {
  const first = (err.errors ?? [])[0] as { instancePath?: string; message?: string } | string | undefined;
  if (typeof first === 'string') return first;
  if (first?.message) return `${first.instancePath?.replace(/^\//, '') || 'event'} ${first.message}`;
  return err.message;
}
