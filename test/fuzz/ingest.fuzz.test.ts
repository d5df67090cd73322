/**
 * Property-based fuzz of `POST /ingest` with JSON bodies: random and
 * near-valid events, arrays of 0–1001 items, broken JSON, exotic number
 * literals, unicode, prototype-pollution keys; every Content-Type, X-API-Key
 * and Idempotency-Key variation. Properties, per case:
 *
 * - the status is below 500, and every non-2xx body is a coded error;
 * - every per-item result of an array is `accepted`/`duplicate` with an id, or
 *   `rejected` with a coded error;
 * - no stored row from a rejected input: the rows new in usage.usage_events
 *   (and in pending_aggregation) are exactly the `accepted` answers, ids equal,
 *   all of the caller's organization;
 * - an accepted quantity is stored exactly as the literal sent;
 * - where the input is certainly valid or certainly invalid (valid key, JSON
 *   media type), the answer is the contract's (202/200 accepted, 400, 401).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../shared/decimal.js';
import { maxBodyBytes } from '../../shared/runtime/http.js';
import { brokenNumberText, hostileNumberLiteral, validQuantityLiteral } from './arbitraries/numbers.js';
import { headerText, hostileMetric, hostileString, pollutionKey, validMetric } from './arbitraries/text.js';
import { hostileTimestampText, rfc3339, timestampStyle, type TimestampStyle } from './arbitraries/timestamps.js';
import { post, type Json } from './harness/answers.js';
import { fuzzParameters, startFuzzEnv, type FuzzEnv } from './harness/environment.js';
import { expectNoStrayRowsAnywhere, ingestChecked, makeLanes, type IngestOutcome, type Lane } from './harness/ingest.js';
import { Tally } from './harness/tally.js';
import { numberFacts, plainDecimal } from './models/decimal-literal.js';
import { isStorableText } from './models/text.js';

const numRuns = Number(process.env.FUZZ_INGEST_RUNS ?? 4000);
let env: FuzzEnv;
const tally = new Tally('ingest');

beforeAll(async () => {
  env = await startFuzzEnv();
});

afterAll(async () => {
  tally.print();
  await env?.close();
});

// ---------------------------------------------------------------------------
// The model: JSON text built piece by piece, so number literals stay as written.

type Validity = 'valid' | 'invalid' | 'unknown';
const worst = (...all: Validity[]): Validity => (all.includes('invalid') ? 'invalid' : all.includes('unknown') ? 'unknown' : 'valid');

/** A JSON value as text, or a timestamp rendered when the request is sent (so "now" is right). */
type Value = { text: string; validity: Validity } | { relativeMs: number; style: TimestampStyle; validity: Validity };

interface EventModel {
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
type Item = EventModel | { kind: 'raw'; text: string };

type Body =
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

const metricPattern = /^[a-z][a-z0-9_.-]{0,63}$/;
const metricValue: fc.Arbitrary<Value | undefined> = fc.oneof(
  { weight: 8, arbitrary: validMetric.map((m) => ({ text: JSON.stringify(m), validity: 'valid' as Validity })) },
  { weight: 3, arbitrary: hostileMetric.map((m) => ({ text: JSON.stringify(m), validity: (metricPattern.test(m) ? 'valid' : 'invalid') as Validity })) },
  { weight: 1, arbitrary: nonString },
  { weight: 1, arbitrary: fc.constant({ text: 'null', validity: 'invalid' as Validity }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

function quantityValidity(literal: string): Validity {
  const facts = numberFacts(literal);
  if (!facts) return 'invalid';
  if (Math.abs(facts.exponent) > 1000) return 'unknown'; // a huge exponent may be refused as "not a number" even for 0
  if (facts.negative && !facts.zero) return 'invalid';
  if (facts.decimalPlaces > 12 || facts.integerDigits > 26) return 'invalid';
  return 'valid';
}

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

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 80, arbitrary: eventModel.map((item) => ({ kind: 'single' as const, item })) },
  { weight: 6, arbitrary: rawItem.map((item) => ({ kind: 'single' as const, item })) },
  { weight: 40, arbitrary: fc.array(item, { minLength: 1, maxLength: 8 }).map((items) => ({ kind: 'array' as const, items })) },
  { weight: 3, arbitrary: fc.array(item, { minLength: 9, maxLength: 60 }).map((items) => ({ kind: 'array' as const, items })) },
  { weight: 2, arbitrary: fc.constant<Body>({ kind: 'array', items: [] }) },
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

type ContentTypeKind = 'json' | 'cloudevent' | 'other' | 'missing' | 'unsure';
const contentType: fc.Arbitrary<{ value: string | undefined; kind: ContentTypeKind }> = fc.oneof(
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

type KeyKind = 'acme' | 'globex' | 'revoked' | 'missing' | 'empty';
const apiKey = fc.oneof(
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

const idempotencyHeader = fc.oneof(
  { weight: 12, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 2, arbitrary: headerText(40).filter((k) => k.length > 0) },
  { weight: 1, arbitrary: fc.constantFrom('', 'h'.repeat(256), 'same-key') },
);

// ---------------------------------------------------------------------------
// Rendering

const hugeBody = JSON.stringify({ metric: 'api_calls', quantity: 1, pad: 'x'.repeat(1024 * 1024) });

function renderValue(value: Value, now: number): string {
  if ('text' in value) return value.text;
  return JSON.stringify(rfc3339(new Date(now + value.relativeMs), value.style));
}

function renderEvent(event: EventModel, now: number): string {
  return `{${event.fields.map(([name, value]) => `${JSON.stringify(name)}:${renderValue(value, now)}`).join(',')}}`;
}

const renderItem = (item: Item, now: number) => (item.kind === 'event' ? renderEvent(item, now) : item.text);

function renderBody(b: Body, now: number): string {
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

/** Whether an event is certainly valid, certainly invalid, or unsure, on the JSON wire with this Idempotency-Key header. */
function eventValidity(item: Item, header: string | undefined): Validity {
  if (item.kind === 'raw') return item.text.startsWith('{') && item.text !== '{}' ? 'unknown' : 'invalid';
  const own = worst(...item.fields.map(([, value]) => value.validity), item.missingRequired ? 'invalid' : 'valid');
  if (item.duplicateKey) return 'unknown';
  if (header === undefined) return own;
  if (item.idempotencyKey.present) return item.idempotencyKey.value === header ? own : 'invalid';
  return worst(own, header.length >= 1 && header.length <= 255 ? 'valid' : 'invalid');
}

/** Whether the whole body parses as JSON (as far as the model knows). */
function bodyParses(b: Body): boolean | undefined {
  if (b.kind === 'text' || b.kind === 'huge') return undefined;
  const items = b.kind === 'single' ? [b.item] : b.kind === 'array' ? b.items : [b.item];
  if (items.some((i) => i.kind === 'event' && (i.duplicateKey || i.fields.some(([, v]) => 'text' in v && v.validity === 'unknown' && !/^"/.test(v.text)))))
    return undefined;
  return true;
}

// ---------------------------------------------------------------------------

/**
 * Lanes of cases run concurrently, each with tenants of its own (so each can
 * check its own rows), so that waiting on PostgreSQL and on ValidateApiKey
 * (unknown keys) overlaps with the work in Node.
 */
const lanes = 4;

describe('POST /ingest fuzz', () => {
  it(`answers ${numRuns} random requests: no 5xx, every error coded, no stored row from a rejected input, exact quantities`, async () => {
    const laneTenants = await makeLanes(env, lanes);
    let acceptedTotal = 0;
    await Promise.all(
      laneTenants.map((lane, index) =>
        fc.assert(
          fc.asyncProperty(body, contentType, apiKey, idempotencyHeader, async (b, type, key, idemHeader) => {
            const outcome = await runCase(lane, b, type, key, idemHeader);
            acceptedTotal += outcome.accepted.length;
          }),
          { numRuns: Math.ceil(numRuns / lanes), ...fuzzParameters(index) },
        ),
      ),
    );
    expect(tally.cases).toBeGreaterThanOrEqual(numRuns);
    await expectNoStrayRowsAnywhere(env, acceptedTotal, tally);
  }, 180_000);

  // Found by this suite, fixed in ddde028: U+0000 in an idempotency key
  // reached PostgreSQL and answered 500 {"error":{"code":"internal"}}.
  it('refuses an idempotency key holding U+0000 with 400 naming the field', async () => {
    const answer = await post(
      `${env.host.http}/ingest`,
      { 'content-type': 'application/json', 'x-api-key': env.acme.apiKey },
      '{"metric":"api_calls","quantity":1,"idempotency_key":"a\\u0000b"}',
    );
    expect(answer.status).toBe(400);
    expect((answer.json as Json).error).toMatchObject({ code: 'invalid_argument', fields: [{ field: 'idempotency_key' }] });
  });

  // Found by this suite, fixed in ddde028: a lone surrogate ("\ud800") was
  // stored as U+FFFD, and the replay answered 500 (the first id was looked up
  // by the key as sent, which PostgreSQL never stored).
  it('refuses an idempotency key holding a lone surrogate, and its replay, with 400', async () => {
    const send = () =>
      post(
        `${env.host.http}/ingest`,
        { 'content-type': 'application/json', 'x-api-key': env.acme.apiKey },
        '{"metric":"api_calls","quantity":1,"idempotency_key":"lone-\\ud800"}',
      );
    for (const answer of [await send(), await send()]) {
      expect(answer.status).toBe(400);
      expect((answer.json as Json).error).toMatchObject({ code: 'invalid_argument', fields: [{ field: 'idempotency_key' }] });
    }
  });
});

/** One case: send, check the common properties, then the contract where the model is sure. */
async function runCase(
  lane: Lane,
  b: Body,
  type: { value: string | undefined; kind: ContentTypeKind },
  key: KeyKind | { unknown: string },
  idemHeader: string | undefined,
): Promise<IngestOutcome> {
  const now = Date.now();
  const text = renderBody(b, now);
  const headers: Record<string, string> = {};
  if (type.value !== undefined) headers['content-type'] = type.value;
  const tenant = key === 'acme' ? lane.acme : key === 'globex' ? lane.globex : key === 'revoked' ? env.revoked : undefined;
  if (tenant) headers['x-api-key'] = tenant.apiKey;
  else if (key === 'empty') headers['x-api-key'] = '';
  else if (typeof key === 'object') headers['x-api-key'] = key.unknown;
  if (idemHeader !== undefined) headers['idempotency-key'] = idemHeader;
  const validKey = key === 'acme' || key === 'globex';

  const outcome = await ingestChecked(env, lane, { headers, body: text, organizationId: tenant?.organizationId }, tally);
  const what = `${JSON.stringify(headers)} ${text.slice(0, 300)}\n→ ${outcome.status} ${outcome.text.slice(0, 500)}`;
  if (outcome.status >= 300 || (outcome.status === 200 && outcome.accepted.length === 0)) tally.count('rejected requests');

  // Exact quantities: the stored value is the literal sent.
  const modelItems: Item[] = b.kind === 'single' ? [b.item] : b.kind === 'array' ? b.items : b.kind === 'repeat' ? Array<Item>(b.count).fill(b.item) : [];
  outcome.ids.forEach((id, index) => {
    const sent = modelItems[index];
    const row = outcome.rows.find((r) => r.id === id);
    if (!row || !sent || sent.kind !== 'event' || sent.quantity === undefined) return;
    expect(row.quantity, `quantity ${sent.quantity}`).toBe(plainDecimal(sent.quantity));
    expect(row.quantity, `quantity ${sent.quantity}`).toBe(Decimal.of(sent.quantity).toString());
    tally.count('quantities checked');
  });

  // The contract, where the model is sure.
  if (type.kind === 'other') expect(outcome.status, what).toBe(415);
  const tooLarge = Buffer.byteLength(text) > maxBodyBytes;
  if (tooLarge && type.kind === 'json') expect(outcome.status, what).toBe(413);
  if (type.kind !== 'json' || tooLarge || bodyParses(b) !== true) return outcome;
  if (!validKey) {
    expect(outcome.status, what).toBe(401);
    expect(['missing_api_key', 'invalid_api_key'], what).toContain(outcome.json.error.code);
    return outcome;
  }
  if (b.kind === 'single') {
    if (b.item.kind !== 'event') return outcome; // a raw value may be an array, i.e. a batch
    const validity = eventValidity(b.item, idemHeader);
    if (validity === 'valid') expect(outcome.status, what).toBe(202);
    if (validity === 'invalid') {
      expect(outcome.status, what).toBe(400);
      expect(outcome.json.error.code, what).toBe('invalid_argument');
    }
    return outcome;
  }
  if (idemHeader !== undefined || modelItems.length === 0 || modelItems.length > 1000) {
    expect(outcome.status, what).toBe(400);
    return outcome;
  }
  expect(outcome.status, what).toBe(200);
  const results = outcome.json.results as Json[];
  expect(results.length, what).toBe(modelItems.length);
  modelItems.forEach((sent, index) => {
    const validity = eventValidity(sent, undefined);
    const item = `item ${index}: ${renderItem(sent, now).slice(0, 300)} → ${JSON.stringify(results[index])}`;
    if (validity === 'valid') expect(['accepted', 'duplicate'], item).toContain(results[index]?.status);
    if (validity === 'invalid') expect(results[index]?.status, item).toBe('rejected');
  });
  return outcome;
}
