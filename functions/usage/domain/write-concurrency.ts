/**
 * How many group-commit statements ingest runs at once, given its pool: two,
 * or all but two connections of a smaller pool (the rest serve reads).
 *
 * More at once only split the same events into more, smaller commits, and
 * PostgreSQL's CPU goes mostly to commits: at a steady 3,500 single events
 * a second, two at once cost PostgreSQL 95–129 µs of CPU an event against
 * 123–152 µs with eight (twelve rounds each, alternating), with latencies no
 * worse (p50 6.7 against 8.1 ms, median of the rounds); flat out, the
 * throughput read the same and the p99 within a few milliseconds
 * (scripts/bench/LOG.md). A deployed ingest replica has a pool of 4, so
 * two; `npm start`'s pool of 10 ran eight before.
 */
export function concurrentWrites(poolSize: number): number {
  return Math.max(1, Math.min(2, poolSize - 2));
}
