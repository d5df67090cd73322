import { describe, expect, it } from 'vitest';
import { concurrentWrites } from './write-concurrency.js';

describe('concurrentWrites', () => {
  it('writes two batches at once, or all but two connections of a smaller pool, and always one', () => {
    expect([1, 2, 3, 4, 5, 10, 100].map(concurrentWrites)).toEqual([1, 1, 1, 2, 2, 2, 2]);
  });
});
