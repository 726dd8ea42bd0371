import { DEFAULT_WEB_POOL_SIZE, DEFAULT_WEB_STATEMENT_TIMEOUT_MS } from '../src/db/database.js';
import { createAppContext } from '../src/app-context.js';
import { buildServer } from '../src/http/server.js';
import { noteEmailHooks } from '../src/outbound/note-hooks.js';
import { createQueues, createRedis } from '../src/queue/queues.js';
import { fail, guardRedisEviction, onShutdown, startProcess } from '../src/runtime.js';

/** How long the web process waits at start for Redis's first answer (its eviction policy) before serving anyway. */
const WEB_REDIS_WAIT_MS = 5_000;

// The `web` process: HTTP API, docs at /swagger. Applies migrations on start-up.
// It listens once PostgreSQL answers and is migrated (retried with backoff while it is down).
const { config, db, logger, databaseReady } = await startProcess('web', {
  migrate: true,
  poolSize: DEFAULT_WEB_POOL_SIZE,
  statementTimeoutMs: DEFAULT_WEB_STATEMENT_TIMEOUT_MS,
});
await databaseReady;
const redis = createRedis(config.redisUrl, 'producer');
// A Redis that may evict ends the process with one line; with ALLOW_REDIS_EVICTION the process serves, but /readyz
// answers 503 with that line, as the worker's and the poller's do.
const redisPolicy = guardRedisEviction('web', redis, config.allowRedisEviction, logger);
// BullMQ's queues after the first answer (so a refused Redis ends the process before BullMQ logs anything of its
// own), but not waiting longer than a connection attempt: the API serves while Redis is away.
await Promise.race([redisPolicy.checked, new Promise((resolve) => setTimeout(resolve, WEB_REDIS_WAIT_MS))]);
const queues = createQueues(redis, config.queuePrefix);
// Notes sent by email are written to the outbox with the note; the worker process's relay sends them.
const app = await buildServer(
  createAppContext({
    config,
    db,
    logger,
    redis,
    queues,
    caseHooks: noteEmailHooks({ config, logger }),
    readinessChecks: { redisPolicy: redisPolicy.check },
  }),
);
try {
  await app.listen({ port: config.port, host: config.host });
} catch (err) {
  fail('web', err);
}
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  await app.close();
  await queues.close();
  redis.disconnect();
  await db.destroy();
});
