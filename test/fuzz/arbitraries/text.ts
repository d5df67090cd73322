/** Strings a validator might trip on: hostile text, metric names, UUIDs, header values. */
import fc from 'fast-check';
import { metricPattern } from '../models/text.js';

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

/** Metric names the contract accepts. */
export const validMetric = fc.stringMatching(metricPattern);

/** Metric names that are mostly refused: hostile strings and near misses of the pattern. */
export const hostileMetric: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  fc.constantFrom('', 'API', 'Api_calls', '1api', '_api', 'api calls', 'api/calls', 'a'.repeat(65), 'api_calls\n', ' api_calls', 'apí', 'api\u0000'),
);

/** A random valid UUID. */
export const uuid = fc.uuid();
/** The nil UUID, valid in form, never an organization. */
export const nilUuid = '00000000-0000-0000-0000-000000000000';

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
