import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketSpans, bucketStart, bucketWidthsMinutes, type BucketSpan } from './buckets.js';

const at = (text: string) => new Date(text);
const msPerMinute = 60_000;
const quarterHour = 15 * msPerMinute;

/** Each span as `start +minutes`. */
function described(spans: BucketSpan[]): string[] {
  return spans.map((span) => `${span.start.toISOString()} +${span.widthMinutes}`);
}

describe('bucketStart', () => {
  it.each([
    ['2026-03-01T13:47:12.345Z', 1440, '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T13:47:12.345Z', 60, '2026-03-01T13:00:00.000Z'],
    ['2026-03-01T13:47:12.345Z', 15, '2026-03-01T13:45:00.000Z'],
    ['2026-03-01T13:45:00.000Z', 15, '2026-03-01T13:45:00.000Z'],
    ['1969-12-31T23:50:00.000Z', 15, '1969-12-31T23:45:00.000Z'],
    ['1969-12-31T23:50:00.000Z', 1440, '1969-12-31T00:00:00.000Z'],
  ] as const)('puts %s in the %i-minute bucket from %s', (instant, width, start) => {
    expect(bucketStart(at(instant), width).toISOString()).toBe(start);
  });
});

describe('bucketSpans', () => {
  it('covers a UTC day with one day bucket, and a UTC hour with one hour bucket', () => {
    expect(described(bucketSpans(at('2026-03-01T00:00Z'), at('2026-03-02T00:00Z')))).toEqual(['2026-03-01T00:00:00.000Z +1440']);
    expect(described(bucketSpans(at('2026-03-01T07:00Z'), at('2026-03-01T08:00Z')))).toEqual(['2026-03-01T07:00:00.000Z +60']);
  });

  it('covers a Kolkata hour (half past to half past) with four quarter hours', () => {
    expect(described(bucketSpans(at('2026-03-01T06:30Z'), at('2026-03-01T07:30Z')))).toEqual([
      '2026-03-01T06:30:00.000Z +15',
      '2026-03-01T06:45:00.000Z +15',
      '2026-03-01T07:00:00.000Z +15',
      '2026-03-01T07:15:00.000Z +15',
    ]);
  });

  it('covers a Kathmandu day (18:15Z to 18:15Z) with quarter hours up to the hour, hours, and one quarter hour', () => {
    const spans = bucketSpans(at('2026-01-09T18:15Z'), at('2026-01-10T18:15Z'));
    // 18:15, 18:30, 18:45; 19:00 to 23:00; 00:00 to 17:00; 18:00. No whole UTC day lies inside.
    expect(spans.map((span) => span.widthMinutes)).toEqual([15, 15, 15, ...Array<number>(5 + 18).fill(60), 15]);
  });

  it('covers a Kathmandu month with its whole UTC days and at most 3 + 23 smaller buckets at each end', () => {
    const spans = bucketSpans(at('2025-12-31T18:15Z'), at('2026-01-31T18:15Z'));
    expect(spans.filter((span) => span.widthMinutes === 1440)).toHaveLength(30);
    expect(spans.length).toBeLessThanOrEqual(30 + 2 * (3 + 23));
    expect(spans).toHaveLength(30 + 3 + 5 + 18 + 1);
  });

  it('is empty for an empty or reversed range', () => {
    expect(bucketSpans(at('2026-03-01T00:00Z'), at('2026-03-01T00:00Z'))).toEqual([]);
    expect(bucketSpans(at('2026-03-02T00:00Z'), at('2026-03-01T00:00Z'))).toEqual([]);
  });

  it.each([
    ['2026-03-01T00:07Z', '2026-03-02T00:00Z'],
    ['2026-03-01T00:00Z', '2026-03-01T00:15:00.001Z'],
    ['2026-03-01T00:00:30Z', '2026-03-01T00:00:30Z'],
    ['not a date', '2026-03-01T00:00Z'],
  ])('refuses [%s, %s): not on quarter hours', (start, end) => {
    expect(() => bucketSpans(at(start), at(end))).toThrow(RangeError);
  });

  it('covers any quarter-hour range exactly with aligned buckets, none of which a larger one that fits could replace', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('1969-06-01T00:00Z') / quarterHour, max: Date.parse('2040-01-01T00:00Z') / quarterHour }),
        fc.integer({ min: 0, max: 100 * 96 }),
        (firstQuarter, quarters) => {
          const [start, end] = [firstQuarter * quarterHour, (firstQuarter + quarters) * quarterHour];
          const spans = bucketSpans(new Date(start), new Date(end));
          let cursor = start;
          for (const span of spans) {
            const widthMs = span.widthMinutes * msPerMinute;
            expect(span.start.getTime()).toBe(cursor);
            expect(bucketStart(span.start, span.widthMinutes).getTime()).toBe(cursor);
            const larger = bucketWidthsMinutes[bucketWidthsMinutes.indexOf(span.widthMinutes) - 1];
            if (larger !== undefined) {
              const enclosing = bucketStart(span.start, larger).getTime();
              expect(enclosing < start || enclosing + larger * msPerMinute > end).toBe(true);
            }
            cursor += widthMs;
          }
          expect(cursor).toBe(end);
          const wholeDays = Math.floor((end - start) / (1440 * msPerMinute));
          expect(spans.length).toBeLessThanOrEqual(wholeDays + 2 * (3 + 23));
        },
      ),
      { numRuns: 500 },
    );
  });
});
