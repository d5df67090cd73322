/**
 * Requests for `POST /ingest` with JSON bodies, generated with the model of
 * each value (models/validity.ts): events built field by field as JSON text,
 * so number literals stay as written; arrays small and past the limit,
 * broken JSON, crafted bodies; the Content-Type, X-API-Key and
 * Idempotency-Key variations; and what the contract makes of a body, where
 * the model is sure.
 */
import fc from 'fast-check';
import { brokenNumberText, hostileNumberLiteral, validQuantityLiteral } from './numbers.js';
import { headerText, hostileMetric, hostileString, pollutionKey, validMetric } from './text.js';
import { hostileTimestampText, timestampStyle } from './timestamps.js';
import { quantityValidity } from '../models/decimal-literal.js';
import { isStorableText, metricPattern } from '../models/text.js';
import { renderValue, worst, type Validity, type Value } from '../models/validity.js';

/** One event object, field by field, with what the contract makes of each field. */
export interface EventModel {
  kind: 'event';
  fields: Array<[string, Value]>;
  /** The quantity literal when it is a JSON number. */
  quantity?: string;
  /** The body's idempotency_key: absent, or its JSON value. */
  idempotencyKey: { present: false } | { present: true; value: unknown };
  /** A known field given twice: lossless-json refuses the whole body. */
  duplicateKey: boolean;
  /** metric or quantity left out. */
  missingRequired: boolean;
}
/** An item of a body: a modelled event, or any JSON value as text. */
export type Item = EventModel | { kind: 'raw'; text: string };

/** A body as generated: rendered to text by renderBody when sent. */
export type JsonBody =
  | { kind: 'single'; item: Item }
  | { kind: 'array'; items: Item[] }
  | { kind: 'repeat'; item: EventModel; count: number }
  | { kind: 'text'; text: string; note: string }
  | { kind: 'huge' };

const jsonOf = (value: unknown): Value => ({ text: JSON.stringify(value), validity: 'invalid' });
const nonString = fc.oneof(
  fc.integer().map(jsonOf),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(jsonOf),
  fc.boolean().map(jsonOf),
  fc.constant(jsonOf([])),
  fc.constant(jsonOf({})),
  fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string' && v !== null).map(jsonOf),
  fc.constant({ text: '{"__proto__":{"polluted":true}}', validity: 'invalid' as Validity }),
);

const metricValue: fc.Arbitrary<Value | undefined> = fc.oneof(
  { weight: 8, arbitrary: validMetric.map((m) => ({ text: JSON.stringify(m), validity: 'valid' as Validity })) },
  { weight: 3, arbitrary: hostileMetric.map((m) => ({ text: JSON.stringify(m), validity: (metricPattern.test(m) ? 'valid' : 'invalid') as Validity })) },
  { weight: 1, arbitrary: nonString },
  { weight: 1, arbitrary: fc.constant({ text: 'null', validity: 'invalid' as Validity }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const quantityValue: fc.Arbitrary<{ value: Value | undefined; literal?: string }> = fc.oneof(
  { weight: 8, arbitrary: validQuantityLiteral.map((literal) => ({ value: { text: literal, validity: quantityValidity(literal) }, literal })) },
  { weight: 4, arbitrary: hostileNumberLiteral.map((literal) => ({ value: { text: literal, validity: quantityValidity(literal) }, literal })) },
  { weight: 1, arbitrary: brokenNumberText.map((text) => ({ value: { text, validity: 'unknown' as Validity } })) },
  { weight: 1, arbitrary: fc.oneof(fc.constant('"5"'), fc.constant('"1e3"'), fc.constant('""'), fc.constant('null')).map((text) => ({ value: { text, validity: 'invalid' as Validity } })) },
  // Non-numbers only: a JSON number here would be a quantity after all.
  { weight: 1, arbitrary: nonString.filter((v) => !/^-?\d/.test((v as { text: string }).text)).map((value) => ({ value })) },
  { weight: 1, arbitrary: fc.constant({ value: undefined }) },
);

const day = 86_400_000;
const timestampValue: fc.Arbitrary<Value | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  // Within the window, keeping a minute away from both edges.
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: -34 * day, max: 4 * 60_000 }), timestampStyle).map(([relativeMs, style]) => ({ relativeMs, style, validity: 'valid' as Validity })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.integer({ min: -4000 * day, max: -36 * day }), fc.integer({ min: 6 * 60_000, max: 4000 * day })), timestampStyle)
      .map(([relativeMs, style]) => ({ relativeMs, style, validity: 'invalid' as Validity })),
  },
  { weight: 1, arbitrary: fc.constantFrom<Value>({ text: 'null', validity: 'valid' }, { text: '""', validity: 'valid' }) },
  { weight: 2, arbitrary: hostileTimestampText.map((text) => ({ text: JSON.stringify(text), validity: (text === '' ? 'valid' : 'unknown') as Validity })) },
  { weight: 1, arbitrary: nonString },
);

const idempotencyValue: fc.Arbitrary<{ value: Value; raw: unknown } | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 80 }).map((k) => ({ value: { text: JSON.stringify(k), validity: 'valid' as Validity }, raw: k })) },
  {
    weight: 2,
    arbitrary: hostileString.map((k) => ({
      value: { text: JSON.stringify(k), validity: (k.length >= 1 && k.length <= 255 && isStorableText(k) ? 'valid' : 'invalid') as Validity },
      raw: k,
    })),
  },
  { weight: 1, arbitrary: fc.constant({ value: { text: 'null', validity: 'valid' as Validity }, raw: null }) },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 400 }).map((n) => ({ value: { text: JSON.stringify('i'.repeat(n)), validity: 'invalid' as Validity }, raw: 'i'.repeat(n) })) },
  { weight: 1, arbitrary: nonString.map((value) => ({ value, raw: Symbol('non-string') })) },
);

const extraField = fc.tuple(
  fc.oneof(pollutionKey, fc.string({ maxLength: 12 }), fc.constantFrom('qty', 'Metric', 'idempotencyKey', 'metric ', 'data', 'id')),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.constant('{"metric":"injected","quantity":1}')),
);
const knownNames = new Set(['metric', 'quantity', 'timestamp', 'idempotency_key']);

const eventModel: fc.Arbitrary<EventModel> = fc
  .record({
    metric: metricValue,
    quantity: quantityValue,
    timestamp: timestampValue,
    key: idempotencyValue,
    extras: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.uniqueArray(extraField, { minLength: 1, maxLength: 3, selector: ([name]) => name }) }),
    duplicate: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...knownNames) }),
    reverse: fc.boolean(),
  })
  .map(({ metric, quantity, timestamp, key, extras, duplicate, reverse }): EventModel => {
    const fields: Array<[string, Value]> = [];
    if (metric) fields.push(['metric', metric]);
    if (quantity.value) fields.push(['quantity', quantity.value]);
    if (timestamp) fields.push(['timestamp', timestamp]);
    if (key) fields.push(['idempotency_key', key.value]);
    for (const [name, text] of extras) if (!knownNames.has(name)) fields.push([name, { text, validity: 'invalid' }]);
    if (duplicate) fields.push([duplicate, { text: '1', validity: 'unknown' }]);
    return {
      kind: 'event',
      fields: reverse ? fields.reverse() : fields,
      quantity: quantity.literal,
      idempotencyKey: key ? { present: true, value: key.raw } : { present: false },
      duplicateKey: duplicate !== undefined,
      missingRequired: !metric || !quantity.value,
    };
  });

const rawItem: fc.Arbitrary<Item> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'raw' as const, text: JSON.stringify(v) })),
  fc.constantFrom('null', '[]', '{}', '"api_calls"', '1', 'true', '[{"metric":"api_calls","quantity":1}]').map((text) => ({ kind: 'raw' as const, text })),
);
const item: fc.Arbitrary<Item> = fc.oneof({ weight: 5, arbitrary: eventModel }, { weight: 1, arbitrary: rawItem });

/** Mostly single events and small arrays; also empty, huge and broken bodies. */
export const jsonBody: fc.Arbitrary<JsonBody> = fc.oneof(
  { weight: 80, arbitrary: eventModel.map((item) => ({ kind: 'single' as const, item })) },
  { weight: 6, arbitrary: rawItem.map((item) => ({ kind: 'single' as const, item })) },
  { weight: 40, arbitrary: fc.array(item, { minLength: 1, maxLength: 8 }).map((items) => ({ kind: 'array' as const, items })) },
  { weight: 3, arbitrary: fc.array(item, { minLength: 9, maxLength: 60 }).map((items) => ({ kind: 'array' as const, items })) },
  { weight: 2, arbitrary: fc.constant<JsonBody>({ kind: 'array', items: [] }) },
  {
    // 1000 events cost a transaction of 1000 rows: rare, and with small items.
    weight: 1,
    arbitrary: fc
      .tuple(eventModel.filter((event) => renderEvent(event, Date.now()).length < 200), fc.constantFrom(1000, 1000, 1001, 1500))
      .map(([item, count]) => ({ kind: 'repeat' as const, item, count })),
  },
  { weight: 8, arbitrary: fc.jsonValue().map((v) => ({ kind: 'text' as const, text: JSON.stringify(v), note: 'json value' })) },
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((text) => ({ kind: 'text' as const, text, note: 'string' })) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(eventModel, fc.nat(), fc.constantFrom('', ',', '}', '{', '"', '\\', ']', '\u0000', 'x', '\ud800'))
      .map(([event, cut, insert]) => {
        const text = renderEvent(event, Date.now());
        const at = cut % Math.max(1, text.length);
        return { kind: 'text' as const, text: text.slice(0, at) + insert, note: 'broken' };
      }),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\ufeff{"metric":"api_calls","quantity":1}',
      '{"metric":"api_calls","quantity":1} {}',
      '{"metric":"api_calls","quantity":1}garbage',
      '{"metric":"api_calls",/* c */"quantity":1}',
      "{'metric':'api_calls','quantity':1}",
      '{"metric":"api_calls","quantity":1,}',
      '[{"metric":"api_calls","quantity":1},]',
      '{"metric":"api_calls","quantity":1e999999999999999999}',
      '{"metric":"api_calls","quantity":-}',
      '{"__proto__":{"metric":"api_calls","quantity":1}}',
      '{"constructor":{"prototype":{"polluted":true}},"metric":"api_calls","quantity":1}',
      '{"metric":"\\u0061pi_calls","quantity":1}',
      '{"metric":"api_calls","quantity":1,"idempotency_key":"\\ud800"}',
      `{"metric":"api_calls","quantity":1,"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `{"metric":"api_calls","quantity":${'9'.repeat(100_000)}}`,
      `{"metric":"api_calls","quantity":0.${'0'.repeat(100_000)}1}`,
    ).map((text) => ({ kind: 'text' as const, text, note: 'crafted' })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'huge' as const }) },
);

/** What a Content-Type is to the contract: JSON, a CloudEvents mode, another media type, none, or not known to the model. */
export type ContentTypeKind = 'json' | 'cloudevent' | 'other' | 'missing' | 'unsure';
/** The Content-Type header (absent when `value` is undefined). */
export const contentType: fc.Arbitrary<{ value: string | undefined; kind: ContentTypeKind }> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ value: 'application/json', kind: 'json' as ContentTypeKind }) },
  { weight: 3, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json;charset=UTF-8').map((value) => ({ value, kind: 'json' as ContentTypeKind })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('application/cloudevents+json', 'application/cloudevents-batch+json', 'application/cloudevents+json; charset=utf-8')
      .map((value) => ({ value, kind: 'cloudevent' as ContentTypeKind })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream', 'application/jsonx', 'application/json-patch+json', 'text/json')
      .map((value) => ({ value, kind: 'other' as ContentTypeKind })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('APPLICATION/JSON', 'application/json; charset=latin1', 'application/json; foo=bar', 'application/json;', ' application/json', 'application/json, text/plain', 'application/*', '*/*', 'application/json; charset="utf-8"')
      .map((value) => ({ value, kind: 'unsure' as ContentTypeKind })),
  },
  { weight: 1, arbitrary: headerText(40).map((value) => ({ value, kind: 'unsure' as ContentTypeKind })) },
  { weight: 1, arbitrary: fc.constant({ value: undefined, kind: 'missing' as ContentTypeKind }) },
);

/** The caller's X-API-Key: a lane's tenant's, the revoked tenant's, none, or empty (`apiKey` also makes unknown keys, as `{ unknown }`). */
export type KeyKind = 'acme' | 'globex' | 'revoked' | 'missing' | 'empty';
/** Who calls: mostly a lane's tenant. */
export const apiKey = fc.oneof(
  { weight: 12, arbitrary: fc.constant<KeyKind>('acme') },
  { weight: 2, arbitrary: fc.constant<KeyKind>('globex') },
  { weight: 1, arbitrary: fc.constant<KeyKind>('revoked') },
  { weight: 1, arbitrary: fc.constant<KeyKind>('missing') },
  { weight: 1, arbitrary: fc.constant<KeyKind>('empty') },
  {
    weight: 2,
    arbitrary: fc
      .oneof(headerText(60).filter((k) => k.length > 0), fc.stringMatching(/^pol_[A-Za-z0-9_-]{40}$/), fc.constant('pol_'))
      .map((value) => ({ unknown: value })),
  },
);

/** The Idempotency-Key header: mostly absent. */
export const idempotencyHeader = fc.oneof(
  { weight: 12, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 2, arbitrary: headerText(40).filter((k) => k.length > 0) },
  { weight: 1, arbitrary: fc.constantFrom('', 'h'.repeat(256), 'same-key') },
);

// ---------------------------------------------------------------------------
// Rendering

const hugeBody = JSON.stringify({ metric: 'api_calls', quantity: 1, pad: 'x'.repeat(1024 * 1024) });

function renderEvent(event: EventModel, now: number): string {
  return `{${event.fields.map(([name, value]) => `${JSON.stringify(name)}:${renderValue(value, now)}`).join(',')}}`;
}

/** An item's text, its timestamps taken relative to `now` (ms since the epoch). */
export const renderItem = (item: Item, now: number) => (item.kind === 'event' ? renderEvent(item, now) : item.text);

/** The body's text, as renderItem writes each item. */
export function renderBody(b: JsonBody, now: number): string {
  switch (b.kind) {
    case 'single':
      return renderItem(b.item, now);
    case 'array':
      return `[${b.items.map((i) => renderItem(i, now)).join(',')}]`;
    case 'repeat':
      return `[${Array.from({ length: b.count }, () => renderEvent(b.item, now)).join(',')}]`;
    case 'text':
      return b.text;
    case 'huge':
      return hugeBody;
  }
}

// ---------------------------------------------------------------------------
// What the contract makes of a body

/** Whether an event is certainly valid, certainly invalid, or unsure, on the JSON wire with this Idempotency-Key header. */
export function eventValidity(item: Item, header: string | undefined): Validity {
  if (item.kind === 'raw') return item.text.startsWith('{') && item.text !== '{}' ? 'unknown' : 'invalid';
  const own = worst(...item.fields.map(([, value]) => value.validity), item.missingRequired ? 'invalid' : 'valid');
  if (item.duplicateKey) return 'unknown';
  if (header === undefined) return own;
  if (item.idempotencyKey.present) return item.idempotencyKey.value === header ? own : 'invalid';
  return worst(own, header.length >= 1 && header.length <= 255 ? 'valid' : 'invalid');
}

/** Whether the whole body parses as JSON (as far as the model knows). */
export function bodyParses(b: JsonBody): boolean | undefined {
  if (b.kind === 'text' || b.kind === 'huge') return undefined;
  const items = b.kind === 'single' ? [b.item] : b.kind === 'array' ? b.items : [b.item];
  if (items.some((i) => i.kind === 'event' && (i.duplicateKey || i.fields.some(([, v]) => 'text' in v && v.validity === 'unknown' && !/^"/.test(v.text)))))
    return undefined;
  return true;
}
