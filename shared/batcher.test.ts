import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

/** A batcher whose flushes wait until released, recording what each held. */
function recordingBatcher(maxItems: number) {
  const flushes: string[][] = [];
  const pending: Array<() => void> = [];
  const batcher = new Batcher<string, void>(
    (items) => {
      flushes.push(items);
      return new Promise((resolve) => pending.push(resolve));
    },
    { maxItems, maxConcurrentFlushes: 1 },
  );
  const releaseNext = async () => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batcher, flushes, releaseNext };
}

describe('Batcher', () => {
  it('commits every submission once, resolving each after the flush that held it', async () => {
    const { batcher, flushes, releaseNext } = recordingBatcher(3);
    const done: string[] = [];
    const submissions = ['a', 'b', 'c', 'd'].map((item) => batcher.submit([item]).then(() => done.push(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushes).toEqual([['a', 'b', 'c']]);
    expect(done).toEqual([]);
    await releaseNext();
    await releaseNext();
    await Promise.all(submissions);
    expect(flushes).toEqual([['a', 'b', 'c'], ['d']]);
    expect(batcher.backlog).toBe(0);
  });

  it('takes one submission from each owner in turn, so a flood does not hold back a quiet owner', async () => {
    const { batcher, flushes, releaseNext } = recordingBatcher(4);
    const all: Promise<void>[] = [];
    // The first flush starts at once and holds the queue behind it.
    all.push(batcher.submit(['noisy-0'], 'noisy'));
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 1; i <= 8; i++) all.push(batcher.submit([`noisy-${i}`], 'noisy'));
    all.push(batcher.submit(['quiet-1'], 'quiet'));
    all.push(batcher.submit(['quiet-2'], 'quiet'));
    await releaseNext();
    // Without turns the quiet owner's events would wait for two more flushes of the flood.
    expect(flushes[1]).toEqual(['noisy-1', 'quiet-1', 'noisy-2', 'quiet-2']);
    while (flushes.length < 4) await releaseNext();
    await releaseNext();
    await Promise.all(all);
    expect(flushes.flat().sort()).toEqual([...Array.from({ length: 9 }, (_, i) => `noisy-${i}`), 'quiet-1', 'quiet-2'].sort());
  });

  it('rejects every submission of a failed flush and goes on with the next', async () => {
    let calls = 0;
    const batcher = new Batcher<number, string>(
      async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('connection lost');
        return `ok ${items.join(',')}`;
      },
      { maxItems: 2, maxConcurrentFlushes: 1 },
    );
    const results = await Promise.allSettled([batcher.submit([1]), batcher.submit([2]), batcher.submit([3])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<string>).value).toBe('ok 3');
  });
});
