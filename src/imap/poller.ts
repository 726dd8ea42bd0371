import type { Config, MailboxConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { BackoffPolicy } from '../queue/backoff.js';
import type { Queues } from '../queue/queues.js';
import { loginGateFromConfig, startSpreadMs } from './login-gate.js';
import { MailboxPoller } from './mailbox-poller.js';
import type { SweepHooks } from './sweep.js';
import type { RedisClient } from '../queue/redis-target.js';

export interface PollerOptions {
  config: Pick<
    Config,
    'mailboxes' | 'pollIntervalMs' | 'idleMaxMs' | 'fetchBatch' | 'maxMessageBytes' | 'leaseTtlMs' | 'queuePrefix'
  > &
    // Unset: the defaults (10 logins at once, no cap per host).
    Partial<Pick<Config, 'imapMaxConcurrentLogins' | 'imapMaxConnectionsPerHost'>>;
  db: Db;
  redis: RedisClient;
  queues: Pick<Queues, 'inbound'>;
  logger: Logger;
  /** Mailboxes to poll. Default: config.mailboxes. */
  mailboxes?: readonly MailboxConfig[];
  /** Reconnect delays of every mailbox; see MailboxPollerOptions.backoff. */
  backoff?: Partial<BackoffPolicy>;
  leaseRetryMs?: number;
  hooks?: SweepHooks;
}

export interface Poller {
  readonly mailboxes: readonly MailboxPoller[];
  /** Stops every mailbox (connections closed, leases released). */
  stop(): Promise<void>;
}

/**
 * Polls every configured mailbox, each in its own independent loop: one mailbox that cannot connect
 * (wrong password, server down) backs off on its own and never holds up the others.
 */
export function startPoller(options: PollerOptions): Poller {
  const { config } = options;
  const list = options.mailboxes ?? config.mailboxes;
  if (list.length === 0) options.logger.warn('no mailboxes configured (set IMAP_URL or IMAP_URLS): the poller is idle');
  // One gate for the whole process: logins take turns, connections per host are capped.
  const gate = loginGateFromConfig(config);
  const startDelayMs = startSpreadMs(list.length);
  const pollers = list.map(
    (mailbox) =>
      new MailboxPoller({
        mailbox,
        db: options.db,
        redis: options.redis,
        queues: options.queues,
        logger: options.logger,
        pollIntervalMs: config.pollIntervalMs,
        idleMaxMs: config.idleMaxMs,
        fetchBatch: config.fetchBatch,
        maxMessageBytes: config.maxMessageBytes,
        leaseTtlMs: config.leaseTtlMs,
        leasePrefix: config.queuePrefix,
        leaseRetryMs: options.leaseRetryMs,
        backoff: options.backoff,
        hooks: options.hooks,
        gate,
        startDelayMs,
      }),
  );
  for (const p of pollers) p.start();
  return {
    mailboxes: pollers,
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
    },
  };
}
