import { describe, expect, it } from 'vitest';
import { withoutStack } from './errors.js';

describe('withoutStack', () => {
  it('makes the error with no stack frames and leaves every later error its stack', () => {
    const limit = Error.stackTraceLimit;
    const refusal = withoutStack(() => new RangeError('over the limit'));
    expect(refusal.stack).toBe('RangeError: over the limit');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('a fault').stack).toMatch(/\n\s+at /);
  });

  it('restores the stack limit when making the error throws', () => {
    const limit = Error.stackTraceLimit;
    expect(() =>
      withoutStack(() => {
        throw new Error('no error made');
      }),
    ).toThrow('no error made');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
