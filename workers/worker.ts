import { startInboundWorker } from '../src/inbound/inbound-worker.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { startOutboundWorker } from '../src/outbound/outbound-worker.js';
import { databaseCheck, redisCheck } from '../src/ops/health.js';
import { startProcessServer } from '../src/ops/process-server.js';
import { startMetricsPublisher } from '../src/ops/shared-metrics.js';
import { startRequeueStaleTimer } from '../src/inbound/requeue-stale.js';
import { createQueues, createRedis } from '../src/queue/queues.js';
import { guardRedisEviction, onShutdown, startedCheck, startProcess } from '../src/runtime.js';

// The `worker` process: stored inbound messages -> cases. Migrations are the web process's job.
// It starts whatever the state of PostgreSQL and Redis: /readyz says what it waits for, and work begins when
// both answer (Redis commands wait while it is away; the database is retried with backoff).
const { config, db, logger, databaseReady } = await startProcess('worker');
const connection = createRedis(config.redisUrl, 'worker');
const redisPolicy = guardRedisEviction('worker', connection, config.allowRedisEviction, logger);
const health = await startProcessServer({
  host: config.host,
  port: config.workerHealthPort,
  logger,
  checks: {
    start: startedCheck(databaseReady, 'PostgreSQL'),
    database: databaseCheck(db),
    redis: redisCheck(connection),
    redisPolicy: redisPolicy.check,
  },
  metricsToken: config.metricsToken,
});

// Filled in once the workers run; a shutdown before that has only the connections to close.
const running: { stop?: () => Promise<void> } = {};
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  await running.stop?.();
  await health?.close();
  connection.disconnect();
  await db.destroy();
});

// BullMQ's queues and workers only once the database answers and Redis's eviction policy is known to be safe.
await databaseReady;
await redisPolicy.checked;
// Acknowledgements are written inside the inbound transaction; the outbound worker's relay sends them.
const inbound = startInboundWorker({
  db,
  config,
  logger,
  connection,
  hooks: acknowledgementHooks({ config, logger }),
});
const outbound = startOutboundWorker({ config, db, logger });
// Rows whose job Redis lost (restart without persistence, eviction) are queued again (requeue-stale.ts).
const queues = createQueues(connection, config.queuePrefix);
const requeueStale = startRequeueStaleTimer(db, queues, logger);
// The mail series also go to Redis, where web's /metrics reads them (src/ops/shared-metrics.ts).
const publisher = startMetricsPublisher({ redis: connection, prefix: config.queuePrefix, logger });
logger.info({ concurrency: config.workerConcurrency, prefix: config.queuePrefix }, 'inbound worker started');

running.stop = async () => {
  // worker.close() waits for active jobs without a limit: bound it, then force. A job cut off here is
  // not lost: its transaction rolls back and BullMQ hands the stalled job to another worker.
  const closing = inbound.close();
  const timedOut = await Promise.race([
    closing.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref()),
  ]);
  if (timedOut) {
    logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'active jobs did not finish in time; closing anyway');
    await inbound.close(true);
  }
  await requeueStale.stop();
  await queues.close();
  await outbound.close();
  await publisher.stop();
};
