import { describe, expect, it } from 'vitest';
import { findMaxRate, type RateStep } from './rate-search.js';

/** A server whose p99 stays at 5 ms up to `capacity` requests/s and then explodes. */
const server =
  (capacity: number, flaky: Set<number> = new Set()) =>
  async (rate: number): Promise<RateStep> => {
    const slow = rate > capacity || flaky.delete(rate);
    return {
      rate,
      p50: 1,
      p99: slow ? 500 : 5,
      scheduled: rate,
      non2xx: 0,
      errors: 0,
      cpuMs: null,
      nodeMs: null,
      pgMs: null,
    };
  };
const options = { targetP99: 10, maxRate: 20_000, factor: 1.5, refine: 3 };

describe('findMaxRate', () => {
  it('climbs the ladder and bisects to within about 5 % of the capacity', async () => {
    const { best } = await findMaxRate({ ...options, start: 100, run: server(700) });
    expect(best!.rate).toBeLessThanOrEqual(700);
    expect(best!.rate).toBeGreaterThan(700 / 1.06);
  });

  it('goes down from the start rate when the start already fails', async () => {
    const { best } = await findMaxRate({ ...options, start: 250, run: server(60) });
    expect(best!.rate).toBeLessThanOrEqual(60);
    expect(best!.rate).toBeGreaterThan(60 / 1.06);
  });

  it('tries a failing rate a second time before it ends the ladder', async () => {
    const { best, steps } = await findMaxRate({ ...options, start: 100, run: server(700, new Set([150])) });
    expect(steps.filter((s) => s.rate === 150)).toHaveLength(2);
    expect(best!.rate).toBeGreaterThan(700 / 1.06);
  });

  it('reports no rate when even the lowest fails, and one error fails a rate whatever its p99', async () => {
    expect((await findMaxRate({ ...options, start: 100, run: server(1) })).best).toBeNull();
    const failing = async (rate: number) => ({ ...(await server(10_000)(rate)), errors: rate > 300 ? 1 : 0 });
    const { best } = await findMaxRate({ ...options, start: 100, run: failing });
    expect(best!.rate).toBeLessThanOrEqual(300);
  });
});
