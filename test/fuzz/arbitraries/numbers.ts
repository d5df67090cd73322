/** Number literals for quantities and prices: valid ones in every notation, and hostile ones. */
import fc from 'fast-check';
import { numberFacts } from '../models/decimal-literal.js';

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
