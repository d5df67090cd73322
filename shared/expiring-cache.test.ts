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
    time.advance(374);
    expect(await cache.get('a', load, () => 500)).toBe(1);
    // Not asked for in the last quarter of its lifetime: it simply expires.
    time.advance(126);
    expect(await cache.get('a', load, () => 500)).toBe(2);
    expect(loads).toBe(2);
  });

  it('reloads an entry asked for in the last quarter of its lifetime in the background, answering from the cache meanwhile', async () => {
    const time = clock();
    const cache = new ExpiringCache<string, string>({ maxEntries: 10, now: time.now });
    let loads = 0;
    let finishReload!: () => void;
    const load = () => (++loads === 1 ? Promise.resolve('v1') : new Promise<string>((resolve) => (finishReload = () => resolve(`v${loads}`))));
    expect(await cache.get('a', load, () => 400)).toBe('v1');
    time.advance(300);
    // The reload is under way and has not answered: the cached value answers at once, and no second reload starts.
    expect(await cache.get('a', load, () => 400)).toBe('v1');
    expect(await cache.get('a', load, () => 400)).toBe('v1');
    expect(loads).toBe(2);
    finishReload();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('a', load, () => 400)).toBe('v2');
    // The reloaded value lives its whole time from when it was loaded, past the first one's expiry.
    time.advance(299);
    expect(await cache.get('a', load, () => 400)).toBe('v2');
    expect(loads).toBe(2);
  });

  it('keeps the cached value to its expiry when a background reload fails, trying again halfway to it', async () => {
    const time = clock();
    const cache = new ExpiringCache<string, number>({ maxEntries: 10, now: time.now });
    expect(await cache.get('a', async () => 1, () => 400)).toBe(1);
    time.advance(320);
    let failed = 0;
    const failing = () => {
      failed += 1;
      return Promise.reject(new Error('down'));
    };
    expect(await cache.get('a', failing, () => 400)).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failed).toBe(1);
    // Not at the next hit: 80 ms were left, so the next try is 40 ms on.
    time.advance(39);
    expect(await cache.get('a', failing, () => 400)).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failed).toBe(1);
    time.advance(1);
    expect(await cache.get('a', failing, () => 400)).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failed).toBe(2);
    time.advance(40);
    await expect(cache.get('a', failing, () => 400)).rejects.toThrow('down');
  });

  it('does not keep a load that was under way when its key was forgotten', async () => {
    const cache = new ExpiringCache<string, string>({ maxEntries: 10 });
    let release!: () => void;
    const stale = cache.get('a', () => new Promise<string>((resolve) => (release = () => resolve('before the change'))), () => 1000);
    await new Promise((resolve) => setImmediate(resolve));
    cache.delete('a');
    const fresh = cache.get('a', async () => 'after the change', () => 1000);
    release();
    // The caller that asked before the change gets what it asked for; nobody after it does.
    expect(await stale).toBe('before the change');
    expect(await fresh).toBe('after the change');
    expect(await cache.get('a', async () => 'a third load', () => 1000)).toBe('after the change');
  });

  it('answers a loader that throws at once as a rejection', async () => {
    const cache = new ExpiringCache<string, number>({ maxEntries: 10 });
    const throwing = (): Promise<number> => {
      throw new Error('at once');
    };
    await expect(cache.get('a', throwing, () => 1000)).rejects.toThrow('at once');
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
