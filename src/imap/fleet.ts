import type { Config, MailboxConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { listen, type Listener } from '../db/listen.js';
import type { Logger } from '../logger.js';
import { forgetCredentials } from '../mailboxes/credentials.js';
import { loadRunnableMailboxes, saveRefreshToken } from '../mailboxes/mailbox-store.js';
import type { SecretBox } from '../mailboxes/secrets.js';
import type { Queues } from '../queue/queues.js';
import type { RedisClient } from '../queue/redis-target.js';
import { loginGateFromConfig, startSpreadMs } from './login-gate.js';
import { setRunState } from './mailbox-state.js';
import { fairShare, PollerRegistry } from './poller-registry.js';
import { MailboxPoller, type MailboxPollerOptions } from './mailbox-poller.js';

/** NOTIFY channel of mailbox changes (migration 20261203130000's trigger on the mailboxes table). */
export const MAILBOXES_CHANNEL = 'intake_mailboxes';
/** A burst of changes (a script adding a hundred mailboxes) is read once, this long after the first notice. */
const RECONCILE_DEBOUNCE_MS = 200;

export interface FleetOptions {
  config: Pick<
    Config,
    | 'databaseUrl'
    | 'mailboxes'
    | 'pollIntervalMs'
    | 'idleMaxMs'
    | 'fetchBatch'
    | 'maxMessageBytes'
    | 'leaseTtlMs'
    | 'queuePrefix'
    | 'mailboxReconcileMs'
  > &
    Partial<Pick<Config, 'imapMaxConcurrentLogins' | 'imapMaxConnectionsPerHost'>>;
  db: Db;
  redis: RedisClient;
  queues: Pick<Queues, 'inbound'>;
  logger: Logger;
  /** Opens the stored secrets; null when this process has no key (only environment mailboxes then run here). */
  secrets: SecretBox | null;
  /** Options every mailbox's poller gets (backoff, lease retry, test hooks). */
  pollerOptions?: Partial<Omit<MailboxPollerOptions, 'mailbox' | 'db' | 'redis' | 'queues' | 'logger'>>;
}

export interface Fleet {
  /** The mailboxes this process watches now (each takes its lease when it can). */
  mailboxes(): MailboxConfig[];
  /** The lease tokens of this process's pollers (a lease in Redis holding one of them is this process's). */
  leaseTokens(): string[];
  /** Reads the mailbox list again now and starts, restarts or stops pollers to match it. */
  reconcile(): Promise<void>;
  /** Resolves once the first reading is done and LISTEN is in place. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The mailboxes this poller process watches, kept equal to the mailboxes table: a change is announced by NOTIFY and
 * applied within a second; a reading every MAILBOX_RECONCILE_MS covers a lost LISTEN connection. A changed mailbox's
 * poller is stopped (connection closed, lease released) and started again with the new settings; a disabled or
 * deleted one is stopped. Each mailbox's poller takes the mailbox's Redis lease, so several processes share the work.
 */
export function startFleet(options: FleetOptions): Fleet {
  const { config, logger } = options;
  const running = new Map<string, { poller: MailboxPoller; fingerprint: string; config: MailboxConfig }>();
  const reported = new Map<string, string>();
  let stopped = false;
  let current: Promise<void> | null = null;
  let again = false;
  let debounce: NodeJS.Timeout | null = null;
  // One gate for the whole process: logins take turns, connections per host are capped.
  const gate = loginGateFromConfig(config);
  // Several poller processes share the mailboxes: each takes leases up to its fair share of them, and hands over
  // what it holds beyond (a process that started first and took everything gives some up to one started later).
  const registry = new PollerRegistry(options.redis, config.queuePrefix, config.leaseTtlMs, logger);
  const held = () => {
    let n = 0;
    for (const e of running.values()) if (e.poller.lease.held) n++;
    return n;
  };
  const share = () => fairShare(running.size, registry.live);
  const rebalance = () => {
    const holding = [...running.values()].filter((e) => e.poller.lease.held);
    const extra = holding.length - share();
    if (extra <= 0 || stopped) return;
    logger.info(
      { holding: holding.length, share: share(), live: registry.live },
      'handing mailboxes over to other pollers',
    );
    for (const e of holding.slice(-extra)) e.poller.handOver();
  };

  const startPoller = (mailbox: MailboxConfig, startDelayMs: number): MailboxPoller => {
    const poller = new MailboxPoller({
      gate,
      startDelayMs,
      mayTakeLease: () => held() < share(),
      ...options.pollerOptions,
      mailbox,
      db: options.db,
      redis: options.redis,
      queues: options.queues,
      logger,
      pollIntervalMs: config.pollIntervalMs,
      idleMaxMs: config.idleMaxMs,
      fetchBatch: config.fetchBatch,
      maxMessageBytes: config.maxMessageBytes,
      leaseTtlMs: config.leaseTtlMs,
      leasePrefix: config.queuePrefix,
      credentialsOptions: mailbox.id
        ? {
            // The provider rotated the refresh token: stored sealed, so the next start (here or elsewhere) has it.
            onRefreshToken: (token) => saveRefreshToken(options.db, options.secrets, mailbox.id!, token),
            onError: (err) => logger.error({ err, mailbox: mailbox.key }, 'could not save the rotated refresh token'),
          }
        : undefined,
    });
    poller.start();
    return poller;
  };

  const apply = async (): Promise<void> => {
    const { runnable, unusable } = await loadRunnableMailboxes(options.db, options.secrets, config.mailboxes);
    const wanted = new Map(runnable.map((r) => [r.config.key, r]));
    const stopping: Promise<void>[] = [];
    for (const [key, entry] of running) {
      const next = wanted.get(key);
      if (next && next.fingerprint === entry.fingerprint) continue;
      running.delete(key);
      stopping.push(
        entry.poller.stop().then(() => {
          forgetCredentials(key);
          logger.info({ mailbox: key }, next ? 'mailbox changed: reconnecting' : 'mailbox removed or disabled');
        }),
      );
    }
    // A changed mailbox's old connection is closed and its lease released before the new poller takes it.
    await Promise.all(stopping);
    if (stopped) return;
    // Many new mailboxes at once (the first reading, a bulk import): their first logins are spread out.
    const added = [...wanted].filter(([key]) => !running.has(key));
    const spread = startSpreadMs(added.length);
    for (const [key, r] of added) {
      running.set(key, { poller: startPoller(r.config, spread), fingerprint: r.fingerprint, config: r.config });
    }
    for (const u of unusable) {
      if (reported.get(u.key) === u.reason) continue;
      reported.set(u.key, u.reason);
      logger.warn({ mailbox: u.key }, `mailbox not watched by this poller: ${u.reason}`);
      // Only a mailbox that no process can run says so in its health; one kept in another process's environment may
      // be running there.
      if (!u.reason.includes('another process'))
        await setRunState(options.db, u.key, 'error', u.reason).catch(() => undefined);
    }
    for (const key of reported.keys()) if (!unusable.some((u) => u.key === key)) reported.delete(key);
  };

  const reconcile = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    // Coalesce: notices during a reading cause exactly one more reading.
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      do {
        again = false;
        try {
          await apply();
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'could not read the mailbox list; trying again shortly');
        }
      } while (again && !stopped);
    })().finally(() => {
      current = null;
    });
    return current;
  };

  const soon = () => {
    if (debounce || stopped) return;
    debounce = setTimeout(() => {
      debounce = null;
      void reconcile();
    }, RECONCILE_DEBOUNCE_MS);
  };

  const listener: Listener = listen({
    databaseUrl: config.databaseUrl,
    channels: [MAILBOXES_CHANNEL],
    applicationName: 'intake-mailbox-fleet',
    logger,
    what: 'mailbox fleet',
    onNotification: soon,
    // After a break, changes in between were missed.
    onListening: (again) => {
      if (again) soon();
    },
  });
  const timer = setInterval(() => void reconcile(), config.mailboxReconcileMs);
  timer.unref();
  const first = reconcile();
  registry.start(rebalance);

  return {
    mailboxes: () => [...running.values()].map((e) => e.config),
    leaseTokens: () => [...running.values()].map((e) => e.poller.lease.token),
    reconcile,
    ready: async () => {
      await first;
      await listener.ready();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await registry.stop();
      if (debounce) clearTimeout(debounce);
      await listener.close();
      await current;
      const all = [...running.values()];
      running.clear();
      await Promise.all(all.map((e) => e.poller.stop()));
    },
  };
}
