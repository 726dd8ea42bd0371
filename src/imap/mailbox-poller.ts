import type { ImapFlow } from 'imapflow';
import type { MailboxConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { metrics } from '../ops/metrics.js';
import { backoffDelay, DEFAULT_IMAP_RECONNECT_BACKOFF, type BackoffPolicy } from '../queue/backoff.js';
import type { Queues } from '../queue/queues.js';
import { leaseKey } from '../queue/redis-keys.js';
import { suggestedBackoffMs } from './suggested-backoff.js';
import { Lease } from './lease.js';
import type { LoginGate, Release } from './login-gate.js';
import { setRunState, type MailboxRunState } from './mailbox-state.js';
import { catchUpMarks, sweepMailbox, type SweepHooks, type SweepMemory } from './sweep.js';
import { mailboxTlsHint } from './tls-hint.js';
import { isLoginRefused, loginRefusedText, newImapClient } from './imap-client.js';
import {
  credentialsFor,
  MailboxAuthError,
  type CredentialsOptions,
  type MailboxCredentials,
} from '../mailboxes/credentials.js';
import type { RedisClient } from '../queue/redis-target.js';

/**
 * imapflow starts IDLE after the connection has been quiet this long (its own default is 15 s, which
 * would delay new-mail notifications by up to that much after every sweep). Our sweeps issue their
 * commands back to back, so a short delay costs no extra round trips.
 */
export const DEFAULT_AUTO_IDLE_DELAY_MS = 500;

export interface MailboxPollerOptions {
  mailbox: MailboxConfig;
  db: Db;
  /** Redis for the lease (any connection; the lease commands time out on their own). */
  redis: RedisClient;
  queues: Pick<Queues, 'inbound'>;
  logger: Logger;
  /** Timer sweep even when IDLE reports nothing (config.pollIntervalMs). */
  pollIntervalMs: number;
  /** IDLE is restarted after this long (config.idleMaxMs). */
  idleMaxMs: number;
  fetchBatch: number;
  maxMessageBytes: number;
  leaseTtlMs: number;
  /** Prefix of the lease key (use the queue prefix, so installations sharing a Redis stay apart). */
  leasePrefix: string;
  /** How often a poller without the lease tries to take it. Default: a third of leaseTtlMs. */
  leaseRetryMs?: number;
  /** Reconnect delays; what is given replaces DEFAULT_IMAP_RECONNECT_BACKOFF's value. */
  backoff?: Partial<BackoffPolicy>;
  hooks?: SweepHooks;
  /**
   * The mailbox's credentials. Default: credentialsFor(mailbox, credentialsOptions), the password of IMAP_URL or the
   * mailbox's OAuth2 auth.
   */
  credentials?: MailboxCredentials;
  /** Given to credentialsFor: where a rotated refresh token is saved. */
  credentialsOptions?: CredentialsOptions;
  /**
   * Shared by every mailbox of the process: bounds the logins in progress and the connections per host
   * (loginGateFromConfig). Default: none, every connection goes ahead at once.
   */
  gate?: LoginGate;
  /**
   * The first connection waits a random time up to this long, so many mailboxes started together do not all log in
   * in the same millisecond (startPoller: startSpreadMs(mailboxes)). Default 0.
   */
  startDelayMs?: number;
  /**
   * Asked before each try to take the lease: false means "not now" (this process already holds its share of the
   * mailboxes; src/imap/fleet.ts). Default: always.
   */
  mayTakeLease?: () => boolean;
}

/**
 * One mailbox's long-lived loop: take the lease, connect, sweep by UID, IDLE, sweep again on new mail
 * or on the timer; reconnect with backoff after any error; give the mailbox up when the lease is lost.
 * Never throws: every failure is logged and recorded in mailbox_state.
 */
export class MailboxPoller {
  readonly mailbox: MailboxConfig;
  readonly lease: Lease;
  readonly credentials: MailboxCredentials;
  readonly #o: MailboxPollerOptions;
  readonly #log: Logger;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #client: ImapFlow | undefined;
  #wake: (() => void) | undefined;
  #sweepWanted = false;
  #handingOver = false;
  #renewTimer: NodeJS.Timeout | undefined;
  /** Aborts a wait for a gate slot on stop(). */
  readonly #abort = new AbortController();
  /** The state last written to mailbox_state: writing the same again is skipped (a thousand idle mailboxes). */
  #written: MailboxRunState | undefined;

  constructor(options: MailboxPollerOptions) {
    this.#o = options;
    this.mailbox = options.mailbox;
    this.lease = new Lease(options.redis, leaseKey(options.leasePrefix, options.mailbox.key), options.leaseTtlMs);
    // Only the key is logged: the MailboxConfig holds the password.
    this.#log = options.logger.child({ mailbox: options.mailbox.key });
    this.credentials =
      options.credentials ??
      credentialsFor(options.mailbox, {
        // Without a store (IMAP_OAUTH_REFRESH_TOKEN), the new token lives in this process only: say so, never its value.
        onRefreshToken: () =>
          this.#log.warn(
            'the provider rotated the refresh token; this process uses the new one, but IMAP_OAUTH_REFRESH_TOKEN still holds the old one: consent again (intake mailbox authorize) before a restart if the provider revokes rotated tokens',
          ),
        onError: (err) => this.#log.error({ err }, 'could not save the rotated refresh token'),
        ...options.credentialsOptions,
      });
  }

  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) =>
      this.#log.error({ err }, 'mailbox poller loop ended unexpectedly'),
    );
  }

  /**
   * Lets another poller process have the mailbox: the connection is closed and the lease released; this poller tries
   * to take it again only when mayTakeLease allows.
   */
  handOver(): void {
    if (!this.lease.held || this.#stopped) return;
    this.#handingOver = true;
    this.#client?.close();
    this.#wake?.();
  }

  /** Stops polling, closes the connection and releases the lease. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new Error('mailbox poller stopped'));
    this.#client?.close();
    this.#wake?.();
    await this.#loop;
  }

  async #state(state: MailboxRunState, error?: string | null): Promise<void> {
    // Same state and no error to set or clear: the row already says it.
    if (error === undefined && state === this.#written) return;
    this.#written = undefined;
    try {
      await setRunState(this.#o.db, this.mailbox.key, state, error);
      this.#written = state;
    } catch (err) {
      this.#log.warn({ err }, 'could not record mailbox state');
    }
  }

  /** Sleeps, but wakes at once on stop(). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const prev = this.#wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        prev?.();
        done();
      };
    });
  }

  async #run(): Promise<void> {
    const retryMs = this.#o.leaseRetryMs ?? Math.max(500, Math.floor(this.#o.leaseTtlMs / 3));
    const backoff = { ...DEFAULT_IMAP_RECONNECT_BACKOFF, ...this.#o.backoff };
    let attempt = 0;
    if (this.#o.startDelayMs) await this.#sleep(Math.random() * this.#o.startDelayMs);
    while (!this.#stopped) {
      if (this.#handingOver) {
        this.#handingOver = false;
        this.#stopRenewing();
        if (this.lease.held) {
          // The state first: once the lease is free, the next holder writes its own.
          await this.#state('stopped', null);
          await this.lease.release().catch(() => undefined);
          this.#log.info('mailbox handed over to another poller process (this one holds more than its share)');
        }
        await this.#sleep(retryMs);
        continue;
      }
      if (!this.lease.held) {
        if (this.#o.mayTakeLease && !this.#o.mayTakeLease()) {
          await this.#sleep(retryMs);
          continue;
        }
        const got = await this.lease.acquire().catch((err: unknown) => {
          this.#log.warn({ err }, 'could not reach Redis for the mailbox lease');
          return false;
        });
        if (!got) {
          await this.#sleep(retryMs);
          continue;
        }
        this.#log.info('mailbox lease acquired');
        this.#startRenewing();
      }
      let failure: unknown;
      try {
        await this.#connection(() => {
          attempt = 0;
        });
      } catch (err) {
        failure = err;
      }
      if (this.#stopped) break;
      if (this.#handingOver) continue;
      if (!this.lease.held) {
        this.#stopRenewing();
        this.#log.warn('mailbox lease lost: stopped polling, will try to take it again');
        await this.#state('stopped', 'lease lost (another poller holds the mailbox, or Redis did not answer)');
        await this.#sleep(retryMs);
        continue;
      }
      const hint = mailboxTlsHint(failure);
      const refused = isLoginRefused(failure);
      // The token may be what the server refused (revoked, wrong audience): the next attempt asks for a new one.
      if (refused) this.credentials.rejected();
      const reason =
        failure instanceof MailboxAuthError
          ? `sign-in token: ${failure.message}`
          : refused
            ? `login refused by the server: ${loginRefusedText(failure)}`
            : failure instanceof Error
              ? failure.message
              : failure
                ? String(failure)
                : 'connection closed by the server';
      const message = hint ? `${reason}: ${hint}` : reason;
      // A token endpoint that is backing off is not asked again before its own retry time either.
      const tokenRetryMs = failure instanceof MailboxAuthError && failure.retryAt ? failure.retryAt - Date.now() : 0;
      const delay = Math.max(backoffDelay(attempt++, backoff), suggestedBackoffMs(failure) ?? 0, tokenRetryMs);
      // A TLS or sign-in error is the setting to change, said in one line: its stack trace would only hide that.
      const quiet = hint || refused || failure instanceof MailboxAuthError;
      this.#log.warn({ ...(quiet ? {} : { err: failure }), retryInMs: delay }, `mailbox connection failed: ${message}`);
      await this.#state('error', message);
      await this.#sleep(delay);
    }
    this.#stopRenewing();
    metrics.mailboxUp.set({ mailbox: this.mailbox.key }, 0);
    // The state first: once the lease is free, another poller may take the mailbox and write its own.
    await this.#state('stopped');
    if (this.lease.held) await this.lease.release().catch(() => undefined);
    this.#log.info('mailbox poller stopped');
  }

  #startRenewing(): void {
    this.#stopRenewing();
    this.#renewTimer = setInterval(
      () => {
        void this.lease.renew().then((ok) => {
          // Another poller may take the mailbox once our lease expires: disconnect before that can happen.
          if (!ok) this.#client?.close();
        });
      },
      Math.max(200, Math.floor(this.#o.leaseTtlMs / 3)),
    );
  }

  #stopRenewing(): void {
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  /** One connection's life: resolves when it ends by stop() or lease loss, throws on any other end. */
  async #connection(onReady: () => void): Promise<void> {
    const m = this.mailbox;
    if (this.#stopped) return;
    await this.#state('connecting');
    const gate = this.#o.gate;
    const signal = this.#abort.signal;
    // The host slot is held for the connection's whole life, the login slot only until the folder is open.
    let releaseHost: Release | undefined;
    let releaseLogin: Release | undefined;
    try {
      releaseHost = await gate?.connection(m.host, signal);
      releaseLogin = await gate?.login(signal);
    } catch (err) {
      releaseHost?.();
      if (this.#stopped) return;
      throw err;
    }
    let client: ImapFlow;
    try {
      // The token first: a connection is not opened for a login that cannot be had.
      const login = await this.credentials.login();
      // A new ImapFlow per connection: an instance is never reused after close.
      client = newImapClient(m, { maxIdleTime: this.#o.idleMaxMs, autoIdleDelay: DEFAULT_AUTO_IDLE_DELAY_MS }, login);
    } catch (err) {
      releaseLogin?.();
      releaseHost?.();
      throw err;
    }
    this.#client = client;
    let closed = false;
    const closedP = new Promise<void>((resolve) => client.once('close', () => ((closed = true), resolve())));
    // Without an 'error' listener a socket timeout would crash the whole process.
    client.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'IMAP connection error'));
    // EXISTS is only a hint (servers drop IDLE silently, counts can lie): it triggers the same UID sweep.
    client.on('exists', () => this.#requestSweep());
    const timer = setInterval(() => this.#requestSweep(), this.#o.pollIntervalMs);
    try {
      if (this.#stopped) return;
      try {
        await client.connect();
        if (m.markAs === 'move' && m.moveTo) {
          // The target folder must exist before the first MOVE; "already exists" is fine.
          await client.mailboxCreate(m.moveTo).catch(() => undefined);
        }
        await client.mailboxOpen(m.folder);
      } finally {
        releaseLogin?.();
      }
      metrics.mailboxUp.set({ mailbox: m.key }, 1);
      // Connected again: the error of an earlier attempt no longer describes the mailbox.
      await this.#state('polling', null);
      this.#log.info({ secure: client.secureConnection }, 'mailbox connected');
      // The position lives in memory while the connection lasts (the lease makes this process its only writer); a new
      // connection reads it again from mailbox_state.
      const memory: SweepMemory = {};
      const ctx = {
        memory,
        client,
        db: this.#o.db,
        queues: this.#o.queues,
        mailbox: m,
        fetchBatch: this.#o.fetchBatch,
        maxMessageBytes: this.#o.maxMessageBytes,
        logger: this.#log,
        hooks: this.#o.hooks,
      };
      let first = true;
      this.#sweepWanted = true;
      while (!this.#stopped && !closed && this.lease.held) {
        if (!this.#sweepWanted) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
            void closedP.then(resolve);
          });
          continue;
        }
        this.#sweepWanted = false;
        // No 'polling' write per sweep: an empty sweep then costs no database statement at all (the row says
        // 'polling' from connect until the first sweep is done, then 'idle').
        const result = await sweepMailbox(ctx);
        if (first) {
          await catchUpMarks(ctx, result.lastUid);
          first = false;
          onReady();
        }
        if (result.stored + result.duplicates + result.oversize > 0)
          this.#log.info(result, 'mailbox sweep stored messages');
        await this.#state('idle');
      }
    } finally {
      clearInterval(timer);
      metrics.mailboxUp.set({ mailbox: m.key }, 0);
      this.#client = undefined;
      if (!closed) {
        await client.logout().catch(() => client.close());
      }
      releaseLogin?.();
      releaseHost?.();
    }
    if (!this.#stopped && this.lease.held) throw new Error('IMAP connection closed');
  }

  #requestSweep(): void {
    this.#sweepWanted = true;
    this.#wake?.();
  }
}
