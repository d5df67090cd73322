/**
 * Windows of local time in any IANA zone: the hours, days and months a usage
 * query cuts its range into, each a half-open period of instants.
 *
 * A window's bounds come from the zone's wall clock, never from fixed lengths:
 * an hour starts wherever the local minute and second are 0 (so around a
 * 30-minute DST shift one lasts 90 minutes, and a repeated fall-back hour is a
 * window of its own), a day at the first instant of each local date (midnight,
 * or the end of the gap where DST skips midnight), a month at the first instant
 * of its first day. Luxon's zone data gives the offset at any instant; the walk
 * goes from boundary to boundary, proposing the next one from the current offset
 * and checking the offset there, so a 400-day query costs a few hundred offset
 * look-ups rather than one per quarter hour.
 *
 * Luxon asks Intl for every look-up (tens of microseconds each) and builds a
 * formatter to tell whether a name is a zone at all, which made the zone the
 * costliest part of a usage query. Both answers are fixed for the life of the
 * process (its zone data does not change under it), so both are remembered:
 * which names are zones, and each zone's offsets at the instants asked for,
 * which repeat from query to query (the same month's boundaries, say).
 */
import { IANAZone } from 'luxon';

export const WindowSize = { Hour: 'HOUR', Day: 'DAY', Month: 'MONTH', Period: 'PERIOD' } as const;
export type WindowSize = (typeof WindowSize)[keyof typeof WindowSize];

/** A half-open interval of time: from `start` included to `end` excluded. */
export interface TimeWindow {
  start: Date;
  end: Date;
}

/** The windows that follow the calendar rather than the clock. */
type CalendarSize = typeof WindowSize.Day | typeof WindowSize.Month;

const msPerMinute = 60_000;
const msPerHour = 3_600_000;
const msPerDay = 86_400_000;

/** Names and instants remembered at most, so that requests naming endless made-up zones or instants cannot grow memory. */
const rememberedZoneNames = 1_000;
const rememberedOffsetsPerZone = 10_000;

const zoneNames = new Map<string, boolean>();

/** True for an IANA zone name this runtime knows (e.g. 'Asia/Kathmandu', 'UTC'); false for '', 'Mars/Base', offsets like '+05:00'. */
export function isTimeZone(name: string): boolean {
  let known = zoneNames.get(name);
  if (known === undefined) {
    // Newer ICU versions accept bare offsets as zones; a stored zone is a name, so they never pass.
    known = /^[A-Za-z]/.test(name) && IANAZone.isValidZone(name);
    if (zoneNames.size < rememberedZoneNames) zoneNames.set(name, known);
  }
  return known;
}

/** A zone's offsets in milliseconds by instant, as far as they were looked up. */
const offsetsByZone = new Map<string, Map<number, number>>();

/**
 * UTC under its usual names: offset 0 at every instant, so no look-up. Most
 * queries are in UTC, and each asks about a new instant (the default month
 * is found from the time of the request), which the memo below cannot answer.
 */
const utcNames = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);

/** The offset of a zone known to {@link isTimeZone} at instant `at`, in milliseconds. */
function zoneOffsetAt(zone: IANAZone, at: number): number {
  if (utcNames.has(zone.name)) return 0;
  let offsets = offsetsByZone.get(zone.name);
  if (!offsets) offsetsByZone.set(zone.name, (offsets = new Map()));
  let offset = offsets.get(at);
  if (offset === undefined) {
    // Luxon gives minutes, fractional for the local mean times of the 19th century.
    offset = Math.round(zone.offset(at) * msPerMinute);
    // Forgetting everything at the bound keeps the memo simple; the instants in use come back at once.
    if (offsets.size >= rememberedOffsetsPerZone) offsets.clear();
    offsets.set(at, offset);
  }
  return offset;
}

/** The windows of `size` in `timeZone` whose start lies in [from, to), in order. PERIOD: the single window [from, to). */
export function windowsStartingIn(size: WindowSize, timeZone: string, from: Date, to: Date): TimeWindow[] {
  if (!isTimeZone(timeZone)) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  const [start, end] = [from.getTime(), to.getTime()];
  if (Number.isNaN(start) || Number.isNaN(end)) throw new RangeError('windows need valid instants');
  if (start >= end) return [];
  if (size === WindowSize.Period) return [{ start: new Date(start), end: new Date(end) }];

  const clock = new WallClock(IANAZone.create(timeZone));
  const next = size === WindowSize.Hour ? (at: number) => clock.nextHourStart(at) : (at: number) => clock.nextCalendarStart(size, at);
  const windows: TimeWindow[] = [];
  let cursor = clock.startsWindow(size, start) ? start : next(start);
  while (cursor < end) {
    const following = next(cursor);
    windows.push({ start: new Date(cursor), end: new Date(following) });
    cursor = following;
  }
  return windows;
}

/** The local calendar month of `timeZone` that holds instant `at`. */
export function monthContaining(timeZone: string, at: Date): TimeWindow {
  // Every month starts within 31 days before any of its instants, so the last month starting in that span holds `at`.
  const months = windowsStartingIn(WindowSize.Month, timeZone, new Date(at.getTime() - 32 * msPerDay), new Date(at.getTime() + 1));
  return months[months.length - 1]!;
}

/**
 * A zone's wall clock as a number: the local date and time written as if it
 * were UTC, in milliseconds (`at` plus the offset in force at `at`).
 */
class WallClock {
  // The last look-up: each step of a walk starts where the previous one ended.
  private lastAt = Number.NaN;
  private lastOffset = 0;

  constructor(private readonly zone: IANAZone) {}

  offsetAt(at: number): number {
    if (at !== this.lastAt) {
      this.lastOffset = zoneOffsetAt(this.zone, at);
      this.lastAt = at;
    }
    return this.lastOffset;
  }

  wallAt(at: number): number {
    return at + this.offsetAt(at);
  }

  startsWindow(size: Exclude<WindowSize, typeof WindowSize.Period>, at: number): boolean {
    if (size === WindowSize.Hour) return modulo(this.wallAt(at), msPerHour) === 0;
    return calendarIndex(size, this.wallAt(at)) !== calendarIndex(size, this.wallAt(at - 1));
  }

  /**
   * The first instant after `at` whose local minute, second and millisecond
   * are 0. Under one offset those instants are an hour apart, so the next
   * whole hour under the offset at `at` is the answer when that offset still
   * holds there; otherwise a transition lies between, and the answer is the
   * first whole local hour under the new offset that comes after it.
   */
  nextHourStart(at: number): number {
    const offset = this.offsetAt(at);
    const candidate = nextWholeHour(at, offset);
    const offsetThere = this.offsetAt(candidate);
    if (offsetThere === offset) return candidate;
    // Several transitions within a few hours happen in no zone; the bound only keeps a broken zone from looping.
    for (let later = nextWholeHour(at, offsetThere), tries = 0; tries < 48; later += msPerHour, tries++) {
      if (this.offsetAt(later) === offsetThere) return later;
    }
    throw new RangeError(`no local hour starts within two days after ${new Date(at).toISOString()}`);
  }

  /**
   * The first instant after `at` that lies in a later local day (or month)
   * than `at` does: the next local midnight under the offset at `at`, when
   * that offset still holds there (only an offset changed and changed back
   * within the hour before midnight could make an earlier instant local
   * midnight, and no zone does that). Otherwise a transition lies between, a
   * couple of times a year; local dates only move forward, so "lies in a later
   * day" turns true once, and bisection finds the instant in some thirty look-ups.
   */
  nextCalendarStart(size: CalendarSize, at: number): number {
    const offset = this.offsetAt(at);
    const current = calendarIndex(size, at + offset);
    const nextWallStart = calendarStart(size, current + 1);
    const candidate = nextWallStart - offset;
    if (this.offsetAt(candidate) === offset) return candidate;

    // Offsets lie within ±1 day, so a day past the next local start is later on every clock.
    let [before, after] = [at, nextWallStart + msPerDay];
    while (after - before > 1) {
      const middle = Math.floor((before + after) / 2);
      if (calendarIndex(size, this.wallAt(middle)) > current) after = middle;
      else before = middle;
    }
    return after;
  }
}

/** The first instant after `at` at which a clock `offset` ahead of UTC shows a whole hour. */
function nextWholeHour(at: number, offset: number): number {
  return at + msPerHour - modulo(at + offset, msPerHour);
}

/** Days or months since 1970-01 of a wall-clock time. */
function calendarIndex(size: CalendarSize, wall: number): number {
  if (size === WindowSize.Day) return Math.floor(wall / msPerDay);
  const date = new Date(wall);
  return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
}

/** The wall-clock time at which day (or month) `index` starts. */
function calendarStart(size: CalendarSize, index: number): number {
  return size === WindowSize.Day ? index * msPerDay : Date.UTC(1970, index, 1);
}

function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
