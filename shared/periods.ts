/**
 * Periods of time: pure functions over instants, every period half-open
 * ([start, end)). Days and months are UTC's today, as usage aggregates and
 * billing months are; windows in an organization's time zone will take the
 * zone as one more argument to these same functions, and add hours as a unit.
 */

/** A half-open interval of time: from `start` included to `end` excluded. */
export interface Period {
  start: Date;
  end: Date;
}

/** The calendar units periods are cut into. */
export const PeriodUnit = { Day: 'day', Month: 'month' } as const;
export type PeriodUnit = (typeof PeriodUnit)[keyof typeof PeriodUnit];

const msPerDay = 86_400_000;

/** The start of the UTC day or month that holds `at`. */
export function startOf(unit: PeriodUnit, at: Date): Date {
  const [year, month] = [at.getUTCFullYear(), at.getUTCMonth()];
  return new Date(unit === PeriodUnit.Month ? Date.UTC(year, month, 1) : Date.UTC(year, month, at.getUTCDate()));
}

/** The start of the UTC day or month after the one that holds `at`. */
export function startOfNext(unit: PeriodUnit, at: Date): Date {
  const start = startOf(unit, at);
  return unit === PeriodUnit.Month ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)) : new Date(start.getTime() + msPerDay);
}

/** The UTC day or month that holds `at`. */
export function periodOf(unit: PeriodUnit, at: Date): Period {
  return { start: startOf(unit, at), end: startOfNext(unit, at) };
}

/** `at` itself when a UTC day or month starts there, else the start of the next one. */
export function startAtOrAfter(unit: PeriodUnit, at: Date): Date {
  const start = startOf(unit, at);
  return start.getTime() === at.getTime() ? start : startOfNext(unit, at);
}

/** The UTC calendar date of `at` as `YYYY-MM-DD` (a PostgreSQL `date`). */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `count` days of 24 hours, in milliseconds: a duration for limits ("at most 400 days"), not calendar days. */
export function daysInMs(count: number): number {
  return count * msPerDay;
}

/** True when `period` lasts at most `days` days of 24 hours. */
export function lastsAtMostDays(period: Period, days: number): boolean {
  return period.end.getTime() - period.start.getTime() <= daysInMs(days);
}

/** The period's bounds in RFC 3339 (`2026-12-01T00:00:00.000Z`), as the wire carries them. */
export function periodText(period: Period): { periodStart: string; periodEnd: string } {
  return { periodStart: period.start.toISOString(), periodEnd: period.end.toISOString() };
}
