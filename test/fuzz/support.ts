/**
 * Shared pieces of the property-based fuzz suite (test/fuzz/*.fuzz.test.ts):
 * a host with tenants, generators of hostile values, the checks every answer
 * must pass, and a tally for each file's summary line.
 *
 * Each file runs its cases in concurrent lanes (one fc.assert each, with
 * tenants of its own), since most of a case's time is waiting.
 *
 * Environment: FUZZ_SEED=<n> replays a run (fast-check prints the seed of a
 * failure; lane i of a file runs with seed n + i, the raw gRPC lanes with
 * n + 1000 + i), FUZZ_NO_SHRINK=1 reports the first failure as found, and
 * FUZZ_INGEST_RUNS, FUZZ_CE_INGEST_RUNS, FUZZ_CE_EVENTS_RUNS, FUZZ_GRPC_RUNS,
 * FUZZ_GRPC_RAW_RUNS, FUZZ_GRAPHQL_RUNS change the case counts (defaults:
 * 4000, 1300, 900, 1700, 500, 2000: 10,400 in all).
 */
import http from 'node:http';
import fc from 'fast-check';
import { expect } from 'vitest';
import { functionRegistry } from '../../functions/registry.js';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import type { Sql } from '../../shared/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { rpcClient } from '../support/grpc.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { deleteStream } from '../support/nats.js';
import { createTenant, type TestTenant } from '../support/tenants.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** fast-check parameters from the environment: FUZZ_SEED replays a run (fast-check prints the seed of a failure). */
export function fuzzParameters(lane = 0): { seed?: number; endOnFailure?: boolean; interruptAfterTimeLimit: number } {
  return {
    ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) + lane } : {}),
    // FUZZ_NO_SHRINK=1 reports the first failure as found.
    ...(process.env.FUZZ_NO_SHRINK ? { endOnFailure: true } : {}),
    // Shrinking a failure over real requests can take long: stop it in time to report (each test counts its cases too).
    interruptAfterTimeLimit: 100_000,
  };
}

/** HS256 secret the fuzz hosts are started with (JWT login on). */
export const fuzzJwtSecret = 'fuzz-jwt-secret-that-is-long-enough-0123456789';

export interface FuzzEnv {
  db: TestDatabase;
  host: TestHost;
  acme: TestTenant;
  globex: TestTenant;
  /** A tenant whose only key was revoked before any use. */
  revoked: TestTenant;
  close(): Promise<void>;
}

/** The functions under fuzz: every function of Identity, Usage, Billing and the GraphQL gateway (not other, newer ones). */
export const fuzzedFunctions = functionRegistry.filter((entry) => /^(identity|usage|billing|gateway)\//.test(entry.module));

/** A fresh database, the in-process host, and three tenants (one with its key revoked). */
export async function startFuzzEnv(env: Record<string, string> = {}): Promise<FuzzEnv> {
  const db = await createTestDatabase();
  const host = await startTestHost({
    databaseUrl: db.url,
    entries: fuzzedFunctions,
    env: { POLARIS_JWT_SECRET: fuzzJwtSecret, POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS: '0', ...env },
  });
  const acme = await createTenant(host.grpcAddress, 'Acme');
  const globex = await createTenant(host.grpcAddress, 'Globex');
  const revoked = await createTenant(host.grpcAddress, 'Revoked');
  const operator = rpcClient(host.grpcAddress);
  try {
    await operator.call(IdentityService.revokeApiKey, { apiKeyId: revoked.apiKeyId });
  } finally {
    operator.close();
  }
  return {
    db,
    host,
    acme,
    globex,
    revoked,
    async close() {
      await host.close();
      await deleteStream(host.natsUrl, host.stream.stream);
      await db.drop();
    },
  };
}

// ---------------------------------------------------------------------------
// Checks

/** `{"error": {"code": <non-empty string>, "message": <string>, ...}}`. */
export function isCodedErrorBody(body: unknown): boolean {
  const error = (body as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof error.code === 'string' &&
    error.code.length > 0 &&
    typeof error.message === 'string'
  );
}

/** An error object as found in per-item results: `{"code", "message"}`. */
export function isCodedError(error: unknown): boolean {
  return isCodedErrorBody({ error });
}

/** What must never reach a client: stack frames, SQL, connection strings. */
const leakPatterns: RegExp[] = [
  /\bat [^\n]*\.(?:ts|js|mjs|cjs):\d+/i, // a stack frame
  /\bat (?:async )?[\w$.<>]+ \(/, // "at fn (" frame without a file
  /node:internal/,
  /select /i,
  /insert into/i,
  /relation "/i,
  /postgres:\/\//i,
  /\bSQLSTATE\b|\bPostgresError\b/i,
];

/** The leak found in `text`, unless the request itself carried that text (an echo is no leak). */
export function findLeak(text: string, request: string): string | undefined {
  for (const pattern of leakPatterns) {
    const match = pattern.exec(text);
    if (match && !pattern.test(request)) return match[0];
  }
  return undefined;
}

/** Text PostgreSQL can store as sent: well-formed Unicode, no U+0000 (the contract refuses the rest). */
export const isStorableText = (text: string): boolean => text.isWellFormed() && !text.includes('\u0000');

/** Parses JSON or answers undefined. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Tally and summary

export class Tally {
  cases = 0;
  fiveXx = 0;
  uncoded = 0;
  strayRows = 0;
  /** Other counters a file wants in its summary (internal, accepted, …). */
  readonly extra = new Map<string, number>();
  private readonly started = performance.now();

  constructor(readonly name: string) {}

  count(name: string, by = 1): void {
    this.extra.set(name, (this.extra.get(name) ?? 0) + by);
  }

  /** One line for the lead's report. */
  print(): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const extra = [...this.extra].map(([name, value]) => `, ${name}: ${value}`).join('');
    console.log(`fuzz: ${this.name} ${this.cases} cases in ${seconds} s, 5xx: ${this.fiveXx}, uncoded: ${this.uncoded}, stray rows: ${this.strayRows}${extra}`);
  }
}

// ---------------------------------------------------------------------------
// Exact decimal literals, checked independently of shared/decimal.ts

export interface NumberFacts {
  negative: boolean;
  zero: boolean;
  /** Digits after the point once trailing zeros are dropped. */
  decimalPlaces: number;
  /** Digits before the point (0 below 1). */
  integerDigits: number;
  /** The literal's explicit exponent, 0 without one. */
  exponent: number;
}

const jsonNumber = /^(-)?(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Facts about a JSON number literal; undefined when it is not one. */
export function numberFacts(literal: string): NumberFacts | undefined {
  const match = jsonNumber.exec(literal);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return { negative: false, zero: true, decimalPlaces: 0, integerDigits: 0, exponent };
  const trimmed = digits.replace(/0+$/, '');
  // value = digits × 10^power
  const power = exponent - fraction.length + (digits.length - trimmed.length);
  digits = trimmed;
  return {
    negative: sign === '-',
    zero: false,
    decimalPlaces: Math.max(0, -power),
    integerDigits: power >= 0 ? digits.length + power : Math.max(0, digits.length + power),
    exponent,
  };
}

/** The plain, normalized form of a JSON number literal (`1.50e3` → `1500`, `0.10` → `0.1`). Only for modest exponents. */
export function plainDecimal(literal: string): string {
  const match = jsonNumber.exec(literal);
  if (!match) throw new Error(`not a JSON number: ${literal}`);
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const trimmed = digits.replace(/0+$/, '');
  let power = Number(exponentText) - fraction.length + (digits.length - trimmed.length);
  digits = trimmed;
  let text: string;
  if (power >= 0) text = digits + '0'.repeat(power);
  else {
    power = -power;
    text = power >= digits.length ? `0.${'0'.repeat(power - digits.length)}${digits}` : `${digits.slice(0, digits.length - power)}.${digits.slice(digits.length - power)}`;
  }
  return `${sign ?? ''}${text}`;
}

// ---------------------------------------------------------------------------
// Generators

const digit = fc.constantFrom(...'0123456789'.split(''));
const digits = (min: number, max: number) => fc.array(digit, { minLength: min, maxLength: max }).map((d) => d.join(''));

/** Quantity literals that are valid: ≥ 0, ≤ 12 decimal places, < 10^26, in plain or exponent notation. */
export const validQuantityLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: 1_000_000 }).map(String),
  fc
    .tuple(fc.oneof(fc.constant('0'), fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 25)).map(([a, b]) => `${a}${b}`)), digits(0, 12), digits(0, 3))
    .map(([whole, fraction, zeros]) => (fraction || zeros ? `${whole}.${fraction}${zeros}` : whole))
    .filter((literal) => {
      const facts = numberFacts(literal)!;
      return facts.decimalPlaces <= 12 && facts.integerDigits <= 26;
    }),
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), digits(0, 6), fc.integer({ min: -12, max: 19 }), fc.constantFrom('e', 'E'), fc.constantFrom('', '+'))
    .map(([lead, rest, exponent, e, plus]) => `${lead}${rest ? `.${rest}` : ''}${e}${exponent >= 0 ? plus : ''}${exponent}`)
    .filter((literal) => numberFacts(literal)!.decimalPlaces <= 12),
  fc.constantFrom('0', '0.0', '-0', '-0.0', '0e0', '0.000000000001', '12345678901234.123456789012', '99999999999999999999999999', '1.5e3', '1e-12', '100e-14', '0e-5'),
);

/** Number literals that must be refused as a quantity (negative, too precise, too large) or that stress the parser. */
export const hostileNumberLiteral: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -1_000_000, max: -1 }).map(String),
  fc.tuple(digits(1, 3), digits(13, 30)).map(([whole, fraction]) => `${Number(whole)}.${fraction.replace(/0$/, '1')}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), digits(26, 60)).map(([a, b]) => `${a}${b}`),
  fc.constantFrom(
    '-1',
    '-0.5',
    '0.0000000000001',
    '1e-13',
    '1e26',
    '1e30',
    '1e308',
    '1e309',
    '1e400',
    '-1e400',
    '1e1000',
    '1e1001',
    '1e-1000',
    '1e-1001',
    '0e99999',
    '1e99999999999',
    '1e-99999999999',
    '123456789012345678901234567890',
    '1.7976931348623157e308',
    '5e-324',
    '9007199254740993',
    '1' + '0'.repeat(2000),
    '0.' + '0'.repeat(2000) + '1',
  ),
);

/** Text that is not a valid JSON number at all (breaks the whole body). */
export const brokenNumberText = fc.constantFrom('01', '+1', '.5', '1.', '1e', '1e+', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '١٢', '--1', '1.2.3');

/** Strings a validator might trip on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n',
      '\u0000',
      'a\u0000b',
      '\ud800',
      '\udfff',
      'x\ud83dy',
      '\u202e',
      '\ufeff',
      'ß',
      'İ',
      '😀',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      '../../etc/passwd',
      "'; drop table usage.usage_events; --",
      '" or 1=1 --',
      '${jndi:ldap://x}',
      '{{7*7}}',
      '<script>alert(1)</script>',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'null',
      'undefined',
      'NaN',
      'true',
      '0',
      '-1',
      '1e400',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 5000 }).map((n) => 'k'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), 'é'.repeat(33_000), '😀'.repeat(20_000)) },
);

/** Keys that have bitten JavaScript object handling before. */
export const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString', 'valueOf', 'toJSON', '');

export const validMetric = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,63}$/);

export const hostileMetric: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  fc.constantFrom('', 'API', 'Api_calls', '1api', '_api', 'api calls', 'api/calls', 'a'.repeat(65), 'api_calls\n', ' api_calls', 'apí', 'api\u0000'),
);

export const uuid = fc.uuid();
export const nilUuid = '00000000-0000-0000-0000-000000000000';

/** How rfc3339() spells an instant: Z or z or an offset, 0–9 fraction digits, an upper- or lower-case T. */
export interface TimestampStyle {
  offsetMinutes: number;
  fractionDigits: number;
  lowerT: boolean;
  lowerZ: boolean;
}

/** RFC 3339 text for `at`, spelled as `style` says. */
export function rfc3339(at: Date, style: TimestampStyle): string {
  const local = new Date(at.getTime() + style.offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  const nanos = String(at.getTime() % 1000).padStart(3, '0') + '000000';
  const fraction = style.fractionDigits > 0 ? `.${nanos.slice(0, style.fractionDigits)}` : '';
  const sign = style.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(style.offsetMinutes);
  const zone =
    style.offsetMinutes === 0 ? (style.lowerZ ? 'z' : 'Z') : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const text = `${base}${fraction}${zone}`;
  return style.lowerT ? text.replace('T', 't') : text;
}

export const timestampStyle: fc.Arbitrary<TimestampStyle> = fc.record({
  offsetMinutes: fc.oneof(fc.constant(0), fc.integer({ min: -12 * 60, max: 14 * 60 })),
  fractionDigits: fc.integer({ min: 0, max: 9 }),
  lowerT: fc.boolean(),
  lowerZ: fc.boolean(),
});

/** Timestamps as text that are odd or not acceptable: bad format, bad date, out of range, or any string. */
export const hostileTimestampText = fc.oneof(
  fc.constantFrom(
    'yesterday',
    '25/11/2026',
    '2026-11-25',
    '2026-11-25T10:00:00',
    '2026-11-25 10:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-32T00:00:00Z',
    '2026-01-01T24:00:01Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:00+25:00',
    '2026-01-01T00:00:00+99:99',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '2026-01-01T00:00:00.1234567890Z',
    '2026-01-01T00:00:00.Z',
    ' 2026-01-01T00:00:00Z',
    '',
  ),
  hostileString,
);

/** UUID-looking text that is not a valid UUID, or a UUID in an odd spelling. */
export const oddUuidText = fc.oneof(
  uuid.map((u) => u.toUpperCase()),
  uuid.map((u) => `{${u}}`),
  uuid.map((u) => u.replace(/-/g, '')),
  uuid.map((u) => `${u} `),
  uuid.map((u) => u.slice(0, 35) + 'g'),
  uuid.map((u) => `urn:uuid:${u}`),
  fc.constant(nilUuid),
  fc.constant('ffffffff-ffff-ffff-ffff-ffffffffffff'),
);

/** A header value an HTTP client can send: visible ASCII and Latin-1, no CR/LF/NUL, no outer spaces. */
export const headerText = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength }) },
    { weight: 1, arbitrary: fc.constantFrom('Ünïcødé', 'ÿ\u00a0x', 'clé=valeur; x', '\u00ff'.repeat(maxLength)) },
  ).map((value) => value.trim());

/** One keep-alive agent for every request of a file: node:http costs far less CPU per request than fetch. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs a body (no Content-Type unless given), answering the status, the raw
 * text and the parsed JSON (undefined when the body is not JSON).
 */
export function post(url: string, headers: Record<string, string>, body: string | Uint8Array): Promise<{ status: number; text: string; json: unknown }> {
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, text, json: tryJson(text) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

// ---------------------------------------------------------------------------
// POST /ingest with the no-stray-row check

/** A pair of tenants private to one concurrent lane of cases. */
export interface Lane {
  acme: TestTenant;
  globex: TestTenant;
  /** The lane's counts after its last case. */
  last?: LaneSnapshot;
  /** Ids of every event of the lane's organizations seen so far. */
  seen: Set<string>;
}

export async function makeLanes(env: FuzzEnv, count: number): Promise<Lane[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      acme: await createTenant(env.host.grpcAddress, `Acme ${i}`),
      globex: await createTenant(env.host.grpcAddress, `Globex ${i}`),
      seen: new Set<string>(),
    })),
  );
}

export interface StoredRow {
  id: string;
  org: string;
  quantity: string;
}

export interface IngestOutcome {
  status: number;
  text: string;
  json: Json;
  /** Ids answered as newly accepted (a 202 with duplicate=false, or array items `accepted`). */
  accepted: string[];
  /** Per item of the answer (one for a 202): the id, or undefined when rejected. */
  ids: Array<string | undefined>;
  /** The rows that appeared for the lane's organizations. */
  rows: StoredRow[];
}

interface LaneSnapshot {
  events: number;
  pending: number;
}

/**
 * POSTs one request to /ingest and checks what every answer must satisfy:
 * no 5xx, every error coded (per-item results too), no leak, and no stored
 * row from a rejected input: the lane's new rows (events and pending
 * aggregation rows) are exactly the accepted ids, of the caller's organization.
 */
export async function ingestChecked(
  env: FuzzEnv,
  lane: Lane,
  request: { headers: Record<string, string>; body: string; organizationId: string | undefined },
  tally: Tally,
): Promise<IngestOutcome> {
  const orgs = [lane.acme.organizationId, lane.globex.organizationId];
  const counts = (sql: Sql) => sql`
    (select count(*)::int from usage.usage_events where org_id = any(${orgs}::uuid[])) as events,
    (select count(*)::int from usage.pending_aggregation where org_id = any(${orgs}::uuid[])) as pending`;
  // The lane's requests run one at a time and its organizations are its own: the
  // snapshot taken after the previous case is this case's "before".
  const before = lane.last ?? (await env.db.sql<LaneSnapshot[]>`select ${counts(env.db.sql)}`)[0]!;
  const answer = await post(`${env.host.http}/ingest`, request.headers, request.body);
  // The lane's rows not seen after any earlier case (by id, not by time: a
  // row's received_at is its transaction's start, and comparing it with a
  // timestamp read on another connection leans on clocks agreeing to the
  // microsecond), and its counts.
  const [after] = await env.db.sql<Array<LaneSnapshot & { rows: StoredRow[] | null }>>`
    select ${counts(env.db.sql)},
      (select json_agg(json_build_object('id', id::text, 'org', org_id::text, 'quantity', trim_scale(quantity)::text))
       from usage.usage_events where org_id = any(${orgs}::uuid[]) and id <> all(${[...lane.seen]}::uuid[])) as rows`;
  const rows = after!.rows ?? [];
  for (const row of rows) lane.seen.add(row.id);
  lane.last = { events: after!.events, pending: after!.pending };
  tally.cases += 1;
  const what = `POST /ingest ${JSON.stringify(request.headers)} ${request.body.slice(0, 300)}\n→ ${answer.status} ${answer.text.slice(0, 600)}`;
  const json = answer.json as Json;

  if (answer.status >= 500) tally.fiveXx += 1;
  expect(answer.status, what).toBeLessThan(500);
  const leak = findLeak(answer.text, request.body);
  if (leak) tally.count('leaks');
  expect(leak, what).toBeUndefined();

  const accepted: string[] = [];
  let ids: Array<string | undefined> = [];
  if (answer.status >= 300) {
    if (!isCodedErrorBody(json)) tally.uncoded += 1;
    expect(isCodedErrorBody(json), what).toBe(true);
  } else if (answer.status === 202) {
    expect(json, what).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: expect.any(Boolean) });
    if (!json.duplicate) accepted.push(json.id);
    ids = [json.id];
  } else {
    expect(answer.status, what).toBe(200);
    expect(Array.isArray(json?.results), what).toBe(true);
    for (const result of json.results as Json[]) {
      if (result.status === 'rejected') {
        if (!isCodedError(result.error)) tally.uncoded += 1;
        expect(isCodedError(result.error), `${what}\nitem ${JSON.stringify(result)}`).toBe(true);
        expect(result.id, what).toBeUndefined();
      } else {
        expect(['accepted', 'duplicate'], `${what}\nitem ${JSON.stringify(result)}`).toContain(result.status);
        expect(result.id, what).toMatch(/^[0-9a-f-]{36}$/);
        if (result.status === 'accepted') accepted.push(result.id);
      }
    }
    ids = (json.results as Json[]).map((result) => result.id);
  }

  // No stored row from a rejected input.
  const stray = rows.filter((row) => !accepted.includes(row.id)).length + Math.max(0, after!.events - before.events - accepted.length);
  tally.strayRows += stray;
  const rowsText = `${what}\nnew rows: ${JSON.stringify(rows)}`;
  expect(after!.events - before.events, rowsText).toBe(accepted.length);
  expect(after!.pending - before.pending, rowsText).toBe(accepted.length);
  expect(rows.map((row) => row.id).sort(), rowsText).toEqual([...accepted].sort());
  for (const row of rows) expect(row.org, rowsText).toBe(request.organizationId);
  tally.count('accepted', accepted.length);
  return { status: answer.status, text: answer.text, json, accepted, ids, rows };
}

/** After all lanes: every event row and pending row in the database is one that was answered as accepted. */
export async function expectNoStrayRowsAnywhere(env: FuzzEnv, acceptedTotal: number, tally: Tally): Promise<void> {
  const [row] = await env.db.sql<{ events: number; pending: number }[]>`
    select (select count(*)::int from usage.usage_events) as events, (select count(*)::int from usage.pending_aggregation) as pending`;
  tally.strayRows += Math.max(0, row!.events - acceptedTotal);
  expect(row).toEqual({ events: acceptedTotal, pending: acceptedTotal });
}
