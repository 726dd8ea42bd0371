import { Queue, type ConnectionOptions } from 'bullmq';
import { QUEUE_NAMES } from '../queue/queues.js';
import { metrics } from './metrics.js';

/** Job states reported per queue; `waiting` includes prioritized jobs. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueStats {
  name: string;
  counts: Record<QueueState, number>;
  /** Seconds since the oldest waiting job was added; 0 when nothing waits. */
  oldestWaitingSeconds: number;
}

/**
 * One read-only Queue handle per name in QUEUE_NAMES, so a queue added there shows up in metrics and the
 * dashboard without further wiring. They share the caller's Redis connection.
 */
export function createOpsQueues(connection: ConnectionOptions, prefix: string): Queue[] {
  return [...new Set(Object.values(QUEUE_NAMES))].map((name) => {
    const queue = new Queue(name, { connection, prefix });
    // Connection errors surface in /readyz and as missing queue gauges; without a listener BullMQ prints them.
    queue.on('error', () => undefined);
    return queue;
  });
}

export async function closeQueues(queues: readonly Queue[]): Promise<void> {
  await Promise.allSettled(queues.map((q) => q.close()));
}

/** Counts and oldest-waiting age of one queue (three small Redis round trips). */
export async function queueStats(queue: Queue, now = Date.now()): Promise<QueueStats> {
  const raw = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
  // The wait list is LPUSHed, so ascending order starts at the oldest job.
  const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
  return {
    name: queue.name,
    counts: {
      waiting: (raw.waiting ?? 0) + (raw.prioritized ?? 0),
      active: raw.active ?? 0,
      delayed: raw.delayed ?? 0,
      failed: raw.failed ?? 0,
      completed: raw.completed ?? 0,
    },
    oldestWaitingSeconds: oldest?.timestamp ? Math.max(0, (now - oldest.timestamp) / 1000) : 0,
  };
}

/**
 * Collected at scrape time (not on a timer), so the numbers are as fresh as the scrape and no process
 * polls Redis when nobody looks. When Redis does not answer, the gauges are cleared rather than left
 * stale: alert on `intake_dependency_up{dependency="redis"} == 0` for that case.
 */
export async function refreshQueueMetrics(queues: readonly Queue[]): Promise<QueueStats[]> {
  try {
    const stats = await Promise.all(queues.map((q) => queueStats(q)));
    for (const s of stats) {
      for (const state of QUEUE_STATES) metrics.queueDepth.set({ queue: s.name, state }, s.counts[state]);
      metrics.queueOldestAge.set({ queue: s.name }, s.oldestWaitingSeconds);
    }
    return stats;
  } catch (err) {
    metrics.queueDepth.reset();
    metrics.queueOldestAge.reset();
    throw err;
  }
}
