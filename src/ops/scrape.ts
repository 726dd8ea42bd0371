import type { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { refreshBacklogMetrics } from './backlog.js';
import { registry } from './metrics.js';
import { refreshQueueMetrics } from './queue-stats.js';
import { readSharedSamples, renderSharedSeries, SHARED_SERIES } from './shared-metrics.js';
import { bearerMatches } from './secure-compare.js';
import type { RedisClient } from '../queue/redis-target.js';

/** Queue and backlog statistics give up after this long, so a hung Redis or database never hangs a scrape. */
export const DEFAULT_SCRAPE_QUEUE_TIMEOUT_MS = 2_000;

async function bounded(what: string, work: Promise<unknown>, timeoutMs: number, logger?: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, `${what} unavailable for this scrape`);
  } finally {
    clearTimeout(timer);
  }
}

let localView: Registry | undefined;
/** This process's metrics without the shared mail series (which `web` shows from Redis instead). */
function withoutSharedSeries(): Registry {
  if (!localView) {
    localView = new Registry();
    for (const name of registry.getMetricsAsArray().map((m) => m.name))
      if (!SHARED_SERIES.includes(name)) localView.registerMetric(registry.getSingleMetric(name)!);
  }
  return localView;
}

/**
 * The Prometheus text of this process's registry. Queue gauges are refreshed first when `queues` are
 * given, the database backlog gauges when `db` is given. With `shared` (the web process), the mail series
 * are the installation's totals read from Redis (shared-metrics.ts) instead of this process's own counts;
 * if Redis does not answer they are left out of this scrape rather than shown as zero. Worker and poller
 * report their own counts since they started. An outage still yields the other metrics.
 */
export async function scrapeMetrics(
  queues: readonly Queue[] = [],
  options: { db?: Db; logger?: Logger; timeoutMs?: number; shared?: { redis: RedisClient; prefix: string } } = {},
): Promise<{ contentType: string; body: string }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_QUEUE_TIMEOUT_MS;
  const { shared, logger } = options;
  const [, , sharedText] = await Promise.all([
    queues.length > 0 ? bounded('queue statistics', refreshQueueMetrics(queues), timeoutMs, logger) : undefined,
    options.db ? bounded('backlog statistics', refreshBacklogMetrics(options.db), timeoutMs, logger) : undefined,
    shared
      ? readSharedSamples(shared.redis, shared.prefix).then(
          (samples) => renderSharedSeries(registry, samples),
          (err: unknown) => {
            logger?.warn({ err: (err as Error).message }, 'mail series unavailable for this scrape');
            return '';
          },
        )
      : undefined,
  ]);
  if (sharedText === undefined) return { contentType: registry.contentType, body: await registry.metrics() };
  return { contentType: registry.contentType, body: (await withoutSharedSeries().metrics()) + sharedText };
}

/** /metrics is open unless METRICS_TOKEN is set; then it needs `Authorization: Bearer <token>`. */
export function metricsAllowed(authorization: string | undefined, token: string | undefined): boolean {
  return !token || bearerMatches(authorization, token);
}
