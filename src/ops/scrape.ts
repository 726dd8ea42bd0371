import type { Queue } from 'bullmq';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { refreshBacklogMetrics } from './backlog.js';
import { registry } from './metrics.js';
import { refreshQueueMetrics } from './queue-stats.js';
import { bearerMatches } from './secure-compare.js';

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

/**
 * The Prometheus text of this process's registry. Queue gauges are refreshed first when `queues` are
 * given, the database backlog gauges when `db` is given (the web process does both; worker and poller
 * only report their own counters). An outage still yields the other metrics.
 */
export async function scrapeMetrics(
  queues: readonly Queue[] = [],
  options: { db?: Db; logger?: Logger; timeoutMs?: number } = {},
): Promise<{ contentType: string; body: string }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_QUEUE_TIMEOUT_MS;
  await Promise.all([
    queues.length > 0 ? bounded('queue statistics', refreshQueueMetrics(queues), timeoutMs, options.logger) : undefined,
    options.db
      ? bounded('backlog statistics', refreshBacklogMetrics(options.db), timeoutMs, options.logger)
      : undefined,
  ]);
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** /metrics is open unless METRICS_TOKEN is set; then it needs `Authorization: Bearer <token>`. */
export function metricsAllowed(authorization: string | undefined, token: string | undefined): boolean {
  return !token || bearerMatches(authorization, token);
}
