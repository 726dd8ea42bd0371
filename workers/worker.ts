import { startInboundWorker } from '../src/inbound/inbound-worker.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { startOutboundWorker } from '../src/outbound/outbound-worker.js';
import { databaseCheck, redisCheck } from '../src/ops/health.js';
import { startProcessServer } from '../src/ops/process-server.js';
import { startRequeueStaleTimer } from '../src/inbound/requeue-stale.js';
import { createQueues, createRedis } from '../src/queue/queues.js';
import { onShutdown, startProcess } from '../src/runtime.js';

// The `worker` process: stored inbound messages -> cases. Migrations are the web process's job.
const { config, db, logger } = await startProcess('worker');
const connection = createRedis(config.redisUrl, 'worker');
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
const health = await startProcessServer({
  host: config.host,
  port: config.workerHealthPort,
  logger,
  checks: { database: databaseCheck(db), redis: redisCheck(connection) },
  metricsToken: config.metricsToken,
});
logger.info({ concurrency: config.workerConcurrency, prefix: config.queuePrefix }, 'inbound worker started');

onShutdown(logger, config.shutdownTimeoutMs, async () => {
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
  await health?.close();
  connection.disconnect();
  await db.destroy();
});
