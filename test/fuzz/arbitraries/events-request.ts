/**
 * Requests for `POST /events`, where the host takes the CloudEvents it
 * subscribes to (aggregation requested, aggregate updated, Knative ping):
 * binary mode with random ce-* headers, missing required ones, random
 * content types and bodies; structured and batch mode; each with what the
 * model is sure the answer is.
 */
import fc from 'fast-check';
import type { Lane } from '../harness/ingest.js';
import { headerText, hostileString, uuid } from './text.js';
import { hostileTimestampText } from './timestamps.js';

/** A request to POST /events, with what the model is sure of. */
export interface EventsRequest {
  headers: Record<string, string>;
  body: string;
  /** What the model is sure of: the events count on a 2xx, or a 400. */
  expect?: { status: 202; accepted: number } | { status: 400 };
  /** Some event's specversion is not "1.0", or its id, source or type is no non-empty string: 400. */
  invalidEnvelope?: boolean;
}

const eventTypes = fc.oneof(
  { weight: 4, arbitrary: fc.constant('dev.polaris.aggregation.requested') },
  { weight: 3, arbitrary: fc.constant('dev.polaris.aggregate.updated') },
  { weight: 1, arbitrary: fc.constant('dev.knative.sources.ping') },
  { weight: 2, arbitrary: fc.constantFrom('com.example.unknown', 'dev.polaris.usage.recorded', 'dev.polaris.invoice.updated', 'DEV.POLARIS.AGGREGATION.REQUESTED') },
  { weight: 1, arbitrary: headerText(40) },
);

/** A data payload for the aggregation and billing functions: good, bad and odd. */
const orgIdValue = (lane: Lane) =>
  fc.oneof(
    fc.constant(lane.acme.organizationId),
    fc.constant(lane.acme.organizationId.toUpperCase()),
    uuid,
    fc.constantFrom('', 'acme', 'not-a-uuid', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
    fc.constantFrom(5, null, true, [] as unknown[], {}),
    hostileString,
  );
const periodStartValue = fc.oneof(
  fc.constantFrom('2026-01-01T00:00:00Z', new Date().toISOString(), '2026-11-01T00:00:00.000Z', '2026-02-28T23:59:59+14:00'),
  fc.constantFrom('0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '+010000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '1', '0', 'yesterday', ''),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(0, 1e15, null, true, {}),
  hostileString,
);
const eventData = (lane: Lane) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<Record<string, unknown>>({}) },
    { weight: 4, arbitrary: orgIdValue(lane).map((orgId) => ({ orgId })) },
    { weight: 4, arbitrary: fc.record({ orgId: orgIdValue(lane), periodStart: periodStartValue }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );

/** Binary mode: the attributes as ce-* headers (some missing or odd, extras), any content type, the data as the body. */
export const binaryRequest = (lane: Lane): fc.Arbitrary<EventsRequest> =>
  fc
    .record({
      specversion: fc.oneof({ weight: 8, arbitrary: fc.constant('1.0') }, { weight: 1, arbitrary: fc.constantFrom('0.3', '2.0', '', '1') }, { weight: 1, arbitrary: fc.constant(undefined) }),
      id: fc.oneof({ weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, { weight: 1, arbitrary: headerText(30) }, { weight: 1, arbitrary: fc.constant(undefined) }),
      source: fc.oneof({ weight: 8, arbitrary: fc.constant('/operator') }, { weight: 1, arbitrary: headerText(30) }, { weight: 1, arbitrary: fc.constant(undefined) }),
      type: fc.oneof({ weight: 9, arbitrary: eventTypes }, { weight: 1, arbitrary: fc.constant(undefined) }),
      time: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constant(new Date().toISOString()) }, { weight: 1, arbitrary: headerText(30) }),
      extras: fc.uniqueArray(
        fc.tuple(
          fc.oneof(fc.stringMatching(/^ce-[a-z0-9]{1,12}$/), fc.constantFrom('ce-validate', 'ce-data', 'ce-data_base64', 'ce-datacontenttype', 'ce-dataschema', 'ce-subject', 'ce-__proto__', 'ce-', 'ce-Upper')),
          headerText(30),
        ),
        { maxLength: 3, selector: ([name]) => name.toLowerCase() },
      ),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant<string | undefined>('application/json') },
        { weight: 2, arbitrary: fc.constantFrom('text/plain', 'application/octet-stream', 'application/xml', 'application/json; charset=utf-8', 'application/cloudevents+json') },
        { weight: 1, arbitrary: headerText(30) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      data: fc.oneof(
        { weight: 8, arbitrary: eventData(lane).map((value) => ({ text: JSON.stringify(value), value })) },
        { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '{', 'null', '[]', '\u0000', '{"orgId":')).map((text) => ({ text, value: undefined as unknown })) },
      ),
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.specversion !== undefined) headers['ce-specversion'] = r.specversion;
      if (r.id !== undefined) headers['ce-id'] = r.id;
      if (r.source !== undefined) headers['ce-source'] = r.source;
      if (r.type !== undefined) headers['ce-type'] = r.type;
      if (r.time !== undefined) headers['ce-time'] = r.time;
      for (const [name, value] of r.extras) if (!(name in headers)) headers[name] = value;
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      // The required attributes as the server reads them (HTTP trims header values; an extra may be one of them).
      const attribute = (name: string) => headers[`ce-${name}`]?.trim() ?? '';
      const structuredType = /^application\/cloudevents(-batch)?\+json\s*(;|$)/i.test(r.contentType ?? '');
      const invalidEnvelope = !structuredType && (attribute('specversion') !== '1.0' || ['id', 'source', 'type'].some((name) => attribute(name) === ''));
      const clean =
        !invalidEnvelope &&
        r.source === '/operator' &&
        r.extras.length === 0 &&
        (r.time === undefined || !Number.isNaN(Date.parse(r.time))) &&
        r.contentType === 'application/json';
      let expectation: EventsRequest['expect'];
      const value = r.data.value as { orgId?: unknown; periodStart?: unknown } | undefined;
      if (clean && r.type && value !== undefined && r.data.text !== '') {
        const object = typeof value === 'object' && value !== null && !Array.isArray(value);
        if (r.type === 'dev.polaris.aggregation.requested' && object) {
          const orgId = value.orgId;
          const ok = orgId === undefined || (typeof orgId === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(orgId));
          expectation = ok ? { status: 202, accepted: 1 } : { status: 400 };
        } else if (!r.type.startsWith('dev.polaris.') && !r.type.startsWith('dev.knative.') && !r.type.startsWith('DEV.')) {
          expectation = { status: 202, accepted: 1 };
        }
      }
      return { headers, body: r.data.text, expect: invalidEnvelope ? { status: 400 } : expectation };
    });

/** Structured and batch mode: events with attributes of any type, or garbage in a CloudEvents media type. */
export const structuredRequest = (lane: Lane): fc.Arbitrary<EventsRequest> =>
  fc
    .record({
      events: fc.array(
        fc.record(
          {
            specversion: fc.oneof(fc.constant('1.0'), fc.constantFrom<unknown>('0.3', '', 1, null)),
            id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom<unknown>('', 0, null, {})),
            source: fc.oneof(fc.constant('/operator'), fc.constantFrom<unknown>('', 5, [])),
            type: fc.oneof(eventTypes, fc.constantFrom<unknown>(null, 7)),
            time: fc.oneof(fc.constant(new Date().toISOString()), hostileTimestampText),
            datacontenttype: fc.constantFrom('application/json', 'text/plain', ''),
            data: eventData(lane),
            data_base64: fc.constantFrom('e30=', '!!', ''),
            extension: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        ),
        { minLength: 1, maxLength: 4 },
      ),
      mode: fc.constantFrom('structured', 'batch', 'garbage'),
      garbage: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue().map((value) => JSON.stringify(value)), fc.constantFrom('', 'null', '1', '[]', '{}', '[1]', '[null]')),
    })
    .map(({ events, mode, garbage }) => {
      if (mode === 'garbage') return { headers: { 'content-type': events.length % 2 ? 'application/cloudevents+json' : 'application/cloudevents-batch+json' }, body: garbage };
      const sent = mode === 'batch' ? events : events.slice(0, 1);
      const nonEmpty = (value: unknown) => typeof value === 'string' && value !== '';
      return {
        headers: { 'content-type': mode === 'batch' ? 'application/cloudevents-batch+json' : 'application/cloudevents+json' },
        body: mode === 'batch' ? JSON.stringify(events) : JSON.stringify(events[0]),
        invalidEnvelope: sent.some((e) => e.specversion !== '1.0' || !nonEmpty(e.id) || !nonEmpty(e.source) || !nonEmpty(e.type)),
      };
    });
