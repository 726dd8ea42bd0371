import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import DataLoader from 'dataloader';
import { metrics } from '../ops/metrics.js';
import { backoffDelay, DEFAULT_INBOUND_RETRY_BACKOFF, type BackoffPolicy } from '../queue/backoff.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { isRetryable, jobError } from '../queue/job-errors.js';
import { QUEUE_NAMES, jobBackoffStrategy, type InboundJob } from '../queue/queues.js';
import { orderWaitDelay, type OrderWaitOptions, type OrderWaitState } from './order-wait.js';
import { recordFailedAttempt } from './message.repository.js';
import { processInboundMessage, type ProcessDeps, type ProcessResult } from './process-message.js';
import { createCaseSettingsCache } from '../settings/settings-cache.js';
import {
  BATCH_MESSAGE_MAX_BYTES,
  DEFAULT_BATCH_LINGER_MS,
  processInboundBatch,
  type BatchEntry,
  type BatchOutcome,
} from './process-batch.js';
import { ByteBudget } from './byte-budget.js';

/**
 * How long the worker reuses the case settings it read (ms). Settings change rarely and every job needs
 * them (the case-number prefix for parsing, Status Closed / Reopen for threading, the acknowledgement
 * template), so one query per job is waste. A change is seen by the worker at most this late, except
 * where it matters: a new case is created against these settings and its insert confirms they are still
 * the stored version (createCase `settings`); when they are not, the message's transaction runs again
 * with fresh ones and the cache is dropped. Changing a status reads them inside its own transaction.
 */
export const DEFAULT_SETTINGS_CACHE_MS = 5_000;

export interface InboundWorkerDeps extends ProcessDeps {
  /** A Redis connection made with createRedis(url, 'worker') (blocking, `maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  /** BullMQ key prefix. Default config.queuePrefix. */
  prefix?: string;
  /** Jobs processed at once. Default config.workerConcurrency. */
  concurrency?: number;
  /** How long the case settings read by one job serve the next ones (ms). Default DEFAULT_SETTINGS_CACHE_MS; 0 reads them per job. */
  settingsCacheMs?: number;
  /** Messages processed in one transaction at most (process-batch.ts). Default config.workerBatchSize; 1 turns batching off. */
  batchSize?: number;
  /** Bytes of messages held at once (byte-budget.ts). Default config.workerMaxBytesInFlight. */
  maxBytesInFlight?: number;
  /** Delays between the checks of a reply waiting for the earlier message it answers (order-wait.ts). Default: the DEFAULT_ORDER_WAIT_* constants. */
  orderWait?: OrderWaitOptions;
}

/**
 * The job's data: the poller's payload plus what the worker remembers between order waits, and how often it waited
 * for the database (an outage).
 */
export type InboundWorkerJob = InboundJob & { orderWait?: OrderWaitState; databaseWaits?: number };

/** How long a worker's lock on an active job lasts unless renewed (renewed every half of it). */
export const INBOUND_LOCK_MS = 15_000;
/** How often workers look for jobs whose lock expired (their worker died) and hand them on. */
export const INBOUND_STALLED_CHECK_MS = 5_000;
/**
 * A job that stalled more often than this fails (its row is kept as failed): a message that kills its worker every
 * time. Above 1, so that a job active in two worker crashes in a row (a crash loop) is not taken for such a message.
 */
export const INBOUND_MAX_STALLED = 3;

/** Re-tries of a job while PostgreSQL cannot be reached (1 s doubling, at most 15 s, jittered). */
export const DEFAULT_DATABASE_WAIT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1_000,
  capMs: 15_000,
  jitter: 0.5,
});

/** True when this failure was the job's last try (BullMQ counts attemptsMade after each failure). */
function isLastAttempt(job: Job<InboundWorkerJob>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * A failed run of a job: recorded on its row (kept as `failed` when it was the last try, or can never succeed),
 * counted and logged. Returns what the processor throws: UnrecoverableError (no retry) for a message that can
 * never be processed as it is, else the error itself (BullMQ retries with backoff).
 */
async function recordJobFailure(deps: InboundWorkerDeps, job: Job<InboundWorkerJob>, err: unknown): Promise<unknown> {
  const id = job.data.messageRowId;
  const final = !isRetryable(err) || isLastAttempt(job);
  await recordFailedAttempt(deps.db, id, err, final).catch((e: unknown) =>
    deps.logger.error({ err: e, messageRowId: id }, 'could not record the failed attempt'),
  );
  if (final) metrics.messagesFailed.inc();
  deps.logger.warn(
    {
      messageRowId: id,
      messageId: job.data.messageId,
      attempt: job.attemptsMade + 1,
      final,
      err: (err as Error).message,
    },
    final ? 'inbound message kept as failed' : 'inbound message failed; will retry',
  );
  return jobError(err);
}

/**
 * Starts the BullMQ worker on the inbound queue. Used by workers/worker.ts and, in-process, by tests
 * and benchmarks, so every caller runs the same worker.
 *
 * An error that is not retryable (src/queue/job-errors.ts), such as a message that can never be processed as it
 * is (unparseable, too large), fails at once (UnrecoverableError: no retry) and is kept as 'failed'; any other
 * error is retried with the queue's backoff (DEFAULT_INBOUND_JOB_OPTIONS) and the row becomes 'failed' after the
 * last attempt.
 * Either way the raw bytes stay, and the rest of the queue goes on.
 *
 * A reply whose parent message is stored earlier but not processed yet waits: the job is moved to the
 * delayed set (DelayedError: no attempt is used) and comes back after a growing delay, until that message is
 * processed, failed or gone (order-wait.ts).
 */
export function startInboundWorker(deps: InboundWorkerDeps): Worker<InboundWorkerJob, ProcessResult> {
  const { db, logger } = deps;
  const processDeps: ProcessDeps = {
    ...deps,
    caseSettings:
      deps.caseSettings ?? createCaseSettingsCache({ ttlMs: deps.settingsCacheMs ?? DEFAULT_SETTINGS_CACHE_MS }),
  };
  const waitOptions = deps.orderWait ?? {};
  const batchSize = deps.batchSize ?? deps.config.workerBatchSize;
  // Jobs that arrive within a few milliseconds of each other share one transaction (DataLoader is the micro-batcher:
  // no cache, so a job that runs again is looked at again).
  const batches =
    batchSize > 1
      ? new DataLoader<BatchEntry, BatchOutcome, string>((entries) => processInboundBatch(processDeps, entries), {
          cache: false,
          maxBatchSize: batchSize,
          batchScheduleFn: (run) => setTimeout(run, DEFAULT_BATCH_LINGER_MS),
        })
      : null;
  // Jobs in flight times their size is what the process holds: bound the bytes, not only the count.
  const budget = new ByteBudget(deps.maxBytesInFlight ?? deps.config.workerMaxBytesInFlight);
  const worker = new Worker<InboundWorkerJob, ProcessResult>(
    QUEUE_NAMES.inbound,
    async (job, token) => {
      const id = job.data.messageRowId;
      const state = job.data.orderWait;
      let result: ProcessResult;
      const release = await budget.acquire(job.data.size);
      try {
        // A job coming back from an order wait goes alone: it refers to another message, which a batch never takes.
        const batchable = batches && !state && job.data.size <= BATCH_MESSAGE_MAX_BYTES;
        const batched = batchable ? await batches.load({ messageRowId: id, receivedAt: job.data.receivedAt }) : null;
        if (batched?.result) return batched.result;
        result = await processInboundMessage(processDeps, id, {
          receivedAt: job.data.receivedAt,
          orderWait: { state },
          preparsed: batched?.parsed,
        });
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw await recordJobFailure(deps, job, err);
        // PostgreSQL is down or restarting: not the message's fault, and nothing was written. The job waits (no
        // attempt used, however long the outage) and its row stays as it was; an outage never fails a message.
        const outage = (job.data.databaseWaits ?? 0) + 1;
        await job.updateData({ ...job.data, databaseWaits: outage });
        await job.moveToDelayed(Date.now() + backoffDelay(outage - 1, DEFAULT_DATABASE_WAIT_BACKOFF), token);
        if (outage === 1)
          logger.warn({ messageRowId: id, err: (err as Error).message }, 'database unavailable; job waits');
        throw new DelayedError();
      } finally {
        release();
      }
      if (result.outcome !== 'waiting') return result;
      const next: OrderWaitState = { waits: (state?.waits ?? 0) + 1, since: state?.since ?? Date.now() };
      await job.updateData({ ...job.data, orderWait: next });
      await job.moveToDelayed(Date.now() + orderWaitDelay(next.waits - 1, waitOptions), token);
      logger.debug(
        { messageRowId: id, waitingFor: result.waitingFor, waits: next.waits },
        'inbound message waits for an earlier message',
      );
      throw new DelayedError();
    },
    {
      connection: deps.connection,
      prefix: deps.prefix ?? deps.config.queuePrefix,
      concurrency: deps.concurrency ?? deps.config.workerConcurrency,
      settings: { backoffStrategy: jobBackoffStrategy(DEFAULT_INBOUND_RETRY_BACKOFF) },
      // A killed worker's jobs (and the replies waiting for them) come back after the lock expires and the next
      // stalled check: at most INBOUND_LOCK_MS + INBOUND_STALLED_CHECK_MS instead of BullMQ's 30 + 30 s.
      lockDuration: INBOUND_LOCK_MS,
      stalledInterval: INBOUND_STALLED_CHECK_MS,
      maxStalledCount: INBOUND_MAX_STALLED,
    },
  );
  // A job that stalled too often fails without our processor running: keep its row as failed too.
  worker.on('failed', (job, err) => {
    if (!job || !/stalled/i.test(err.message)) return;
    recordFailedAttempt(db, job.data.messageRowId, err, true).catch((e: unknown) =>
      logger.error({ err: e, messageRowId: job.data.messageRowId }, 'could not record the stalled job'),
    );
  });
  // Without a listener a Redis error would be an unhandled 'error' event and crash the process.
  worker.on('error', (err) => logger.error({ err }, 'inbound worker error'));
  return worker;
}
