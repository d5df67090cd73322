/**
 * Pricing against an independent model: integers of 10^-24 and hand-written
 * half-up rounding, on random plans and usages, rounding edges included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../shared/decimal.js';
import { priceUsage } from './pricing.js';

const SCALE = 24n;
const ONE = 10n ** SCALE;

/** A decimal string as an integer count of 10^-24. */
function toUnits(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * ONE + BigInt((fraction + '0'.repeat(Number(SCALE))).slice(0, Number(SCALE)));
}

/** Model: amount in minor units for billable × price, rounded half away from zero. */
function modelLineMinor(usage: string, free: string, price: string, minor: number): bigint {
  const billable = toUnits(usage) > toUnits(free) ? toUnits(usage) - toUnits(free) : 0n;
  const product = billable * toUnits(price); // scale 10^-48
  const divisor = 10n ** (2n * SCALE - BigInt(minor));
  const quotient = product / divisor;
  return product % divisor >= divisor / 2n ? quotient + 1n : quotient;
}

const decimalText = (maxWhole: number, places: number) =>
  fc.tuple(fc.integer({ min: 0, max: maxWhole }), fc.integer({ min: 0, max: 10 ** places - 1 })).map(([w, f]) => `${w}.${String(f).padStart(places, '0')}`);

describe('priceUsage', () => {
  it('matches the independent model on random plans and usages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(decimalText(10_000_000, 12), decimalText(1_000_000, 6), decimalText(1_000, 6)), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0, 2, 3),
        (rows, minor) => {
          const plans = rows.map(([, free, price], i) => ({ metric: `m${i}`, freeQuota: Decimal.of(free), unitPrice: Decimal.of(price) }));
          const usage = new Map(rows.map(([quantity], i) => [`m${i}`, Decimal.of(quantity)]));
          const priced = priceUsage(plans, usage, minor);
          let total = 0n;
          rows.forEach(([quantity, free, price], i) => {
            const expected = modelLineMinor(quantity, free, price, minor);
            total += expected;
            const line = priced.lines.find((l) => l.metric === `m${i}`)!;
            expect(toUnits(line.amount.toFixed(minor)) / 10n ** (SCALE - BigInt(minor))).toBe(expected);
          });
          expect(toUnits(priced.amount.toFixed(minor)) / 10n ** (SCALE - BigInt(minor))).toBe(total);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rounds x.xx5 up, and just below it down', () => {
    const plan = { metric: 'api_calls', freeQuota: Decimal.zero, unitPrice: Decimal.of('0.005') };
    expect(priceUsage([plan], new Map([['api_calls', Decimal.of('1')]]), 2).amount.toFixed(2)).toBe('0.01');
    expect(priceUsage([plan], new Map([['api_calls', Decimal.of('0.999')]]), 2).amount.toFixed(2)).toBe('0.00');
    expect(priceUsage([plan], new Map([['api_calls', Decimal.of('3')]]), 2).amount.toFixed(2)).toBe('0.02');
  });

  it('bills nothing within the free quota, and prices the rest', () => {
    const plans = [
      { metric: 'api_calls', freeQuota: Decimal.of('1000'), unitPrice: Decimal.of('0.002') },
      { metric: 'storage_gb', freeQuota: Decimal.of('10'), unitPrice: Decimal.of('0.25') },
    ];
    const priced = priceUsage(plans, new Map([['api_calls', Decimal.of('1500')], ['storage_gb', Decimal.of('4')], ['seats', Decimal.of('9')]]), 2);
    expect(priced.lines.map((l) => [l.metric, l.billableQuantity.toString(), l.amount.toFixed(2)])).toEqual([
      ['api_calls', '500', '1.00'],
      ['storage_gb', '0', '0.00'],
    ]);
    expect(priced.amount.toFixed(2)).toBe('1.00');
  });
});
