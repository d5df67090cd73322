/**
 * CloudEvents over HTTP, as Knative delivers them: binary mode (ce-* headers)
 * or structured mode (application/cloudevents+json), validated by the SDK.
 */
import { CloudEvent, HTTP } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import { CloudEventsMediaType, cloudEventProblem, mediaTypeOf, requiredAttributeProblems, requiredAttributes } from '../cloudevents.js';
import { ValidationError, type FieldProblem } from '../errors.js';

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
    throw new ValidationError([{ field: 'cloudevent', message: cloudEventProblem(err) }]);
  }
}

/**
 * Checks the required attributes of every event in the request before the
 * SDK reads them, naming binary mode's as their headers (`ce-id`).
 */
function requireEnvelope(headers: Record<string, string>, body: unknown): void {
  const mediaType = mediaTypeOf(headers['content-type']);
  const structured = mediaType === CloudEventsMediaType.structured || mediaType === CloudEventsMediaType.batch;
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
  const problems: FieldProblem[] = envelopes.flatMap((envelope) =>
    requiredAttributeProblems(typeof envelope === 'object' && envelope !== null ? (envelope as Record<string, unknown>) : {}).map(({ attribute, message }) => ({
      field: structured ? attribute : `ce-${attribute}`,
      message,
    })),
  );
  if (problems.length > 0) throw new ValidationError(problems);
}
