import { Worker, type Job } from 'bullmq';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { DEFAULT_OUTBOUND_RETRY_BACKOFF, type BackoffPolicy } from '../queue/backoff.js';
import {
  QUEUE_NAMES,
  createQueues,
  createRedis,
  jobBackoffStrategy,
  type OutboundJob,
  type Queues,
} from '../queue/queues.js';
import { startOutboxRelay, type OutboxRelay, type RelayOptions } from './relay.js';
import { jobError } from '../queue/job-errors.js';
import { createSmtpTransport, sendOutboxRow, type MailTransport, type SendOutcome } from './sender.js';
import { smtpOAuthFromConfig } from './smtp-auth.js';
import { secretBoxFor } from '../mailboxes/mailbox-store.js';
import type { RedisClient } from '../queue/redis-target.js';

export const DEFAULT_OUTBOUND_CONCURRENCY = 2;

export interface OutboundWorkerOptions {
  /** Parallel sends. Default DEFAULT_OUTBOUND_CONCURRENCY. */
  concurrency?: number;
  /** Delays between the attempts of one mail; what is given replaces DEFAULT_OUTBOUND_RETRY_BACKOFF's value. */
  backoff?: Partial<BackoffPolicy>;
  relay?: RelayOptions;
  /** Queue key prefix; default config.queuePrefix. */
  prefix?: string;
  /** SMTP transport; default one built from config.smtpUrl. */
  transport?: MailTransport;
}

export interface OutboundWorkerDeps {
  config: Config;
  db: Db;
  logger: Logger;
}

export interface OutboundWorker {
  /** Null when SMTP_URL is unset: mail is queued (and relayed) but not sent. */
  worker: Worker<OutboundJob> | null;
  relay: OutboxRelay;
  queues: Queues;
  close(): Promise<void>;
}

/**
 * Starts the outbox relay and the BullMQ worker that sends outbound mail, in this process
 * (workers/worker.ts in production, tests in-process). `close()` stops both and their connections.
 */
export function startOutboundWorker(deps: OutboundWorkerDeps, options: OutboundWorkerOptions = {}): OutboundWorker {
  const { config, db, logger } = deps;
  const prefix = options.prefix ?? config.queuePrefix;
  // Relay side is a producer: commands must fail (and the sweep retry) rather than hang while holding row locks.
  const producer: RedisClient = createRedis(config.redisUrl, 'producer', {
    enableOfflineQueue: true,
    maxRetriesPerRequest: 3,
    commandTimeout: 5_000,
  });
  const queues = createQueues(producer, prefix);
  const relay = startOutboxRelay({ db, databaseUrl: config.databaseUrl, queues, logger }, options.relay);

  let worker: Worker<OutboundJob> | null = null;
  let transport: MailTransport | null = null;
  let workerRedis: RedisClient | null = null;
  const smtpUrl = config.smtpUrl;
  if (options.transport || smtpUrl) {
    transport =
      options.transport ??
      createSmtpTransport(smtpUrl!, smtpOAuthFromConfig(config, { db, secrets: secretBoxFor(config.secretsKeys) }));
    const senderDeps = { db, config, logger, transport };
    workerRedis = createRedis(config.redisUrl, 'worker');
    worker = new Worker<OutboundJob, SendOutcome>(
      QUEUE_NAMES.outbound,
      async (job: Job<OutboundJob>) => {
        const isLastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        try {
          return await sendOutboxRow(senderDeps, job.data.outboxId, { isLastAttempt });
        } catch (err) {
          // A refused mail (PermanentSendError) is not retried; an SMTP server that is down or deferring is.
          throw jobError(err);
        }
      },
      {
        connection: workerRedis,
        prefix,
        concurrency: options.concurrency ?? DEFAULT_OUTBOUND_CONCURRENCY,
        settings: { backoffStrategy: jobBackoffStrategy({ ...DEFAULT_OUTBOUND_RETRY_BACKOFF, ...options.backoff }) },
      },
    );
    worker.on('error', (err) => logger.warn({ err: err.message }, 'outbound worker error'));
  } else {
    logger.warn('SMTP_URL is not set: outbound mail is queued but not sent');
  }

  return {
    worker,
    relay,
    queues,
    async close() {
      await relay.close();
      await worker?.close();
      workerRedis?.disconnect();
      transport?.close();
      await queues.close();
      producer.disconnect();
    },
  };
}
