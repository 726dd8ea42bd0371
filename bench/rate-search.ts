/** One step of a rate search: the load at one rate and what the server made of it. */
export interface RateStep {
  rate: number;
  p50: number;
  p99: number;
  scheduled: number;
  non2xx: number;
  errors: number;
  /** CPU ms per request of the server and its PostgreSQL backends; null where /proc is missing. */
  cpuMs: number | null;
  nodeMs: number | null;
  pgMs: number | null;
}

export interface RateSearchOptions {
  /** First rate tried, requests per second. */
  start: number;
  /** The target: a rate passes when its p99 stays at or under this many ms, with no error and no non-2xx answer. */
  targetP99: number;
  /** Highest rate tried. */
  maxRate: number;
  /** Ratio between two rates of the ladder. */
  factor: number;
  /** Bisections between the last passing and the first failing rate of the ladder (each halves the gap, geometrically). */
  refine: number;
  run: (rate: number) => Promise<RateStep>;
}

/** How far below its start the ladder goes when the start rate already fails. */
export const LADDER_DOWN_STEPS = 6;

export const passes = (s: RateStep, targetP99: number): boolean =>
  s.p99 <= targetP99 && s.errors === 0 && s.non2xx === 0;

/**
 * The highest rate whose p99 stays under the target: a geometric ladder up from `start` until a rate fails, then
 * bisection between the last rate that passed and the first that failed. A failing rate is tried once more
 * before it counts, so that one burst of other work on a shared machine does not end the ladder early.
 * When even `start` fails, the ladder goes down instead, to start / factor^LADDER_DOWN_STEPS.
 */
export async function findMaxRate(o: RateSearchOptions): Promise<{ best: RateStep | null; steps: RateStep[] }> {
  const steps: RateStep[] = [];
  const tryRate = async (rate: number): Promise<RateStep> => {
    let step = await o.run(rate);
    steps.push(step);
    if (!passes(step, o.targetP99)) {
      step = await o.run(rate);
      steps.push(step);
    }
    return step;
  };
  let best: RateStep | null = null;
  let low = 0;
  let high = Infinity;
  let rate = o.start;
  while (rate <= o.maxRate) {
    const step = await tryRate(rate);
    if (passes(step, o.targetP99)) {
      best = step;
      low = rate;
      if (high !== Infinity) break;
      rate = Math.round(rate * o.factor);
    } else {
      high = rate;
      if (best) break;
      if (rate <= o.start / o.factor ** LADDER_DOWN_STEPS) return { best, steps };
      rate = Math.max(1, Math.round(rate / o.factor));
    }
  }
  if (high === Infinity) return { best, steps }; // even maxRate passed
  for (let i = 0; i < o.refine && low > 0; i++) {
    const mid = Math.round(Math.sqrt(low * high));
    if (mid <= low || mid >= high) break;
    const step = await tryRate(mid);
    if (passes(step, o.targetP99)) {
      best = step;
      low = mid;
    } else high = mid;
  }
  return { best, steps };
}
