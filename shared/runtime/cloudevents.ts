/**
 * CloudEvents over HTTP, as Knative delivers them: binary mode (ce-* headers)
 * or structured mode (application/cloudevents+json), validated by the SDK.
 */
import { CloudEvent, HTTP, ValidationError as CloudEventValidationError } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';

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

function cloudEventProblem(err: CloudEventValidationError): string {
  const first = (err.errors ?? [])[0] as { instancePath?: string; message?: string } | string | undefined;
  if (typeof first === 'string') return first;
  if (first?.message) return `${first.instancePath?.replace(/^\//, '') || 'event'} ${first.message}`;
  return err.message;
}
