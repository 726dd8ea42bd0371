import type { JobType } from 'bullmq';
import type { DbOrTrx } from '../db/database.js';
import type { Logger } from '../logger.js';
import { enqueueInboundBulk, inboundJobId, inboundRetryJobId, type Queues } from '../queue/queues.js';
import { inboundJobForRow } from './store.js';

/**
 * Lost jobs. The messages row is the durable record; the BullMQ job is only a wake-up call. When Redis
 * loses jobs (a restart without persistence, eviction under a maxmemory policy other than noeviction,
 * a FLUSHALL), rows stay 'queued' (or 'processing', when the worker died with them) and nothing would
 * ever process them. This sweep finds such rows and queues them again.
 *
 * Queuing a message twice is harmless: the worker claims the row by status and processes it in one
 * transaction holding the row lock, so a second job for a processed row does nothing.
 */

/**
 * A 'queued' row stored longer ago than this (by received_at) without a pending job is re-queued (ms). The sweep
 * looks for the job itself, so this only has to cover the moment between storing a row and queuing its job.
 */
export const STALE_QUEUED_MS = 45_000;
/**
 * The same for a 'processing' row (ms). A worker that holds the row has its job active (pending), and a killed
 * worker's job stays active until BullMQ's stalled-job check hands it on; so a 'processing' row without any pending
 * job is one whose job Redis lost (a restart without persistence, eviction, FLUSHALL).
 */
export const STALE_PROCESSING_MS = 45_000;
/**
 * How often the worker process runs the sweep (ms). With the ages above, a job lost with Redis is queued again
 * within STALE_QUEUED_MS + REQUEUE_STALE_INTERVAL_MS of its row being stored, and within this interval of the loss
 * for an older row: well within 2 minutes. Replies waiting for such a message (order-wait.ts) wait until then.
 */
export const REQUEUE_STALE_INTERVAL_MS = 30_000;
/** Rows read per query. */
export const REQUEUE_STALE_BATCH = 500;

/** Job states in which a job will still run: a row with such a job is not lost. */
const PENDING_STATES: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'];
const PENDING = new Set<string>(PENDING_STATES);
// Job ids are `msg-<rowId>-<receivedMs>` or `msg-<rowId>-retry-<ms>` (src/queue/queues.ts).
const ROW_ID_OF_JOB = /^msg-(\d+)(?:-|$)/;

export interface RequeueStaleOptions {
  /** Default STALE_QUEUED_MS. */
  queuedMs?: number;
  /** Default STALE_PROCESSING_MS. */
  processingMs?: number;
  /** Default REQUEUE_STALE_BATCH. */
  batch?: number;
  now?: Date;
}

export interface RequeueStaleResult {
  /** Stale rows looked at (old enough, not done). */
  checked: number;
  /** Row ids queued again, oldest first. */
  requeued: string[];
}

/** Row ids that have a job that will still run, from the queue's pending lists (ids only, no job data). */
async function pendingRowIds(queues: Pick<Queues, 'inbound'>): Promise<Set<string>> {
  const ids = await queues.inbound.getRanges(PENDING_STATES, 0, -1);
  const rows = new Set<string>();
  for (const id of ids) {
    const m = ROW_ID_OF_JOB.exec(id);
    if (m) rows.add(m[1]!);
  }
  return rows;
}

/**
 * Queues again every stale 'queued' or 'processing' message that has no pending job in the inbound queue.
 * Uses the row's first job id, or a retry id when that job still exists (finished), since adding a job
 * under an existing id is a silent no-op.
 */
export async function requeueStaleMessages(
  db: DbOrTrx,
  queues: Pick<Queues, 'inbound'>,
  options: RequeueStaleOptions = {},
): Promise<RequeueStaleResult> {
  const now = (options.now ?? new Date()).getTime();
  const queuedBefore = new Date(now - (options.queuedMs ?? STALE_QUEUED_MS));
  const processingBefore = new Date(now - (options.processingMs ?? STALE_PROCESSING_MS));
  const batch = options.batch ?? REQUEUE_STALE_BATCH;
  const result: RequeueStaleResult = { checked: 0, requeued: [] };
  let pending: Set<string> | undefined;
  let after = '0';
  for (;;) {
    const rows = await db
      .selectFrom('messages')
      .select(['id', 'mailbox', 'message_id', 'envelope', 'size', 'received_at'])
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('received_at', '<', queuedBefore)]),
          eb.and([eb('status', '=', 'processing'), eb('received_at', '<', processingBefore)]),
        ]),
      )
      .where('id', '>', after)
      .orderBy('id')
      .limit(batch)
      .execute();
    if (rows.length === 0) break;
    result.checked += rows.length;
    after = rows[rows.length - 1]!.id;
    // Read after the rows: a job that finished in between left its row done, so at worst a done row is
    // queued again (harmless). Read once per run: a large healthy backlog is listed once, not per batch.
    pending ??= await pendingRowIds(queues);
    const lost = rows.filter((r) => !pending!.has(r.id));
    if (lost.length > 0) {
      // The first job may have been added since the snapshot (a poller re-fetch): then it is pending and
      // the row is not lost; if it exists finished, the row needs a new id.
      const jobs = lost.map(inboundJobForRow);
      const states = await Promise.all(jobs.map((job) => queues.inbound.getJobState(inboundJobId(job))));
      const requeue = lost.flatMap((r, i) =>
        PENDING.has(states[i]!) ? [] : [{ row: r, job: jobs[i]!, state: states[i] }],
      );
      const jobIds = requeue.map(({ row, job, state }) =>
        state === 'unknown' ? inboundJobId(job) : inboundRetryJobId(row.id, now),
      );
      await enqueueInboundBulk(
        queues,
        requeue.map((q) => q.job),
        jobIds,
      );
      result.requeued.push(...requeue.map((q) => q.row.id));
    }
    if (rows.length < batch) break;
  }
  return result;
}

/**
 * Runs requeueStaleMessages now and every `intervalMs` (default REQUEUE_STALE_INTERVAL_MS) until stopped.
 * Errors are logged, never thrown: the next run tries again.
 */
export function startRequeueStaleTimer(
  db: DbOrTrx,
  queues: Pick<Queues, 'inbound'>,
  logger: Logger,
  options: RequeueStaleOptions & { intervalMs?: number } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    // A run still going (a large backlog) is not doubled by the next tick.
    if (running) return;
    running = requeueStaleMessages(db, queues, options)
      .then(
        (r) => {
          if (r.requeued.length > 0)
            logger.warn(
              { count: r.requeued.length, first: r.requeued[0] },
              'stale messages without a job (lost by Redis?) queued again',
            );
        },
        (err: unknown) => logger.error({ err }, 'could not re-queue stale messages'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? REQUEUE_STALE_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
