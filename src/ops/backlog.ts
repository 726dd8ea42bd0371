import type { DbOrTrx } from '../db/database.js';
import { BACKLOG_STATUSES } from './mailboxes.js';
import { metrics } from './metrics.js';

export interface InboundBacklog {
  messages: number;
  oldestSeconds: number;
}

/**
 * The inbound backlog as the database sees it (one indexed query). Unlike the queue gauges it also counts
 * messages whose job is gone from Redis (Redis restarted without persistence), which no worker would
 * ever pick up: this is the number that says whether mail is flowing.
 */
export async function refreshBacklogMetrics(db: DbOrTrx, now = Date.now()): Promise<InboundBacklog> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('received_at').as('oldest')])
    .where('status', 'in', [...BACKLOG_STATUSES])
    .executeTakeFirstOrThrow();
  const oldest = row.oldest ? new Date(row.oldest as unknown as string | Date).getTime() : null;
  const backlog = { messages: Number(row.n), oldestSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000) };
  metrics.inboundBacklog.set(backlog.messages);
  metrics.inboundBacklogOldest.set(backlog.oldestSeconds);
  return backlog;
}
