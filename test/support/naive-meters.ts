/**
 * A deliberately simple model of usage queries, for property tests that
 * compare the real service against it. It shares nothing with the code it
 * checks (not the window walk of shared/time-zones.ts, not the buckets): it
 * reads the local wall clock of every 15-minute UTC instant with Intl and
 * aggregates each window's events one by one. Slow and obviously right.
 */
import { Decimal } from '../../shared/decimal.js';

export type PropertyScalar = string | number | boolean;

export interface NaiveEvent {
  /** A UUID; ties on occurredAt are broken by the id as a lowercase string. */
  id: string;
  occurredAt: Date;
  /** Exact decimal text. */
  quantity: string;
  properties: Record<string, PropertyScalar>;
}

export type NaiveAggregation = 'SUM' | 'COUNT' | 'MAX' | 'LATEST' | 'UNIQUE_COUNT';

export interface NaiveMeter {
  aggregation: NaiveAggregation;
  valueProperty?: string;
}

export type NaiveWindowSize = 'HOUR' | 'DAY' | 'MONTH' | 'PERIOD';

export interface NaiveQuery {
  from: Date;
  to: Date;
  windowSize: NaiveWindowSize;
  timeZone: string;
  groupBy: string[];
  where: { key: string; values: string[] }[];
}

export interface NaiveRow {
  /** ISO text, as toISOString() writes it. */
  periodStart: string;
  periodEnd: string;
  /** One per groupBy key, in order; null when the event lacks the key. */
  groups: { key: string; value: string | null }[];
  /** Decimal(...).toString(). */
  value: string;
}

export interface NaiveWindow {
  start: Date;
  end: Date;
}

const quarterHour = 15 * 60_000;

/**
 * The rows of a usage query: sorted by periodStart, then by the JSON text of
 * the group values; empty windows and groups omitted. UNIQUE_COUNT counts only
 * the events that have the value property, so a group whose events all lack
 * it has a row worth 0.
 */
export function naiveUsage(events: NaiveEvent[], meter: NaiveMeter, query: NaiveQuery): NaiveRow[] {
  const windows = naiveWindows(query.windowSize, query.timeZone, query.from, query.to);
  const rows: NaiveRow[] = [];
  for (const window of windows) {
    const inWindow = events.filter((event) => window.start <= event.occurredAt && event.occurredAt < window.end && passes(event, query.where));
    const groups = new Map<string, NaiveEvent[]>();
    for (const event of inWindow) {
      const key = JSON.stringify(groupValues(event, query.groupBy));
      groups.set(key, [...(groups.get(key) ?? []), event]);
    }
    for (const [key, members] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const values = JSON.parse(key) as (string | null)[];
      rows.push({
        periodStart: window.start.toISOString(),
        periodEnd: window.end.toISOString(),
        groups: query.groupBy.map((groupKey, index) => ({ key: groupKey, value: values[index] ?? null })),
        value: aggregate(meter, members),
      });
    }
  }
  return rows;
}

/**
 * The windows whose start lies in [from, to), found by brute force over every
 * 15-minute UTC instant from just before `from` onwards. An HOUR starts where
 * the local wall clock shows minute 0. A DAY (MONTH) starts at the first
 * instant showing a date (month) later than any shown before: when clocks go
 * back across midnight, as St. John's did at 00:01 until 2011, the repeated
 * minutes of the day before belong to the day already begun.
 */
export function naiveWindows(windowSize: NaiveWindowSize, timeZone: string, from: Date, to: Date): NaiveWindow[] {
  if (from >= to) return [];
  if (windowSize === 'PERIOD') return [{ start: from, end: to }];
  const firstStart = Math.ceil(from.getTime() / quarterHour) * quarterHour;
  // The latest date seen in the three hours before, longer than any clock change goes back.
  let latest = '';
  for (let at = firstStart - 3 * 60 * 60_000; at < firstStart; at += quarterHour) latest = later(latest, calendarKey(windowSize, wallClock(timeZone, at)));
  const starts: number[] = [];
  for (let at = firstStart; ; at += quarterHour) {
    const current = wallClock(timeZone, at);
    const key = calendarKey(windowSize, current);
    if (windowSize === 'HOUR' ? current.minute === '00' : key > latest) {
      starts.push(at);
      // The first boundary at or after `to` only ends the last window.
      if (at >= to.getTime()) break;
    }
    latest = later(latest, key);
  }
  return starts.slice(0, -1).map((start, index) => ({ start: new Date(start), end: new Date(starts[index + 1]!) }));
}

interface WallTime {
  year: string;
  month: string;
  day: string;
  minute: string;
}

/** The wall time's date (DAY) or month (MONTH) as text that sorts in calendar order. */
function calendarKey(windowSize: Exclude<NaiveWindowSize, 'PERIOD'>, time: WallTime): string {
  return windowSize === 'MONTH' ? `${time.year}-${time.month}` : `${time.year}-${time.month}-${time.day}`;
}

function later(a: string, b: string): string {
  return a > b ? a : b;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string, at: number): WallTime {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, minute: parts.minute! };
}

function propertyText(value: PropertyScalar | undefined): string | null {
  return value === undefined ? null : String(value);
}

function passes(event: NaiveEvent, where: NaiveQuery['where']): boolean {
  return where.every((filter) => {
    const text = propertyText(event.properties[filter.key]);
    return text !== null && filter.values.includes(text);
  });
}

function groupValues(event: NaiveEvent, groupBy: string[]): (string | null)[] {
  return groupBy.map((key) => propertyText(event.properties[key]));
}

function aggregate(meter: NaiveMeter, events: NaiveEvent[]): string {
  const quantities = events.map((event) => Decimal.of(event.quantity));
  switch (meter.aggregation) {
    case 'SUM':
      return quantities.reduce((sum, quantity) => sum.add(quantity), Decimal.zero).toString();
    case 'COUNT':
      return Decimal.of(events.length).toString();
    case 'MAX':
      return quantities.reduce((max, quantity) => Decimal.max(max, quantity)).toString();
    case 'LATEST': {
      const latest = events.reduce((best, event) => (isLater(event, best) ? event : best));
      return Decimal.of(latest.quantity).toString();
    }
    case 'UNIQUE_COUNT': {
      if (!meter.valueProperty) throw new RangeError('UNIQUE_COUNT needs a valueProperty');
      const texts = new Set(events.map((event) => propertyText(event.properties[meter.valueProperty!])).filter((text) => text !== null));
      return Decimal.of(texts.size).toString();
    }
  }
}

/** Later by occurredAt, then by id as lowercase text. */
function isLater(a: NaiveEvent, b: NaiveEvent): boolean {
  const difference = a.occurredAt.getTime() - b.occurredAt.getTime();
  return difference !== 0 ? difference > 0 : a.id.toLowerCase() > b.id.toLowerCase();
}
