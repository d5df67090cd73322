import { describe, expect, it } from 'vitest';
import { Decimal, NumberLiteral } from './decimal.js';

describe('Decimal', () => {
  it.each([
    ['12', '12'],
    ['-0.50', '-0.5'],
    ['1.5e3', '1500'],
    ['1.5E-3', '0.0015'],
    ['0.000000000001', '0.000000000001'],
    ['123456789012345678901234.123456789012', '123456789012345678901234.123456789012'],
    ['+7.000', '7'],
  ])('parses %s exactly as %s', (text, expected) => {
    expect(Decimal.of(text).toString()).toBe(expected);
  });

  it.each(['', '1.', '.5', '1e', 'NaN', 'Infinity', '0x10', '1,5', '1 000'])('refuses %j', (text) => {
    expect(Decimal.parse(text)).toBeUndefined();
  });

  it('adds, subtracts and multiplies without floating point error', () => {
    expect(Decimal.of('0.1').add(Decimal.of('0.2')).toString()).toBe('0.3');
    expect(Decimal.of('1').sub(Decimal.of('0.9')).toString()).toBe('0.1');
    expect(Decimal.of('1.1').mul(Decimal.of('1.1')).toString()).toBe('1.21');
    expect(Decimal.of('100000000000000000000.01').add(Decimal.of('0.01')).toString()).toBe('100000000000000000000.02');
  });

  it('rounds halves away from zero', () => {
    expect(Decimal.of('0.125').roundHalfUp(2).toString()).toBe('0.13');
    expect(Decimal.of('0.124999').roundHalfUp(2).toString()).toBe('0.12');
    expect(Decimal.of('-0.125').roundHalfUp(2).toString()).toBe('-0.13');
    expect(Decimal.of('2.5').roundHalfUp(0).toString()).toBe('3');
    expect(Decimal.of('1.005').toFixed(2)).toBe('1.01');
    expect(Decimal.of('7').toFixed(2)).toBe('7.00');
    expect(Decimal.of('-0.001').toFixed(2)).toBe('0.00');
  });

  it.each([
    ['7', '2', '4'],
    ['8', '2', '4'],
    ['0', '3', '0'],
    ['0.5', '0.25', '2'],
    ['0.500000000001', '0.25', '3'],
    ['12.5', '0.5', '25'],
    ['1', '3', '1'],
    ['-7', '2', '-3'],
    ['7', '-2', '-3'],
    ['-7', '-2', '4'],
    ['100000000000000000000000000', '0.000000000001', '100000000000000000000000000000000000000'],
  ])('divides %s by %s up to the integer %s', (a, b, expected) => {
    expect(Decimal.of(a).divCeil(Decimal.of(b)).toString()).toBe(expected);
  });

  it('refuses to divide by zero', () => {
    expect(() => Decimal.of('1').divCeil(Decimal.zero)).toThrow(RangeError);
  });

  it('reports decimal places and integer digits', () => {
    expect(Decimal.of('12.3400').decimalPlaces).toBe(2);
    expect(Decimal.of('0.5').integerDigits).toBe(0);
    expect(Decimal.of('12345.5').integerDigits).toBe(5);
  });
});

describe('NumberLiteral', () => {
  it.each(['0', '5', '-0.50', '12345678901234.123456789012', '1.5e3', '1E-12'])('keeps %s exactly as written', (text) => {
    expect(NumberLiteral.parse(text)?.text).toBe(text);
    expect(NumberLiteral.of(text).toDecimal()!.cmp(Decimal.of(text))).toBe(0);
  });

  it.each(['', ' 5', '+5', '05', '1.', '.5', '1e', 'NaN', 'Infinity', '0x10', '1,5', 'five'])('is not %j, as JSON would not be', (text) => {
    expect(NumberLiteral.parse(text)).toBeUndefined();
    expect(() => NumberLiteral.of(text)).toThrow(RangeError);
  });
});
