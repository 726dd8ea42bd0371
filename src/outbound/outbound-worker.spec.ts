import { describe, expect, it } from 'vitest';
import { outboundBackoff } from './outbound-worker.js';

describe('outbound retry backoff', () => {
  it('doubles from the base delay and stops growing at the cap', () => {
    expect([1, 2, 3, 4].map((n) => outboundBackoff(n, 5_000, 60_000))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(outboundBackoff(5, 5_000, 60_000)).toBe(60_000);
    expect(outboundBackoff(1_000, 5_000, 60_000)).toBe(60_000);
  });
});
