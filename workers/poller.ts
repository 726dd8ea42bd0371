import { startPoller } from '../src/imap/poller.js';
import { processChecks } from '../src/ops/health.js';
import { startProcessServer } from '../src/ops/process-server.js';
import { startMetricsPublisher } from '../src/ops/shared-metrics.js';
import { createQueues, createRedis, type Queues } from '../src/queue/queues.js';
import { guardRedisEviction, onShutdown, startedCheck, startProcess } from '../src/runtime.js';

// The `poller` process: watches every configured mailbox (IMAP_URL / IMAP_URLS) and queues new mail.
// Several can run: a Redis lease per mailbox lets exactly one of them poll it.
// It starts whatever the state of PostgreSQL and Redis: /readyz says what it waits for, and polling begins once the
// database answers (and is migrated).
const { config, db, logger, databaseReady } = await startProcess('poller', { migrate: true });
// Blocking connection (maxRetriesPerRequest: null): during a Redis outage a sweep waits instead of
// failing half-way; the lease renewal has its own timeout, so the mailbox is given up meanwhile.
const redis = createRedis(config.redisUrl, 'worker');
const redisPolicy = guardRedisEviction('poller', redis, config.allowRedisEviction, logger);
const health = await startProcessServer({
  host: config.host,
  port: config.pollerHealthPort,
  logger,
  checks: {
    start: startedCheck(databaseReady, 'PostgreSQL'),
    ...processChecks(db, redis, config.mailboxes),
    redisPolicy: redisPolicy.check,
  },
  metricsToken: config.metricsToken,
});

const running: {
  poller?: ReturnType<typeof startPoller>;
  queues?: Queues;
  publisher?: ReturnType<typeof startMetricsPublisher>;
} = {};
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  // Closes every IMAP connection and releases the leases, so another poller can take over at once.
  // onShutdown bounds the whole stop; a sweep cut off here is safe (nothing is marked before it is stored).
  await running.poller?.stop();
  await health?.close();
  await running.publisher?.stop();
  await running.queues?.close();
  redis.disconnect();
  await db.destroy();
});

// Polling (and BullMQ's queues) only once the database answers and Redis's eviction policy is known to be safe.
await databaseReady;
await redisPolicy.checked;
running.queues = createQueues(redis, config.queuePrefix);
running.poller = startPoller({ config, db, redis, queues: running.queues, logger });
// The mail series also go to Redis, where web's /metrics reads them (src/ops/shared-metrics.ts).
running.publisher = startMetricsPublisher({ redis, prefix: config.queuePrefix, logger });
logger.info({ mailboxes: config.mailboxes.map((m) => m.key) }, 'poller started');
