import { loadConfigFromEnvironment, type Config } from './config.js';
import { createDb, DEFAULT_POOL_SIZE, ensureDatabase, isDatabaseUnavailable, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { AppError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import type { HealthCheck } from './ops/health.js';
import { metrics } from './ops/metrics.js';
import { backoffDelay, type BackoffPolicy } from './queue/backoff.js';
import { redisEvictionPolicy } from './queue/queues.js';
import type { RedisClient } from './queue/redis-target.js';

/** Retries of start-up while PostgreSQL cannot be reached (1 s doubling, at most 30 s, jittered). */
export const DEFAULT_STARTUP_RETRY_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1_000,
  capMs: 30_000,
  jitter: 0.5,
});

/**
 * Start-up shared by the processes: config parsed once (a bad one ends the process with one clear line on stderr,
 * exit code 1), the database pool made, and `databaseReady`: resolves once PostgreSQL answers, the database exists
 * and (with `migrate`) is migrated. While PostgreSQL cannot be reached that is retried with backoff for as long as
 * it takes, with one log line per try, so a process started during an outage starts (not ready: its /readyz says
 * which dependency is down) and goes to work when the database comes back.
 */
export async function startProcess(
  name: string,
  options: { migrate?: boolean; poolSize?: number; statementTimeoutMs?: number } = {},
): Promise<{ config: Config; db: Db; logger: Logger; databaseReady: Promise<void> }> {
  let config: Config;
  try {
    config = loadConfigFromEnvironment();
  } catch (err) {
    fail(name, err);
  }
  const logger = createLogger(config.logLevel, `intake-${name}`);
  const db = createDb(config.databaseUrl, {
    poolSize: config.databasePoolSize ?? options.poolSize ?? DEFAULT_POOL_SIZE,
    statementTimeoutMs: config.databaseStatementTimeoutMs ?? options.statementTimeoutMs,
  });
  const prepare = async () => {
    await ensureDatabase(config.databaseUrl);
    if (options.migrate) {
      // On a connection of its own, without the statement timeout: rebuilding an index of a large table takes long.
      const migrator = createDb(config.databaseUrl, { poolSize: 1 });
      try {
        await migrateToLatest(migrator);
      } finally {
        await migrator.destroy();
      }
    }
  };
  const databaseReady = (async () => {
    for (let retry = 0; ; retry++) {
      try {
        await prepare();
        if (retry > 0) logger.info('PostgreSQL reachable: starting');
        return;
      } catch (err) {
        // A database that answers but refuses (a failed migration, bad credentials) is not an outage.
        if (!isDatabaseUnavailable(err)) fail(name, err);
        const delay = backoffDelay(retry, DEFAULT_STARTUP_RETRY_BACKOFF);
        logger.error({ retryInMs: delay }, `${(err as Error).message}; not ready, trying again`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  })();
  return { config, db, logger, databaseReady };
}

/**
 * A readiness check that fails while `ready` has not resolved: a process that is still waiting for a dependency at
 * start reports so on /readyz.
 */
export function startedCheck(ready: Promise<unknown>, what: string): HealthCheck {
  let started = false;
  void ready.then(() => (started = true));
  return async () => {
    if (!started) throw new Error(`waiting for ${what}`);
  };
}

/** What guardRedisEviction returns. */
export interface RedisEvictionGuard {
  /** A readiness check: fails while the policy may evict (only reached with `allowEviction`). */
  check: HealthCheck;
  /**
   * Resolves once the policy was read the first time (Redis answered). Create BullMQ's queues and workers after it:
   * a refused Redis then ends the process before BullMQ logs anything of its own.
   */
  checked: Promise<void>;
}

/**
 * Refuses a Redis that may evict keys (any maxmemory-policy but noeviction): eviction drops queued jobs silently.
 * Checked whenever `redis` (re)connects and on every readiness probe. Without `allowEviction` the process ends with
 * one line saying why; with it (ALLOW_REDIS_EVICTION) it keeps running and `check` keeps it not ready.
 */
export function guardRedisEviction(
  name: string,
  redis: RedisClient,
  allowEviction: boolean,
  logger: Logger,
): RedisEvictionGuard {
  let reported: string | null = null;
  const check = async () => {
    const policy = await redisEvictionPolicy(redis);
    metrics.redisPolicy.reset();
    metrics.redisPolicy.set({ policy }, 1);
    // `unknown`: a server (or proxy) whose INFO does not say; BullMQ's own check cannot tell either.
    if (policy === 'noeviction' || policy === 'unknown') {
      reported = null;
      return;
    }
    const line = `Redis maxmemory-policy is ${policy}: Redis may evict queued jobs; set it to noeviction${allowEviction ? ' (ALLOW_REDIS_EVICTION is set: running, not ready)' : ' (or ALLOW_REDIS_EVICTION=1 to run not ready)'}`;
    if (!allowEviction) fail(name, new Error(line));
    if (reported !== line) logger.error(line);
    reported = line;
    throw new Error(line);
  };
  let answered: () => void = () => undefined;
  const checked = new Promise<void>((resolve) => (answered = resolve));
  const onReady = () =>
    void check()
      .then(answered, (err: unknown) => {
        // Answered with an evicting policy (allowed): that is an answer too. A lost connection is not.
        if ((err as Error).message.startsWith('Redis maxmemory-policy')) answered();
      })
      .catch(() => undefined);
  redis.on('ready', onReady);
  if (redis.status === 'ready') onReady();
  return { check, checked };
}

export function fail(name: string, err: unknown): never {
  const message = err instanceof AppError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`intake ${name}: ${message}\n`);
  process.exit(1);
}

/** Runs `stop` once on SIGTERM/SIGINT, bounded by `timeoutMs`, then exits. */
export function onShutdown(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs + 5_000);
    timer.unref();
    stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}
