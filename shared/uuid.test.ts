import { describe, expect, it } from 'vitest';
import { uuidTime, uuidv7 } from './uuid.js';

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID carrying the millisecond timestamp', () => {
    const now = Date.UTC(2026, 11, 1, 13, 15, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(now);
    expect(uuidTime(id)).toBe(now);
  });

  it('sorts by time across milliseconds and is unique within one', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => uuidv7(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    // The first 13 characters are the timestamp: each millisecond's ids sort after the last one's.
    for (let i = 100; i < ids.length; i += 100) expect(ids[i - 1]!.slice(0, 13) < ids[i]!.slice(0, 13)).toBe(true);
    expect(uuidv7(0).startsWith('00000000-0000-7')).toBe(true);
  });

  it('draws every one of its 74 random bits afresh for each id', () => {
    const ids = Array.from({ length: 4_000 }, () => uuidv7(1_700_000_000_000));
    const randomPositions = [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)];
    for (const position of randomPositions) expect(new Set(ids.map((id) => id[position])).size, `position ${position}`).toBe(16);
    // The variant's two bits are fixed (10), its other two random.
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(['8', '9', 'a', 'b']));
  });
});
