import { startPoller } from '../src/imap/poller.js';
import { processChecks } from '../src/ops/health.js';
import { startProcessServer } from '../src/ops/process-server.js';
import { createQueues, createRedis } from '../src/queue/queues.js';
import { onShutdown, startProcess } from '../src/runtime.js';

// The `poller` process: watches every configured mailbox (IMAP_URL / IMAP_URLS) and queues new mail.
// Several can run: a Redis lease per mailbox lets exactly one of them poll it.
const { config, db, logger } = await startProcess('poller', { migrate: true });
// Blocking connection (maxRetriesPerRequest: null): during a Redis outage a sweep waits instead of
// failing half-way; the lease renewal has its own timeout, so the mailbox is given up meanwhile.
const redis = createRedis(config.redisUrl, 'worker');
const queues = createQueues(redis, config.queuePrefix);
const poller = startPoller({ config, db, redis, queues, logger });
const health = await startProcessServer({
  host: config.host,
  port: config.pollerHealthPort,
  logger,
  checks: processChecks(db, redis, config.mailboxes),
  metricsToken: config.metricsToken,
});
logger.info({ mailboxes: config.mailboxes.map((m) => m.key) }, 'poller started');

onShutdown(logger, config.shutdownTimeoutMs, async () => {
  // Closes every IMAP connection and releases the leases, so another poller can take over at once.
  // onShutdown bounds the whole stop; a sweep cut off here is safe (nothing is marked before it is stored).
  await poller.stop();
  await health?.close();
  await queues.close();
  redis.disconnect();
  await db.destroy();
});
