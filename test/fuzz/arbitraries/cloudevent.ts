/**
 * CloudEvents for `POST /ingest`, generated with the model of each attribute
 * (models/validity.ts): every attribute (specversion, id, source, type, time,
 * datacontenttype, data, data_base64, extensions) missing, of the wrong type
 * or out of range; single events and batches, in the media type of their
 * mode or not; and the caller's key.
 */
import fc from 'fast-check';
import { hostileNumberLiteral, validQuantityLiteral } from './numbers.js';
import { headerText, hostileMetric, hostileString, pollutionKey, validMetric } from './text.js';
import { hostileTimestampText, timestampStyle } from './timestamps.js';
import { quantityValidity } from '../models/decimal-literal.js';
import { isStorableText, metricPattern } from '../models/text.js';
import { renderValue, worst, type Validity, type Value } from '../models/validity.js';

const v = (text: string, validity: Validity): Value => ({ text, validity });
const json = (value: unknown, validity: Validity): Value => v(JSON.stringify(value), validity);

/** One CloudEvent, attribute by attribute, with what the contract makes of each; a required one left out shows as `(missing <name>)`. */
export interface CloudEventModel {
  attributes: Array<[string, Value]>;
  /** The data.quantity literal when it is a JSON number. */
  quantity?: string;
}

const falsy = fc.constantFrom('""', 'null', '0', 'false');
const nonString = fc.constantFrom('1', '2.5', 'true', '[]', '{}', '["1.0"]', '{"value":"1.0"}');

// Only 1.0 is supported; id, source, type and specversion must be non-empty strings (ddde028).
const specversion = fc.oneof(
  { weight: 20, arbitrary: fc.constant(v('"1.0"', 'valid')) },
  { weight: 2, arbitrary: fc.constantFrom('"0.3"', '"2.0"', '"1"', '"1.0 "', '"v1.0"', '1.0', '1').map((text) => v(text, 'invalid')) },
  { weight: 1, arbitrary: falsy.map((text) => v(text, 'invalid')) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

// The id is the idempotency key: 1–255 characters of text PostgreSQL can store.
const id = fc.oneof(
  { weight: 12, arbitrary: fc.string({ minLength: 1, maxLength: 60 }).map((s) => json(s, 'valid')) },
  { weight: 3, arbitrary: hostileString.map((s) => json(s, s.length >= 1 && s.length <= 255 && isStorableText(s) ? 'valid' : 'invalid')) },
  { weight: 1, arbitrary: falsy.map((text) => v(text, 'invalid')) },
  { weight: 1, arbitrary: nonString.map((text) => v(text, 'invalid')) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const source = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('/my-app', 'https://example.com/billing', 'urn:polaris:test', '//host/x', 'app').map((s) => json(s, 'valid')) },
  // A URI-reference per the spec: what the SDK's format check makes of odd text is not this model's business.
  { weight: 2, arbitrary: hostileString.map((s) => json(s, s === '' ? 'invalid' : 'unknown')) },
  { weight: 1, arbitrary: nonString.map((text) => v(text, 'invalid')) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

// The type is stored as the event's type: text PostgreSQL can store.
const type = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('com.example.usage', 'dev.polaris.usage', 'x', 'com.example.usage.v2').map((s) => json(s, 'valid')) },
  { weight: 2, arbitrary: hostileString.map((s) => json(s, s === '' || !isStorableText(s) ? 'invalid' : 'valid')) },
  { weight: 1, arbitrary: nonString.map((text) => v(text, 'invalid')) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const day = 86_400_000;
const time = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.integer({ min: -34 * day, max: 4 * 60_000 }), timestampStyle)
      // The SDK checks `time` as JSON-schema date-time; lower-case t/z may or may not pass it.
      .map(([relativeMs, style]): Value => ({ relativeMs, style, validity: style.lowerT || style.lowerZ ? 'unknown' : 'valid' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.integer({ min: -4000 * day, max: -36 * day }), fc.integer({ min: 6 * 60_000, max: 4000 * day })), timestampStyle)
      .map(([relativeMs, style]): Value => ({ relativeMs, style, validity: 'invalid' })),
  },
  { weight: 2, arbitrary: hostileTimestampText.map((text) => json(text, 'unknown')) },
  { weight: 1, arbitrary: fc.constantFrom('null', '""').map((text) => v(text, 'unknown')) },
  { weight: 1, arbitrary: fc.constantFrom('1764064800', 'true', '{}').map((text) => v(text, 'invalid')) },
);

const datacontenttype = fc.oneof(
  { weight: 10, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.constant(json('application/json', 'valid')) },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=utf-8', '').map((s) => json(s, 'unknown')) },
  { weight: 1, arbitrary: nonString.map((text) => v(text, 'invalid')) },
);

const dataField = fc.record({
  metric: fc.oneof(
    { weight: 8, arbitrary: validMetric.map((m) => json(m, 'valid')) },
    { weight: 2, arbitrary: hostileMetric.map((m) => json(m, metricPattern.test(m) ? 'valid' : 'invalid')) },
    { weight: 1, arbitrary: nonString.map((text) => v(text, 'invalid')) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  quantity: fc.oneof(
    { weight: 8, arbitrary: validQuantityLiteral.map((literal) => ({ value: v(literal, quantityValidity(literal)), literal })) },
    { weight: 3, arbitrary: hostileNumberLiteral.map((literal) => ({ value: v(literal, quantityValidity(literal)), literal })) },
    { weight: 1, arbitrary: fc.constantFrom('"5"', 'null', 'true', '{}', '[]').map((text) => ({ value: v(text, 'invalid'), literal: undefined })) },
    { weight: 1, arbitrary: fc.constant({ value: undefined, literal: undefined }) },
  ),
  extra: fc.oneof(
    { weight: 10, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(pollutionKey, fc.constantFrom('timestamp', 'idempotency_key', 'orgId')), fc.jsonValue({ maxDepth: 1 })) },
  ),
});

type DataModel = { value: Value; quantity?: string } | undefined;
const data: fc.Arbitrary<DataModel> = fc.oneof(
  {
    weight: 12,
    arbitrary: dataField.map(({ metric, quantity, extra }) => {
      const fields: Array<[string, Value]> = [];
      if (metric) fields.push(['metric', metric]);
      if (quantity.value) fields.push(['quantity', quantity.value]);
      if (extra) fields.push([extra[0], json(extra[1], 'invalid')]);
      const validity = worst(...fields.map(([, value]) => value.validity), metric && quantity.value ? 'valid' : 'invalid');
      const text = `{${fields.map(([name, value]) => `${JSON.stringify(name)}:${(value as { text: string }).text}`).join(',')}}`;
      return { value: v(text, validity), quantity: quantity.literal };
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom('"api_calls=1"', '1', 'null', '[]', '[{"metric":"api_calls","quantity":1}]', 'true').map((text) => ({ value: v(text, 'invalid') })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => ({ value: json(value, 'unknown') })) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const dataBase64 = fc.oneof(
  { weight: 20, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('"eyJtZXRyaWMiOiJhcGlfY2FsbHMiLCJxdWFudGl0eSI6MX0="', '"!!!"', '""', '1', 'null').map((text) => v(text, 'invalid')) },
);

const extension = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.boolean())).map(([name, value]): [string, Value] => [name, json(value, 'unknown')]),
  fc.tuple(fc.oneof(pollutionKey, fc.constantFrom('Upper', 'snake_case', 'with-dash', 'validate', 'emit', 'clone', 'tostring', 'schemaurl', 'datacontentencoding', 'a'.repeat(21))), fc.jsonValue({ maxDepth: 1 })).map(
    ([name, value]): [string, Value] => [name, json(value, /^[a-z0-9]+$/.test(name) ? 'unknown' : 'invalid')],
  ),
);

const cloudEvent: fc.Arbitrary<CloudEventModel> = fc
  .record({
    specversion,
    id,
    source,
    type,
    time,
    datacontenttype,
    data,
    dataBase64,
    subject: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => json(s, s === '' ? 'invalid' : 'valid')) }),
    extensions: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.uniqueArray(extension, { maxLength: 3, selector: ([name]) => name }) }),
    shuffle: fc.boolean(),
  })
  .map((event) => {
    const attributes: Array<[string, Value]> = [];
    const add = (name: string, value: Value | undefined, required: boolean) => {
      if (value) attributes.push([name, value]);
      else if (required) attributes.push([`(missing ${name})`, v('', 'invalid')]);
    };
    add('specversion', event.specversion, true);
    add('id', event.id, true);
    add('source', event.source, true);
    add('type', event.type, true);
    add('time', event.time, false);
    add('datacontenttype', event.datacontenttype, false);
    add('subject', event.subject, false);
    add('data', event.data?.value, true);
    add('data_base64', event.dataBase64, false);
    const known = new Set(attributes.map(([name]) => name));
    for (const [name, value] of event.extensions) if (!known.has(name) && name !== 'data' && name !== 'id') attributes.push([name, value]);
    return { attributes: event.shuffle ? attributes.reverse() : attributes, quantity: event.data?.quantity };
  });

function renderCloudEvent(event: CloudEventModel, now: number): string {
  const present = event.attributes.filter(([name]) => !name.startsWith('(missing'));
  return `{${present.map(([name, value]) => `${JSON.stringify(name)}:${renderValue(value, now)}`).join(',')}}`;
}

/** What the contract makes of the whole event. */
export function validityOf(event: CloudEventModel): Validity {
  return worst(...event.attributes.map(([, value]) => value.validity));
}

/** A body as generated: rendered to text by renderIngestBody when sent. */
export type IngestBody =
  | { kind: 'single'; event: CloudEventModel; contentType: string }
  | { kind: 'batch'; events: CloudEventModel[]; contentType: string }
  | { kind: 'text'; text: string; contentType: string };

const ceType = fc.constantFrom('application/cloudevents+json', 'application/cloudevents+json; charset=utf-8');
const batchType = fc.constantFrom('application/cloudevents-batch+json', 'application/cloudevents-batch+json; charset=utf-8');
/** Mostly one event or a batch in its mode's media type; also mode mismatches and broken text. */
export const ingestBody: fc.Arbitrary<IngestBody> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(cloudEvent, ceType).map(([event, contentType]) => ({ kind: 'single' as const, event, contentType })) },
  { weight: 6, arbitrary: fc.tuple(fc.array(cloudEvent, { minLength: 1, maxLength: 8 }), batchType).map(([events, contentType]) => ({ kind: 'batch' as const, events, contentType })) },
  // Mode mismatches: one event as a batch, a batch as one event, a CloudEvent as plain JSON.
  { weight: 1, arbitrary: fc.tuple(cloudEvent, batchType).map(([event, contentType]) => ({ kind: 'single' as const, event, contentType })) },
  { weight: 1, arbitrary: fc.tuple(fc.array(cloudEvent, { maxLength: 3 }), ceType).map(([events, contentType]) => ({ kind: 'batch' as const, events, contentType })) },
  { weight: 1, arbitrary: cloudEvent.map((event) => ({ kind: 'single' as const, event, contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.constant<IngestBody>({ kind: 'batch', events: [], contentType: 'application/cloudevents-batch+json' }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.tuple(cloudEvent, fc.nat()).map(([event, cut]) => {
            const text = renderCloudEvent(event, Date.now());
            return text.slice(0, cut % Math.max(1, text.length));
          }),
          fc.constantFrom('', 'null', '[null]', '[[]]', '{"specversion":"1.0","id":"x","source":"/x","type":"t","data":{"metric":"a","quantity":1},"data":{}}'),
        ),
        fc.oneof(ceType, batchType),
      )
      .map(([text, contentType]) => ({ kind: 'text' as const, text, contentType })),
  },
);

/** The modelled events of a body, in the order sent (none for text). */
export const eventsOf = (body: IngestBody): CloudEventModel[] => (body.kind === 'single' ? [body.event] : body.kind === 'batch' ? body.events : []);

/** The body's text, its timestamps taken relative to `now` (ms since the epoch). */
export function renderIngestBody(body: IngestBody, now: number): string {
  if (body.kind === 'text') return body.text;
  if (body.kind === 'single') return renderCloudEvent(body.event, now);
  return `[${body.events.map((event) => renderCloudEvent(event, now)).join(',')}]`;
}

/** The caller's X-API-Key: a lane's tenant's, the revoked tenant's, none, or unknown. */
export type CallerKey = 'acme' | 'globex' | 'revoked' | 'missing' | { unknown: string };

/** Who calls: mostly a lane's tenant. */
export const callerKey: fc.Arbitrary<CallerKey> = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom<'acme' | 'globex'>('acme', 'globex') },
  { weight: 1, arbitrary: fc.constantFrom<'revoked' | 'missing'>('revoked', 'missing') },
  { weight: 1, arbitrary: headerText(50).filter((k) => k.length > 0).map((unknown) => ({ unknown })) },
);

