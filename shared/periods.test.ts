import { describe, expect, it } from 'vitest';
import { daysInMs, lastsAtMostDays, periodOf, PeriodUnit, periodText, startAtOrAfter, startOf, startOfNext, utcDate } from './periods.js';

const at = (text: string) => new Date(text);

describe('UTC days and months', () => {
  it.each([
    ['2026-11-25T10:00:00.123Z', '2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    ['2026-11-25T00:00:00.000Z', '2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-28T12:00:00+09:00', '2028-02-28T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
  ])('the day holding %s is [%s, %s)', (instant, start, end) => {
    expect(periodText(periodOf(PeriodUnit.Day, at(instant)))).toEqual({ periodStart: start, periodEnd: end });
  });

  it.each([
    ['2026-11-25T10:00:00Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['2027-01-01T00:30:00+01:00', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('the month holding %s is [%s, %s)', (instant, start, end) => {
    expect(periodText(periodOf(PeriodUnit.Month, at(instant)))).toEqual({ periodStart: start, periodEnd: end });
  });

  it('starts and starts next of each unit', () => {
    expect(startOf(PeriodUnit.Day, at('2026-03-31T18:00:00Z'))).toEqual(at('2026-03-31T00:00:00Z'));
    expect(startOfNext(PeriodUnit.Day, at('2026-03-31T18:00:00Z'))).toEqual(at('2026-04-01T00:00:00Z'));
    expect(startOfNext(PeriodUnit.Month, at('2026-01-31T18:00:00Z'))).toEqual(at('2026-02-01T00:00:00Z'));
  });

  it('rounds up to a boundary, keeping one that is already there', () => {
    expect(startAtOrAfter(PeriodUnit.Day, at('2026-11-25T00:00:00Z'))).toEqual(at('2026-11-25T00:00:00Z'));
    expect(startAtOrAfter(PeriodUnit.Day, at('2026-11-25T00:00:00.001Z'))).toEqual(at('2026-11-26T00:00:00Z'));
    expect(startAtOrAfter(PeriodUnit.Month, at('2026-12-01T00:00:00Z'))).toEqual(at('2026-12-01T00:00:00Z'));
    expect(startAtOrAfter(PeriodUnit.Month, at('2026-12-15T00:00:00Z'))).toEqual(at('2027-01-01T00:00:00Z'));
  });

  it('writes the UTC date of an instant', () => {
    expect(utcDate(at('2026-11-25T23:30:00-02:00'))).toBe('2026-11-26');
    expect(utcDate(at('1970-01-01T00:00:00Z'))).toBe('1970-01-01');
  });
});

describe('durations in days', () => {
  it('counts days of 24 hours', () => {
    expect(daysInMs(1)).toBe(86_400_000);
    expect(daysInMs(35)).toBe(35 * 24 * 60 * 60 * 1000);
  });

  it('bounds a period by its length, the limit included', () => {
    const start = at('2026-01-01T00:00:00Z');
    expect(lastsAtMostDays({ start, end: at('2027-01-01T00:00:00Z') }, 365)).toBe(true);
    expect(lastsAtMostDays({ start, end: at('2027-01-01T00:00:00.001Z') }, 365)).toBe(false);
  });
});
