import { describe, expect, it } from 'vitest';
import { ExpiringCache } from './expiring-cache.js';

describe('ExpiringCache', () => {
  const clock = () => {
    let now = 1_000;
    return { now: () => now, advance: (ms: number) => void (now += ms) };
  };

  it('answers from the cache until the value expires, then loads again', async () => {
    const time = clock();
    const cache = new ExpiringCache<string, number>({ maxEntries: 10, now: time.now });
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load, () => 500)).toBe(1);
    time.advance(499);
    expect(await cache.get('a', load, () => 500)).toBe(1);
    time.advance(1);
    expect(await cache.get('a', load, () => 500)).toBe(2);
  });

  it('makes one load for concurrent misses of one key', async () => {
    const cache = new ExpiringCache<string, string>({ maxEntries: 10 });
    let loads = 0;
    const load = () => new Promise<string>((resolve) => setTimeout(() => resolve(`v${++loads}`), 10));
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.get('a', load, () => 1000)));
    expect(new Set(values)).toEqual(new Set(['v1']));
    expect(loads).toBe(1);
  });

  it('keeps neither failed loads nor values given no time', async () => {
    const cache = new ExpiringCache<string, number>({ maxEntries: 10 });
    await expect(cache.get('a', () => Promise.reject(new Error('down')), () => 1000)).rejects.toThrow('down');
    expect(await cache.get('a', async () => 7, () => 1000)).toBe(7);
    let loads = 0;
    await cache.get('b', async () => ++loads, () => 0);
    await cache.get('b', async () => ++loads, () => 0);
    expect(loads).toBe(2);
  });

  it('drops the least recently stored entries beyond maxEntries', async () => {
    const cache = new ExpiringCache<number, number>({ maxEntries: 2 });
    let loads = 0;
    const load = async () => ++loads;
    for (const key of [1, 2, 3]) await cache.get(key, load, () => 1000);
    expect(loads).toBe(3);
    await cache.get(3, load, () => 1000);
    await cache.get(2, load, () => 1000);
    expect(loads).toBe(3);
    await cache.get(1, load, () => 1000);
    expect(loads).toBe(4);
  });
});
