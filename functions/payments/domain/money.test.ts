import { describe, expect, it } from 'vitest';
import { toMinorUnits } from './money.js';

describe('toMinorUnits', () => {
  it.each([
    ['12.34', 'USD', 1234],
    ['0.01', 'USD', 1],
    ['49.99', 'USD', 4999],
    ['-0.50', 'EUR', -50],
    ['0.00', 'USD', 0],
    ['1500', 'JPY', 1500],
    ['2', 'JPY', 2],
    ['1.235', 'BHD', 1235],
    // Billing's lines are already rounded; a finer amount is rounded half-up, exactly.
    ['1.005', 'USD', 101],
    ['1.5', 'JPY', 2],
    ['0.1', 'USD', 10],
    ['90071992547409.91', 'USD', 9007199254740991],
  ])('%s %s → %i', (amount, currency, units) => {
    expect(toMinorUnits(amount, currency)).toBe(units);
  });

  it('refuses what is no decimal, and amounts a number cannot hold exactly', () => {
    expect(() => toMinorUnits('ten', 'USD', 'line_items[0].amount')).toThrow('line_items[0].amount: must be a decimal number');
    expect(() => toMinorUnits('90071992547409.92', 'USD')).toThrow(/more than Stripe takes/);
  });
});
