import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Gauge, Histogram, type Metric, type MetricValue, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { registry as processRegistry } from './metrics.js';
import type { RedisClient } from '../queue/redis-target.js';

/**
 * The mail series: counted by whichever process does the work (poller, worker) and
 * shown by `web`'s /metrics from Redis, so one scrape of `web` shows the whole installation. Counters and
 * the histogram are added to shared totals (HINCRBYFLOAT), so they only ever grow, across restarts of any
 * process; gauges are each process's current value, kept while the process lives.
 */
export const SHARED_SERIES: readonly string[] = [
  'intake_messages_received_total',
  'intake_messages_processed_total',
  'intake_cases_created_total',
  'intake_replies_threaded_total',
  'intake_case_reopens_total',
  'intake_messages_suppressed_total',
  'intake_messages_failed_total',
  'intake_ingest_latency_seconds',
  'intake_outbound_sent_total',
  'intake_outbound_failed_total',
  'intake_outbound_suppressed_total',
  'intake_mailbox_connected',
];

/** How often each process adds what it counted since the last time to the shared totals. */
export const DEFAULT_METRICS_PUBLISH_INTERVAL_MS = 5_000;
/** A process's gauges disappear this many publish intervals after it stopped publishing (crashed). */
const GAUGE_TTL_INTERVALS = 3;
/** A publish or read that takes longer is given up (the next one catches up: deltas are kept until sent). */
const REDIS_TIMEOUT_MS = 2_000;

/** Redis keys, under the queue prefix like every other intake key. */
export const sharedMetricKeys = (prefix: string) => ({
  /** Hash: field = JSON [family, sample name, labels], value = the total over all processes. */
  counters: `${prefix}:metrics:counters`,
  /** Sorted set of publishing processes, scored by the time (ms) their gauges expire. */
  processes: `${prefix}:metrics:processes`,
  /** Hash per process: field as above, value = the process's gauge value. */
  gauges: (processId: string) => `${prefix}:metrics:gauges:${processId}`,
});

type Labels = Record<string, string | number>;
type Sample = { family: string; name: string; labels: Labels; value: number };

const isGauge = (m: Metric): boolean => m instanceof Gauge;
const fieldOf = (s: Omit<Sample, 'value'>): string => {
  const labels = Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify([s.family, s.name, labels]);
};

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out`)), REDIS_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function samplesOf(registry: Registry, gauges: boolean): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const family of SHARED_SERIES) {
    const metric = registry.getSingleMetric(family);
    if (!metric || isGauge(metric) !== gauges) continue;
    const { values } = await metric.get();
    // Histograms list their _bucket, _sum and _count samples with `metricName`.
    for (const v of values as (MetricValue<string> & { metricName?: string })[])
      out.push({ family, name: v.metricName ?? family, labels: v.labels as Labels, value: v.value });
  }
  return out;
}

export interface MetricsPublisher {
  /** Adds what was counted since the last publish to the shared totals, and refreshes this process's gauges. */
  publish(): Promise<void>;
  /** A last publish (bounded), then this process's gauges are removed. */
  stop(): Promise<void>;
}

/**
 * Publishes this process's mail series to Redis every `intervalMs`. Only what was counted since the last
 * successful publish is added, so a failed publish (Redis down) is retried with the next one and nothing
 * is counted twice; what a process counted in its last interval before it was killed is lost.
 */
export function startMetricsPublisher(options: {
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  registry?: Registry;
  intervalMs?: number;
}): MetricsPublisher {
  const registry = options.registry ?? processRegistry;
  const intervalMs = options.intervalMs ?? DEFAULT_METRICS_PUBLISH_INTERVAL_MS;
  const keys = sharedMetricKeys(options.prefix);
  const processId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const published = new Map<string, number>();
  let pending: Promise<void> | undefined;
  let warned = false;

  async function publishOnce(): Promise<void> {
    const multi = options.redis.multi();
    const sent: [string, number][] = [];
    for (const s of await samplesOf(registry, false)) {
      const field = fieldOf(s);
      const delta = s.value - (published.get(field) ?? 0);
      // A counter reset inside this process (tests do it) starts a new baseline; totals never go down.
      if (delta < 0) published.set(field, s.value);
      if (delta <= 0) continue;
      multi.hincrbyfloat(keys.counters, field, delta);
      sent.push([field, s.value]);
    }
    const gauges = await samplesOf(registry, true);
    const gaugeKey = keys.gauges(processId);
    multi.del(gaugeKey);
    if (gauges.length > 0) {
      const ttlMs = intervalMs * GAUGE_TTL_INTERVALS;
      multi.hset(gaugeKey, Object.fromEntries(gauges.map((g) => [fieldOf(g), String(g.value)])));
      multi.pexpire(gaugeKey, ttlMs);
      multi.zadd(keys.processes, Date.now() + ttlMs, processId);
    }
    await multi.exec();
    for (const [field, value] of sent) published.set(field, value);
  }

  /**
   * One publish at a time, and a new one only once the last has really ended: on a worker's connection a command
   * waits through a Redis outage and runs when Redis returns, so a second publish meanwhile would add the same
   * counts twice. Callers wait at most REDIS_TIMEOUT_MS.
   */
  const publish = (): Promise<void> => {
    pending ??= publishOnce()
      .then(() => {
        warned = false;
      })
      .catch((err: unknown) => {
        if (!warned) options.logger.warn({ err: (err as Error).message }, 'mail metrics not published to Redis');
        warned = true;
      })
      .finally(() => {
        pending = undefined;
      });
    return withTimeout(pending, 'publishing the mail metrics').catch(() => undefined);
  };

  const timer = setInterval(() => void publish(), intervalMs);
  timer.unref();
  return {
    publish,
    async stop() {
      clearInterval(timer);
      await publish();
      await withTimeout(
        options.redis.multi().del(keys.gauges(processId)).zrem(keys.processes, processId).exec(),
        'removing the gauges',
      ).catch(() => undefined);
    },
  };
}

const escapeLabel = (v: string | number) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function line(name: string, labels: Labels, value: number): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a === 'le' ? 1 : b === 'le' ? -1 : a.localeCompare(b)));
  const text = entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
  return `${name}${text ? `{${text}}` : ''} ${value}`;
}

const SUFFIX_ORDER = ['_bucket', '_sum', '_count'];
const leOf = (s: Sample) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le));

/** The Prometheus text of the shared mail series, with HELP and TYPE from `registry`'s definitions. */
export function renderSharedSeries(registry: Registry, samples: Sample[]): string {
  let out = '';
  for (const family of SHARED_SERIES) {
    const metric = registry.getSingleMetric(family);
    if (!metric) continue;
    const type = metric instanceof Histogram ? 'histogram' : isGauge(metric) ? 'gauge' : 'counter';
    const help = (metric as unknown as { help: string }).help;
    out += `# HELP ${family} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${family} ${type}\n`;
    const mine = samples.filter((s) => s.family === family);
    const labelNames = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    if (mine.length === 0 && type === 'counter' && labelNames.length === 0) out += `${family} 0\n`;
    const seriesKey = (s: Sample) =>
      JSON.stringify(
        Object.entries(s.labels)
          .filter(([k]) => k !== 'le')
          .sort(),
      );
    mine.sort(
      (a, b) =>
        seriesKey(a).localeCompare(seriesKey(b)) ||
        SUFFIX_ORDER.findIndex((x) => a.name.endsWith(x)) - SUFFIX_ORDER.findIndex((x) => b.name.endsWith(x)) ||
        leOf(a) - leOf(b),
    );
    for (const s of mine) out += `${line(s.name, s.labels, s.value)}\n`;
  }
  return out;
}

const parseField = (field: string, value: string): Sample | undefined => {
  try {
    const [family, name, labels] = JSON.parse(field) as [string, string, Labels];
    return { family, name, labels, value: Number(value) };
  } catch {
    return undefined;
  }
};

/**
 * The shared totals and the live processes' gauges, read from Redis (for `web`'s /metrics). A gauge that
 * several processes report (a mailbox seen by two pollers, one holding its lease) shows the highest value.
 */
export async function readSharedSamples(redis: RedisClient, prefix: string): Promise<Sample[]> {
  const keys = sharedMetricKeys(prefix);
  const now = Date.now();
  const [counters, processes] = await withTimeout(
    Promise.all([redis.hgetall(keys.counters), redis.zrangebyscore(keys.processes, now, '+inf')]),
    'reading the mail metrics',
  );
  const samples = Object.entries(counters).flatMap(([f, v]) => parseField(f, v) ?? []);
  if (processes.length > 0) {
    const pipeline = redis.pipeline();
    for (const id of processes) pipeline.hgetall(keys.gauges(id));
    const gauges = new Map<string, Sample>();
    for (const [err, hash] of (await withTimeout(pipeline.exec(), 'reading the mail gauges')) ?? []) {
      if (err) continue;
      for (const [f, v] of Object.entries(hash as Record<string, string>)) {
        const s = parseField(f, v);
        if (s && s.value > (gauges.get(f)?.value ?? -Infinity)) gauges.set(f, s);
      }
    }
    samples.push(...gauges.values());
  }
  // Processes that died without removing themselves: their gauge hashes have expired already.
  void redis.zremrangebyscore(keys.processes, '-inf', now - 1).catch(() => undefined);
  return samples;
}
