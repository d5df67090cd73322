import { describe, expect, it } from 'vitest';
import { staleFiles } from './generate-proto.js';

describe('proto/gen', () => {
  it('is what buf and ts-proto generate from proto/ (run npm run proto after editing a .proto)', () => {
    expect(staleFiles()).toEqual([]);
  }, 60_000);
});
