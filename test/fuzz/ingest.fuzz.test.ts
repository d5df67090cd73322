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
 *   (and listed in pending_event_groups) are exactly the `accepted` answers, ids equal,
 *   all of the caller's organization;
 * - an accepted quantity is stored exactly as the literal sent;
 * - where the input is certainly valid or certainly invalid (valid key, JSON
 *   media type), the answer is the contract's (202/200 accepted, 400, 401).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../shared/decimal.js';
import { maxBodyBytes } from '../../shared/runtime/index.js';
import {
  apiKey,
  bodyParses,
  contentType,
  eventValidity,
  idempotencyHeader,
  jsonBody,
  renderBody,
  renderItem,
  type ContentTypeKind,
  type Item,
  type JsonBody,
  type KeyKind,
} from './arbitraries/ingest-body.js';
import { post, type Json } from './harness/answers.js';
import { fuzzParameters, startFuzzEnv, type FuzzEnv } from './harness/environment.js';
import { expectNoStrayRowsAnywhere, ingestChecked, makeLanes, type IngestOutcome, type Lane } from './harness/ingest.js';
import { Tally } from './harness/tally.js';
import { plainDecimal } from './models/decimal-literal.js';

const numRuns = Number(process.env.FUZZ_INGEST_RUNS ?? 1200);
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
          fc.asyncProperty(jsonBody, contentType, apiKey, idempotencyHeader, async (b, type, key, idemHeader) => {
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
  b: JsonBody,
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
