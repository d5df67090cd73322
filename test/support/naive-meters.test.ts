import { describe, expect, it } from 'vitest';
import { naiveUsage, naiveWindows, type NaiveEvent, type NaiveMeter, type NaiveQuery, type PropertyScalar } from './naive-meters.js';

let serial = 0;
function event(occurredAt: string, quantity: string, properties: Record<string, PropertyScalar> = {}, id?: string): NaiveEvent {
  serial += 1;
  return { id: id ?? `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`, occurredAt: new Date(occurredAt), quantity, properties };
}

function query(overrides: Partial<NaiveQuery> = {}): NaiveQuery {
  return { from: new Date('2026-03-01T00:00Z'), to: new Date('2026-03-03T00:00Z'), windowSize: 'DAY', timeZone: 'UTC', groupBy: [], where: [], ...overrides };
}

/** Each row as `start group… = value`. */
function described(events: NaiveEvent[], meter: NaiveMeter, overrides: Partial<NaiveQuery> = {}): string[] {
  return naiveUsage(events, meter, query(overrides)).map((row) =>
    [row.periodStart.slice(0, 16), ...row.groups.map((group) => `${group.key}:${String(group.value)}`), '=', row.value].join(' '),
  );
}

describe('naiveUsage', () => {
  const regional = [
    event('2026-03-01T01:00Z', '1.5', { region: 'eu' }),
    event('2026-03-01T23:59:59.999Z', '2.25', { region: 'eu' }),
    event('2026-03-01T12:00Z', '10', { region: 'us' }),
    event('2026-03-01T13:00Z', '0.1'),
    event('2026-03-02T00:00Z', '0.2', { region: 'eu' }),
    // Outside: before the range, and in a day that starts at its end.
    event('2026-02-28T23:59:59.999Z', '100', { region: 'eu' }),
    event('2026-03-03T00:00Z', '100', { region: 'eu' }),
  ];

  it('sums exactly per day and group, groups in the order of their JSON, a missing key as null', () => {
    expect(described(regional, { aggregation: 'SUM' }, { groupBy: ['region'] })).toEqual([
      '2026-03-01T00:00 region:eu = 3.75',
      '2026-03-01T00:00 region:us = 10',
      '2026-03-01T00:00 region:null = 0.1',
      '2026-03-02T00:00 region:eu = 0.2',
    ]);
    const [row] = naiveUsage(regional, { aggregation: 'SUM' }, query({ groupBy: ['region'] }));
    expect(row).toEqual({ periodStart: '2026-03-01T00:00:00.000Z', periodEnd: '2026-03-02T00:00:00.000Z', groups: [{ key: 'region', value: 'eu' }], value: '3.75' });
  });

  it('counts events, and sums a whole period without groups', () => {
    expect(described(regional, { aggregation: 'COUNT' }, { groupBy: ['region'] })).toEqual([
      '2026-03-01T00:00 region:eu = 2',
      '2026-03-01T00:00 region:us = 1',
      '2026-03-01T00:00 region:null = 1',
      '2026-03-02T00:00 region:eu = 1',
    ]);
    expect(described(regional, { aggregation: 'SUM' }, { windowSize: 'PERIOD' })).toEqual(['2026-03-01T00:00 = 14.05']);
  });

  it('takes the greatest quantity, negative ones included', () => {
    const events = [event('2026-03-01T01:00Z', '-3'), event('2026-03-01T02:00Z', '-1.50'), event('2026-03-01T03:00Z', '-2'), event('2026-03-02T03:00Z', '0.10')];
    expect(described(events, { aggregation: 'MAX' })).toEqual(['2026-03-01T00:00 = -1.5', '2026-03-02T00:00 = 0.1']);
  });

  it('takes the latest quantity, a tie on occurredAt going to the greater id in lowercase', () => {
    const tied = [
      event('2026-03-01T05:00Z', '9', {}, 'a0000000-0000-4000-8000-000000000000'),
      event('2026-03-01T05:00Z', '7', {}, 'B0000000-0000-4000-8000-000000000000'),
      event('2026-03-01T04:00Z', '1', {}, 'f0000000-0000-4000-8000-000000000000'),
    ];
    expect(described(tied, { aggregation: 'LATEST' })).toEqual(['2026-03-01T00:00 = 7']);
    const later = [...tied, event('2026-03-01T05:00:00.001Z', '3', {}, '00000000-0000-4000-8000-000000000000')];
    expect(described(later, { aggregation: 'LATEST' })).toEqual(['2026-03-01T00:00 = 3']);
  });

  it('counts the distinct texts of the value property: 5 and "5" are one, true and "true" too', () => {
    const events = [
      event('2026-03-01T01:00Z', '1', { user: 'alice' }),
      event('2026-03-01T02:00Z', '1', { user: 'alice' }),
      event('2026-03-01T03:00Z', '1', { user: 5 }),
      event('2026-03-01T04:00Z', '1', { user: '5' }),
      event('2026-03-01T05:00Z', '1', { user: true }),
      event('2026-03-01T06:00Z', '1', { user: 'true' }),
      event('2026-03-01T07:00Z', '1', { user: false }),
      event('2026-03-01T08:00Z', '1', {}),
    ];
    expect(described(events, { aggregation: 'UNIQUE_COUNT', valueProperty: 'user' })).toEqual(['2026-03-01T00:00 = 4']);
  });

  it('keeps the events whose every filtered property has one of the values, an absent one never', () => {
    const events = [
      event('2026-03-01T01:00Z', '1', { plan: 'pro', region: 'eu' }),
      event('2026-03-01T02:00Z', '2', { plan: true, region: 'eu' }),
      event('2026-03-01T03:00Z', '4', { plan: 'pro', region: 'us' }),
      event('2026-03-01T04:00Z', '8', { region: 'eu' }),
      event('2026-03-01T05:00Z', '16', { plan: 1.5, region: 'eu' }),
    ];
    const where = [
      { key: 'plan', values: ['pro', 'true', '1.5'] },
      { key: 'region', values: ['eu'] },
    ];
    expect(described(events, { aggregation: 'SUM' }, { where })).toEqual(['2026-03-01T00:00 = 19']);
  });

  it('groups by several keys, in the order asked', () => {
    const events = [event('2026-03-01T01:00Z', '1', { a: 'x', b: 2 }), event('2026-03-01T02:00Z', '1', { a: 'x' }), event('2026-03-01T03:00Z', '1', { b: 2, a: 'x' })];
    expect(described(events, { aggregation: 'COUNT' }, { groupBy: ['b', 'a'] })).toEqual(['2026-03-01T00:00 b:2 a:x = 2', '2026-03-01T00:00 b:null a:x = 1']);
  });

  it('puts events into Asia/Kathmandu days, which start at 18:15Z', () => {
    const events = [event('2026-01-10T18:14:59.999Z', '1'), event('2026-01-10T18:15Z', '2'), event('2026-01-09T18:15Z', '4')];
    const kathmandu = { timeZone: 'Asia/Kathmandu', from: new Date('2026-01-09T18:15Z'), to: new Date('2026-01-11T18:15Z') };
    expect(naiveUsage(events, { aggregation: 'SUM' }, query(kathmandu)).map((row) => [row.periodStart, row.periodEnd, row.value])).toEqual([
      ['2026-01-09T18:15:00.000Z', '2026-01-10T18:15:00.000Z', '5'],
      ['2026-01-10T18:15:00.000Z', '2026-01-11T18:15:00.000Z', '2'],
    ]);
  });
});

describe('naiveWindows', () => {
  const minutes = (windows: { start: Date; end: Date }[]) => windows.map((window) => `${window.start.toISOString().slice(0, 16)} +${(window.end.getTime() - window.start.getTime()) / 60_000}`);

  it('gives the repeated Berlin hour of 25 October 2026 a window of its own', () => {
    expect(minutes(naiveWindows('HOUR', 'Europe/Berlin', new Date('2026-10-25T00:00Z'), new Date('2026-10-25T02:00Z')))).toEqual(['2026-10-25T00:00 +60', '2026-10-25T01:00 +60']);
  });

  it('gives Lord Howe a 90-minute hour where DST starts', () => {
    expect(minutes(naiveWindows('HOUR', 'Australia/Lord_Howe', new Date('2025-10-04T14:00Z'), new Date('2025-10-04T16:00Z')))).toEqual(['2025-10-04T14:30 +90']);
  });

  it('starts the Santiago day whose midnight DST skips at its first instant, 01:00 -03', () => {
    expect(minutes(naiveWindows('DAY', 'America/Santiago', new Date('2025-09-07T00:00Z'), new Date('2025-09-08T00:00Z')))).toEqual(['2025-09-07T04:00 +1380']);
  });

  it('starts months at local midnight on the first', () => {
    expect(minutes(naiveWindows('MONTH', 'Asia/Kathmandu', new Date('2026-02-01T00:00Z'), new Date('2026-03-01T00:00Z')))).toEqual(['2026-02-28T18:15 +44640']);
  });
});
