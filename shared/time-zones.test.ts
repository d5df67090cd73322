import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naiveWindows } from '../test/support/naive-meters.js';
import { isTimeZone, monthContaining, windowsStartingIn, WindowSize, type TimeWindow } from './time-zones.js';

const at = (text: string) => new Date(text);
const quarterHour = 15 * 60_000;

/** Each window as `start +minutes`, to read at a glance. */
function described(windows: TimeWindow[]): string[] {
  return windows.map((window) => `${window.start.toISOString()} +${(window.end.getTime() - window.start.getTime()) / 60_000}`);
}

function windows(size: WindowSize, timeZone: string, from: string, to: string): string[] {
  return described(windowsStartingIn(size, timeZone, at(from), at(to)));
}

describe('isTimeZone', () => {
  it.each(['UTC', 'Europe/Berlin', 'Asia/Kathmandu', 'Asia/Kolkata', 'Pacific/Chatham', 'Australia/Lord_Howe', 'America/Santiago', 'Etc/GMT+5'])(
    'knows %s',
    (name) => expect(isTimeZone(name)).toBe(true),
  );

  it.each(['', 'Mars/Base', '+05:00', '-03:00', '+0530', 'Z', 'Europe/Berlin ', 'local'])('refuses %j', (name) => {
    expect(isTimeZone(name)).toBe(false);
  });

  it('throws on a zone it does not know', () => {
    expect(() => windowsStartingIn(WindowSize.Day, 'Mars/Base', at('2026-01-01T00:00Z'), at('2026-01-02T00:00Z'))).toThrow(RangeError);
  });
});

describe('monthContaining', () => {
  it.each([
    ['UTC', '2026-03-15T12:00Z', '2026-03-01T00:00:00.000Z +44640'],
    ['UTC', '2026-03-01T00:00Z', '2026-03-01T00:00:00.000Z +44640'],
    ['UTC', '2026-02-28T23:59:59.999Z', '2026-02-01T00:00:00.000Z +40320'],
    // 23:30Z on 31 March is already 1 April in Berlin (CEST, +2).
    ['Europe/Berlin', '2026-03-31T23:30Z', '2026-03-31T22:00:00.000Z +43200'],
    // March in Berlin loses the hour of the spring change: 31 days less 60 minutes.
    ['Europe/Berlin', '2026-03-10T00:00Z', '2026-02-28T23:00:00.000Z +44580'],
    ['Asia/Kathmandu', '2026-01-31T18:15Z', '2026-01-31T18:15:00.000Z +40320'],
  ])('in %s, holds %s in the month %s', (zone, instant, expected) => {
    expect(described([monthContaining(zone, at(instant))])).toEqual([expected]);
  });

  it('gives the same answers when asked again (the offsets remembered are the ones looked up)', () => {
    const first = windows(WindowSize.Hour, 'Australia/Lord_Howe', '2025-10-04T12:00Z', '2025-10-05T12:00Z');
    expect(windows(WindowSize.Hour, 'Australia/Lord_Howe', '2025-10-04T12:00Z', '2025-10-05T12:00Z')).toEqual(first);
    expect(first.filter((window) => window.endsWith('+90'))).toHaveLength(1);
  });
});

describe('windows in UTC', () => {
  it('cuts days, hours and months at UTC midnights and whole hours', () => {
    expect(windows('DAY', 'UTC', '2026-03-01T00:00Z', '2026-03-03T00:00Z')).toEqual(['2026-03-01T00:00:00.000Z +1440', '2026-03-02T00:00:00.000Z +1440']);
    expect(windows('HOUR', 'UTC', '2026-03-01T10:30Z', '2026-03-01T13:00Z')).toEqual(['2026-03-01T11:00:00.000Z +60', '2026-03-01T12:00:00.000Z +60']);
    expect(windows('MONTH', 'UTC', '2028-02-01T00:00Z', '2028-03-01T00:00Z')).toEqual(['2028-02-01T00:00:00.000Z +41760']);
  });

  it('keeps the windows that start in the range, whole, even when they end after it', () => {
    expect(windows('DAY', 'UTC', '2026-03-01T05:00Z', '2026-03-02T00:00:00.001Z')).toEqual(['2026-03-02T00:00:00.000Z +1440']);
    expect(windows('DAY', 'UTC', '2026-03-01T05:00Z', '2026-03-02T00:00Z')).toEqual([]);
  });

  it('gives the range itself as the one PERIOD window, and nothing for an empty range', () => {
    expect(windows('PERIOD', 'Asia/Kathmandu', '2026-03-01T05:07Z', '2026-03-09T00:00Z')).toEqual(['2026-03-01T05:07:00.000Z +11213']);
    expect(windows('PERIOD', 'UTC', '2026-03-01T00:00Z', '2026-03-01T00:00Z')).toEqual([]);
    expect(windows('DAY', 'UTC', '2026-03-02T00:00Z', '2026-03-01T00:00Z')).toEqual([]);
  });
});

describe('windows in Europe/Berlin across both DST changes of 2026', () => {
  it('has a 23-hour day on 29 March (02:00 CET becomes 03:00 CEST at 01:00Z)', () => {
    expect(windows('DAY', 'Europe/Berlin', '2026-03-28T00:00Z', '2026-03-31T00:00Z')).toEqual([
      '2026-03-28T23:00:00.000Z +1380',
      '2026-03-29T22:00:00.000Z +1440',
      '2026-03-30T22:00:00.000Z +1440',
    ]);
    expect(windows('HOUR', 'Europe/Berlin', '2026-03-29T00:00Z', '2026-03-29T02:00Z')).toEqual([
      '2026-03-29T00:00:00.000Z +60', // 01:00 CET
      '2026-03-29T01:00:00.000Z +60', // 03:00 CEST: 02:00 never happens
    ]);
  });

  it('has a 25-hour day on 25 October, the repeated 02:00 hour a window of its own', () => {
    expect(windows('DAY', 'Europe/Berlin', '2026-10-24T22:00Z', '2026-10-26T00:00Z')).toEqual([
      '2026-10-24T22:00:00.000Z +1500',
      '2026-10-25T23:00:00.000Z +1440',
    ]);
    expect(windows('HOUR', 'Europe/Berlin', '2026-10-24T23:30Z', '2026-10-25T02:00Z')).toEqual([
      '2026-10-25T00:00:00.000Z +60', // 02:00 CEST
      '2026-10-25T01:00:00.000Z +60', // 02:00 CET, again
    ]);
  });

  it('has months of local midnights, whatever their offset', () => {
    expect(windows('MONTH', 'Europe/Berlin', '2026-02-28T23:00Z', '2026-04-01T00:00Z')).toEqual([
      '2026-02-28T23:00:00.000Z +44580', // 31 days less an hour
      '2026-03-31T22:00:00.000Z +43200',
    ]);
  });
});

describe('windows in zones half and three quarters of an hour off UTC', () => {
  it('starts Asia/Kolkata (+05:30) hours at half past and days at 18:30Z', () => {
    expect(windows('HOUR', 'Asia/Kolkata', '2026-01-10T00:00Z', '2026-01-10T02:00Z')).toEqual(['2026-01-10T00:30:00.000Z +60', '2026-01-10T01:30:00.000Z +60']);
    expect(windows('DAY', 'Asia/Kolkata', '2026-01-09T18:30Z', '2026-01-10T18:30Z')).toEqual(['2026-01-09T18:30:00.000Z +1440']);
    expect(windows('MONTH', 'Asia/Kolkata', '2026-01-15T00:00Z', '2026-02-15T00:00Z')).toEqual(['2026-01-31T18:30:00.000Z +40320']);
  });

  it('starts Asia/Kathmandu (+05:45) hours at a quarter past and days at 18:15Z', () => {
    expect(windows('HOUR', 'Asia/Kathmandu', '2026-01-10T00:00Z', '2026-01-10T02:00Z')).toEqual(['2026-01-10T00:15:00.000Z +60', '2026-01-10T01:15:00.000Z +60']);
    expect(windows('DAY', 'Asia/Kathmandu', '2026-01-09T18:00Z', '2026-01-10T18:30Z')).toEqual(['2026-01-09T18:15:00.000Z +1440', '2026-01-10T18:15:00.000Z +1440']);
  });

  it('gives Asia/Kathmandu the twelve months of 2026, each from the last day of the month before at 18:15Z', () => {
    const bounds = ['2025-12-31', '2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31', '2026-09-30', '2026-10-31', '2026-11-30', '2026-12-31'].map(
      (date) => `${date}T18:15:00.000Z`,
    );
    const months = windowsStartingIn(WindowSize.Month, 'Asia/Kathmandu', at('2025-12-31T18:15Z'), at('2026-12-31T18:15Z'));
    expect(months.map((month) => [month.start.toISOString(), month.end.toISOString()])).toEqual(bounds.slice(0, -1).map((start, index) => [start, bounds[index + 1]]));
  });

  it('cuts Pacific/Chatham (+12:45, +13:45 in summer) at a quarter past, with a 23-hour day when summer starts', () => {
    expect(windows('DAY', 'Pacific/Chatham', '2026-01-09T00:00Z', '2026-01-10T00:00Z')).toEqual(['2026-01-09T10:15:00.000Z +1440']);
    // 27 September 2026: 02:45 +12:45 (14:00Z) becomes 03:45 +13:45.
    expect(windows('DAY', 'Pacific/Chatham', '2026-09-26T11:15Z', '2026-09-27T11:00Z')).toEqual(['2026-09-26T11:15:00.000Z +1380', '2026-09-27T10:15:00.000Z +1440']);
    expect(windows('HOUR', 'Pacific/Chatham', '2026-09-26T13:00Z', '2026-09-26T15:00Z')).toEqual(['2026-09-26T13:15:00.000Z +60', '2026-09-26T14:15:00.000Z +60']);
  });
});

describe('windows in Australia/Lord_Howe, whose DST shifts by 30 minutes', () => {
  it('has a 23.5-hour day and a 90-minute hour on 5 October 2025 (02:00 +10:30 becomes 02:30 +11)', () => {
    expect(windows('DAY', 'Australia/Lord_Howe', '2025-10-04T13:30Z', '2025-10-05T13:30Z')).toEqual(['2025-10-04T13:30:00.000Z +1410', '2025-10-05T13:00:00.000Z +1440']);
    expect(windows('HOUR', 'Australia/Lord_Howe', '2025-10-04T13:30Z', '2025-10-04T17:00Z')).toEqual([
      '2025-10-04T13:30:00.000Z +60', // 00:00 +10:30
      '2025-10-04T14:30:00.000Z +90', // 01:00 +10:30 until 03:00 +11: no whole hour between
      '2025-10-04T16:00:00.000Z +60',
    ]);
  });

  it('has a 24.5-hour day and a 90-minute hour on 6 April 2025 (02:00 +11 becomes 01:30 +10:30)', () => {
    expect(windows('DAY', 'Australia/Lord_Howe', '2025-04-05T13:00Z', '2025-04-05T14:00Z')).toEqual(['2025-04-05T13:00:00.000Z +1470']);
    expect(windows('HOUR', 'Australia/Lord_Howe', '2025-04-05T13:00Z', '2025-04-05T16:00Z')).toEqual([
      '2025-04-05T13:00:00.000Z +60', // 00:00 +11
      '2025-04-05T14:00:00.000Z +90', // 01:00 +11, then 01:30 to 01:59 again at +10:30
      '2025-04-05T15:30:00.000Z +60', // 02:00 +10:30
    ]);
  });
});

describe('windows in America/Santiago, where DST skips midnight', () => {
  it('starts 7 September 2025 at 01:00 -03, its first instant, and gives it 23 hours', () => {
    expect(windows('DAY', 'America/Santiago', '2025-09-06T00:00Z', '2025-09-08T12:00Z')).toEqual([
      '2025-09-06T04:00:00.000Z +1440',
      '2025-09-07T04:00:00.000Z +1380', // 24:00 -04 is 01:00 -03
      '2025-09-08T03:00:00.000Z +1440',
    ]);
    expect(windows('HOUR', 'America/Santiago', '2025-09-07T03:00Z', '2025-09-07T05:00Z')).toEqual(['2025-09-07T03:00:00.000Z +60', '2025-09-07T04:00:00.000Z +60']);
  });

  it('gives 4 April 2026 25 hours, its last hour repeated', () => {
    expect(windows('DAY', 'America/Santiago', '2026-04-04T03:00Z', '2026-04-05T04:00Z')).toEqual(['2026-04-04T03:00:00.000Z +1500']);
  });
});

describe('windows in America/St_Johns, whose clocks changed at 00:01 until 2011', () => {
  it('gives 7 November 2010 25 hours: 00:01 -02:30 became 23:01 -03:30 on the 6th, which stays in the day already begun', () => {
    expect(windows('DAY', 'America/St_Johns', '2010-11-06T02:30Z', '2010-11-08T04:00Z')).toEqual([
      '2010-11-06T02:30:00.000Z +1440',
      '2010-11-07T02:30:00.000Z +1500',
      '2010-11-08T03:30:00.000Z +1440',
    ]);
  });
});

describe('windows against a brute-force scan of every quarter hour', () => {
  const zones = [
    'UTC',
    'Europe/Berlin',
    'Europe/London',
    'America/New_York',
    'America/Santiago',
    'America/Havana',
    'America/St_Johns',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Asia/Tehran',
    'Asia/Beirut',
    'Africa/Casablanca',
    'Australia/Adelaide',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Apia',
    'Pacific/Kiritimati',
    'Pacific/Marquesas',
  ];
  const quarterHours = (start: string, end: string) => fc.integer({ min: Date.parse(start) / quarterHour, max: Date.parse(end) / quarterHour });

  it('finds the same windows, every bound on a quarter hour', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(WindowSize.Hour, WindowSize.Day, WindowSize.Month, WindowSize.Period),
        // 2010-2035 holds Apia's skipped day (30 December 2011) and Casablanca's Ramadan changes.
        quarterHours('2010-01-01T00:00Z', '2035-01-01T00:00Z'),
        fc.integer({ min: 0, max: 70 * 96 }),
        fc.boolean(),
        (zone, size, firstQuarter, quarters, unaligned) => {
          const from = new Date(firstQuarter * quarterHour + (unaligned ? 7 * 60_000 + 123 : 0));
          const to = new Date(firstQuarter * quarterHour + quarters * quarterHour);
          const found = windowsStartingIn(size, zone, from, to);
          expect(described(found)).toEqual(described(naiveWindows(size, zone, from, to)));
          if (size !== WindowSize.Period) {
            for (const window of found) expect([window.start.getTime() % quarterHour, window.end.getTime() % quarterHour]).toEqual([0, 0]);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('walks boundary to boundary over long spans: 400 days, 31 days of hours', () => {
    const days = windowsStartingIn(WindowSize.Day, 'Europe/Berlin', at('2026-01-01T00:00Z'), at('2027-02-05T00:00Z'));
    const hours = windowsStartingIn(WindowSize.Hour, 'Australia/Lord_Howe', at('2025-09-20T00:00Z'), at('2025-10-21T00:00Z'));
    expect([days.length, hours.length]).toEqual([400, 31 * 24 - 1]);
  });
});
