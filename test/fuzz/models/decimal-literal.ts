/** Exact decimal literals, checked independently of shared/decimal.ts. */
import type { Validity } from './validity.js';

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

/**
 * What the contract makes of a JSON number literal as a quantity: ≥ 0, at
 * most 12 decimal places, below 10^26; anything else is refused.
 */
export function quantityValidity(literal: string): Validity {
  const facts = numberFacts(literal);
  if (!facts) return 'invalid';
  if (Math.abs(facts.exponent) > 1000) return 'unknown'; // a huge exponent may be refused as "not a number" even for 0
  if (facts.negative && !facts.zero) return 'invalid';
  if (facts.decimalPlaces > 12 || facts.integerDigits > 26) return 'invalid';
  return 'valid';
}
