import { describe, expect, it } from 'vitest';
import { MeterCatalog } from './meter-catalog.js';
import { MeterAggregation, type Meter } from './meters.js';

const seats: Meter = { metric: 'seats', name: 'Seats', aggregation: MeterAggregation.UniqueCount, valueProperty: 'user_id', groupBy: [] };

describe('MeterCatalog', () => {
  it('keeps its copy for the TTL, reloads for an unknown metric at most every missReloadMs, and once for concurrent readers', async () => {
    let now = 0;
    let loads = 0;
    let stored: Meter[] = [];
    const catalog = new MeterCatalog(async () => (loads++, stored), { ttlMs: 5000, missReloadMs: 250, now: () => now });
    await Promise.all([catalog.current(), catalog.current()]);
    expect(loads).toBe(1);

    stored = [seats]; // created by another process
    now = 100;
    expect((await catalog.current(['seats'])).has('seats')).toBe(false); // too soon after the last load
    now = 300;
    expect((await catalog.current(['seats'])).get('seats')).toEqual(seats);
    expect(loads).toBe(2);
    now = 400;
    await catalog.current(['api_calls']); // a metric without a meter
    now = 500;
    await catalog.current(['api_calls']);
    expect(loads).toBe(2);
    now = 600;
    await catalog.current(['api_calls']);
    expect(loads).toBe(3);
    now = 700;
    await catalog.current();
    expect(loads).toBe(3);
    now = 6000;
    await catalog.current();
    expect(loads).toBe(4);
    catalog.invalidate();
    await catalog.current();
    expect(loads).toBe(5);
  });
});
