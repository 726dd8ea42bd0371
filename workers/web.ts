import { DEFAULT_WEB_POOL_SIZE, DEFAULT_WEB_STATEMENT_TIMEOUT_MS } from '../src/db/database.js';
import { createAppContext } from '../src/app-context.js';
import { buildServer } from '../src/http/server.js';
import { noteEmailHooks } from '../src/outbound/note-hooks.js';
import { createQueues, createRedis } from '../src/queue/queues.js';
import { fail, onShutdown, startProcess } from '../src/runtime.js';

// The `web` process: HTTP API, docs at /swagger. Applies migrations on start-up.
const { config, db, logger } = await startProcess('web', {
  migrate: true,
  poolSize: DEFAULT_WEB_POOL_SIZE,
  statementTimeoutMs: DEFAULT_WEB_STATEMENT_TIMEOUT_MS,
});
const redis = createRedis(config.redisUrl, 'producer');
const queues = createQueues(redis, config.queuePrefix);
// Notes sent by email are written to the outbox with the note; the worker process's relay sends them.
const app = await buildServer(
  createAppContext({ config, db, logger, redis, queues, caseHooks: noteEmailHooks({ config, logger }) }),
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
