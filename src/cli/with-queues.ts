import { loadConfigFromEnvironment, type Config } from '../config.js';
import { createDb, ensureDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createQueues, createRedis, type Queues } from '../queue/queues.js';

/**
 * Runs a command with the database (created and migrated if needed) and the producer queues, and
 * closes both afterwards: for commands that store or queue inbound messages (ingest, requeue-stale).
 */
export async function withQueues<T>(fn: (ctx: { config: Config; db: Db; queues: Queues }) => Promise<T>): Promise<T> {
  const config = loadConfigFromEnvironment();
  await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl, { poolSize: 2 });
  const redis = createRedis(config.redisUrl, 'producer');
  const queues = createQueues(redis, config.queuePrefix);
  try {
    await migrateToLatest(db);
    return await fn({ config, db, queues });
  } finally {
    await queues.close();
    redis.disconnect();
    await db.destroy();
  }
}
