/**
 * Aggregates are kept in UTC-aligned buckets of a day, an hour and a quarter
 * hour. Every zone's offset today is a whole number of quarter hours, so any
 * local window starts and ends on a quarter hour and is the union of a few
 * buckets: quarter hours up to the first whole hour, hours up to the first UTC
 * midnight, whole days, then hours and quarter hours again.
 */

/** Largest first, each a multiple of the next. */
export const bucketWidthsMinutes = [1440, 60, 15] as const;
export type BucketWidth = (typeof bucketWidthsMinutes)[number];

export interface BucketSpan {
  widthMinutes: BucketWidth;
  start: Date;
}

const msPerMinute = 60_000;
const smallestWidthMs = 15 * msPerMinute;

/** The bucket of `widthMinutes` (UTC-aligned, since the epoch) holding `at`. */
export function bucketStart(at: Date, widthMinutes: BucketWidth): Date {
  const widthMs = widthMinutes * msPerMinute;
  return new Date(Math.floor(at.getTime() / widthMs) * widthMs);
}

/**
 * Covers [start, end) exactly with the fewest UTC-aligned buckets: greedily
 * the largest bucket that starts at the cursor and fits. Since each width
 * divides the next larger one, greedy is optimal. Throws RangeError when start
 * or end is not a multiple of 15 minutes. Empty for start >= end.
 */
export function bucketSpans(start: Date, end: Date): BucketSpan[] {
  const [from, to] = [start.getTime(), end.getTime()];
  for (const [name, at] of [['start', from], ['end', to]] as const) {
    if (!Number.isFinite(at)) throw new RangeError(`${name} is not a valid instant`);
    if (at % smallestWidthMs !== 0) throw new RangeError(`${name} is not on a quarter hour: ${new Date(at).toISOString()}`);
  }
  const spans: BucketSpan[] = [];
  for (let cursor = from; cursor < to; ) {
    const widthMinutes = bucketWidthsMinutes.find((width) => cursor % (width * msPerMinute) === 0 && cursor + width * msPerMinute <= to)!;
    spans.push({ widthMinutes, start: new Date(cursor) });
    cursor += widthMinutes * msPerMinute;
  }
  return spans;
}
