import { Agent, request } from 'node:http';

/** One request of a scenario. */
export interface SampleRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface OpenLoadOptions {
  url: string;
  headers: Record<string, string>;
  /** Mean arrival rate, requests per second. */
  rate: number;
  durationSeconds: number;
  /** Seeds the arrival times, so two runs at the same rate send the same schedule. */
  seed: number;
  /** The next request to send (draw it from a seeded generator, so runs are comparable). */
  next: () => SampleRequest;
  /** Keep-alive connections at most; a request that finds them all busy waits for one, and its wait counts. */
  connections: number;
}

export interface OpenLoadResult {
  /** Latency percentiles in ms, counted from each request's scheduled send time to its last response byte. */
  p50: number;
  p99: number;
  /** Requests scheduled, and how many of them got a 2xx answer, an error status, or no answer (socket error, timeout). */
  scheduled: number;
  ok: number;
  non2xx: number;
  errors: number;
}

/** Default keep-alive connections of the load generator: more than any rate below saturation keeps busy. */
export const DEFAULT_CONNECTIONS = 64;
/** A request unanswered after this long counts as an error (and its latency as this long). */
const REQUEST_TIMEOUT_MS = 10_000;

/** mulberry32: a small seeded generator; Math.random cannot be seeded, and runs must see the same load. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrival times (ms from the start) of a Poisson process: exponential gaps with mean 1000 / rate. */
export function poissonArrivals(rate: number, durationSeconds: number, random: () => number): number[] {
  const times: number[] = [];
  const end = durationSeconds * 1000;
  for (let t = -Math.log(1 - random()) * (1000 / rate); t < end; t += -Math.log(1 - random()) * (1000 / rate)) {
    times.push(t);
  }
  return times;
}

/** The p-th percentile (0-100) of ascending values, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * An open-model load: arrivals are scheduled in advance (Poisson) and each request is sent at its time,
 * whatever the server is doing. A request that cannot start on time (every connection busy, or the event loop
 * late) still counts its latency from its scheduled time, so a slow server cannot hide its queue by slowing the
 * client down (coordinated omission).
 */
export async function runOpenLoad(o: OpenLoadOptions): Promise<OpenLoadResult> {
  const target = new URL(o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const arrivals = poissonArrivals(o.rate, o.durationSeconds, seededRandom(o.seed));
  const latencies = new Float64Array(arrivals.length);
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const pending: Array<Promise<void>> = [];
  const start = performance.now();

  const send = (i: number, scheduled: number, sample: SampleRequest) =>
    new Promise<void>((done) => {
      const finish = (outcome: 'ok' | 'non2xx' | 'error') => {
        latencies[i] =
          outcome === 'error'
            ? Math.max(REQUEST_TIMEOUT_MS, performance.now() - scheduled)
            : performance.now() - scheduled;
        if (outcome === 'ok') ok++;
        else if (outcome === 'non2xx') non2xx++;
        else errors++;
        done();
      };
      const headers: Record<string, string | number> = { ...o.headers };
      if (sample.body !== undefined) headers['content-length'] = Buffer.byteLength(sample.body);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: sample.method,
          path: sample.path,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => finish(res.statusCode! >= 200 && res.statusCode! < 300 ? 'ok' : 'non2xx'));
          res.on('error', () => finish('error'));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => finish('error'));
      req.end(sample.body);
    });

  // Send everything that is due, then sleep until the next arrival. Timers fire up to a millisecond late; that
  // lateness is part of the measured latency, as it would be for a real client.
  let i = 0;
  while (i < arrivals.length) {
    const now = performance.now() - start;
    while (i < arrivals.length && arrivals[i]! <= now) {
      pending.push(send(i, start + arrivals[i]!, o.next()));
      i++;
    }
    if (i < arrivals.length) {
      const wait = arrivals[i]! - (performance.now() - start);
      await new Promise((r) => (wait >= 1 ? setTimeout(r, wait) : setImmediate(r)));
    }
  }
  await Promise.all(pending);
  agent.destroy();
  const sorted = latencies.sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), scheduled: arrivals.length, ok, non2xx, errors };
}
