import { describe, expect, it } from 'vitest';
import { percentile, poissonArrivals, seededRandom } from './loadgen.js';

describe('poissonArrivals', () => {
  it('draws the same schedule from the same seed, at the mean rate asked for', () => {
    const a = poissonArrivals(500, 60, seededRandom(7));
    expect(poissonArrivals(500, 60, seededRandom(7))).toEqual(a);
    expect(poissonArrivals(500, 60, seededRandom(8))).not.toEqual(a);
    expect(a.length).toBeGreaterThan(500 * 60 * 0.97);
    expect(a.length).toBeLessThan(500 * 60 * 1.03);
    expect(a.every((t, i) => t >= 0 && t < 60_000 && (i === 0 || t >= a[i - 1]!))).toBe(true);
  });

  it('spaces arrivals exponentially: about 37 % of the gaps are longer than the mean', () => {
    const a = poissonArrivals(1000, 60, seededRandom(1));
    const longer = a.slice(1).filter((t, i) => t - a[i]! > 1).length / (a.length - 1);
    expect(longer).toBeGreaterThan(0.35);
    expect(longer).toBeLessThan(0.39);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([3], 99)).toBe(3);
  });
});
