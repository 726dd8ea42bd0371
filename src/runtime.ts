import { loadConfigFromEnvironment, type Config } from './config.js';
import { createDb, DEFAULT_POOL_SIZE, ensureDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { AppError } from './errors.js';
import { createLogger, type Logger } from './logger.js';

/**
 * Start-up shared by the processes: config parsed once, database created and migrated.
 * Any failure ends the process with one clear line on stderr (exit code 1).
 */
export async function startProcess(
  name: string,
  options: { migrate?: boolean; poolSize?: number; statementTimeoutMs?: number } = {},
): Promise<{ config: Config; db: Db; logger: Logger }> {
  let config: Config;
  try {
    config = loadConfigFromEnvironment();
  } catch (err) {
    fail(name, err);
  }
  const logger = createLogger(config.logLevel, `intake-${name}`);
  try {
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
    const db = createDb(config.databaseUrl, {
      poolSize: config.databasePoolSize ?? options.poolSize ?? DEFAULT_POOL_SIZE,
      statementTimeoutMs: config.databaseStatementTimeoutMs ?? options.statementTimeoutMs,
    });
    return { config, db, logger };
  } catch (err) {
    fail(name, err);
  }
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
