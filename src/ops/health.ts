import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { sql } from 'kysely';
import type { MailboxConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { metrics } from './metrics.js';
import type { RedisClient } from '../queue/redis-target.js';

/** A readiness check must answer within this long; a hung dependency counts as down. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/** One dependency probe: resolves when the dependency answers, rejects (or times out) when not. */
export type HealthCheck = () => Promise<unknown>;

export interface CheckResult {
  ok: boolean;
  /** How long the probe took, in milliseconds. */
  ms: number;
  /** Why it failed (never contains credentials). */
  error?: string;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckResult>;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every check in parallel, each bounded by `timeoutMs`, and records `intake_dependency_up`.
 * Never throws: a failing dependency is a result, not an exception.
 */
export async function runChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const started = performance.now();
      try {
        await withTimeout(Promise.resolve().then(check), timeoutMs);
        metrics.dependencyUp.set({ dependency: name }, 1);
        return [name, { ok: true, ms: Math.round(performance.now() - started) }];
      } catch (err) {
        metrics.dependencyUp.set({ dependency: name }, 0);
        return [
          name,
          { ok: false, ms: Math.round(performance.now() - started), error: (err as Error).message || String(err) },
        ];
      }
    }),
  );
  return { ok: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
}

/** PostgreSQL answers `SELECT 1` (a pool connection is available and the server is up). */
export function databaseCheck(db: Db): HealthCheck {
  return () => sql`SELECT 1`.execute(db);
}

/**
 * Redis answers PING. With the API's fail-fast connection a lost Redis rejects at once; with a worker
 * connection (commands queue while offline) the timeout in runChecks decides.
 */
export function redisCheck(redis: RedisClient): HealthCheck {
  return async () => {
    const answer = await redis.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
  };
}

/**
 * The IMAP server accepts a connection and greets (`* OK` or `* PREAUTH`). Deliberately no login:
 * probes run every few seconds and providers limit logins and connections per user (Office 365), so the
 * poller's own connection state (mailbox_state, /api/admin/mailboxes) reports authentication problems.
 */
export function imapCheck(mailbox: Pick<MailboxConfig, 'host' | 'port' | 'secure' | 'tlsInsecure'>): HealthCheck {
  return () =>
    new Promise<void>((resolve, reject) => {
      const socket: Socket = mailbox.secure
        ? tlsConnect({
            host: mailbox.host,
            port: mailbox.port,
            servername: mailbox.host,
            rejectUnauthorized: !mailbox.tlsInsecure,
          })
        : tcpConnect({ host: mailbox.host, port: mailbox.port });
      let greeting = '';
      const done = (err?: Error) => {
        socket.destroy();
        if (err) reject(err);
        else resolve();
      };
      socket.setTimeout(DEFAULT_CHECK_TIMEOUT_MS, () =>
        done(new Error(`IMAP ${mailbox.host}:${mailbox.port} sent no greeting`)),
      );
      socket.on('error', (err) => done(new Error(`IMAP ${mailbox.host}:${mailbox.port}: ${err.message}`)));
      socket.on('data', (chunk: Buffer) => {
        greeting += chunk.toString('latin1');
        if (!greeting.includes('\n')) return;
        if (/^\* (OK|PREAUTH)/i.test(greeting)) done();
        else done(new Error(`IMAP ${mailbox.host}:${mailbox.port} refused: ${greeting.trim().slice(0, 200)}`));
      });
    });
}

/**
 * The IMAP servers of the given mailboxes greet: one probe per host and port, however many mailboxes share it. The list
 * is read at each check (the poller's mailboxes change live).
 */
export function imapHostsCheck(mailboxes: () => readonly MailboxConfig[]): HealthCheck {
  return async () => {
    const hosts = new Map(mailboxes().map((m) => [`${m.host}:${m.port}:${m.secure}`, m]));
    const results = await Promise.allSettled([...hosts.values()].map((m) => imapCheck(m)()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new Error(failed.map((f) => (f.reason as Error).message).join('; '));
  };
}

/**
 * The readiness checks of a process: database and Redis, plus `imap:<mailbox>` for each mailbox given
 * (pass the configured mailboxes in the poller only).
 */
export function processChecks(
  db: Db,
  redis: RedisClient,
  mailboxes: readonly MailboxConfig[] = [],
): Record<string, HealthCheck> {
  return {
    database: databaseCheck(db),
    redis: redisCheck(redis),
    ...Object.fromEntries(mailboxes.map((m) => [`imap:${m.key}`, imapCheck(m)])),
  };
}
