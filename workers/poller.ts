import { startFleet, type Fleet } from '../src/imap/fleet.js';
import { secretBoxFor, seedEnvMailboxes } from '../src/mailboxes/mailbox-store.js';
import { imapHostsCheck, processChecks } from '../src/ops/health.js';
import { startProcessServer } from '../src/ops/process-server.js';
import { startMetricsPublisher } from '../src/ops/shared-metrics.js';
import { backoffDelay, DEFAULT_LISTEN_RECONNECT_BACKOFF } from '../src/queue/backoff.js';
import { createQueues, createRedis, type Queues } from '../src/queue/queues.js';
import { guardRedisEviction, onShutdown, startedCheck, startProcess } from '../src/runtime.js';

// The `poller` process: watches every enabled mailbox of the mailboxes table (managed by /api/admin/mailboxes, seeded
// from IMAP_URL / IMAP_URLS at start) and queues new mail; a change to the table is picked up within seconds.
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
    ...processChecks(db, redis),
    // Each IMAP server the watched mailboxes are on greets (one probe per host and port, not per mailbox).
    imap: imapHostsCheck(() => running.fleet?.mailboxes() ?? config.mailboxes),
    redisPolicy: redisPolicy.check,
  },
  metricsToken: config.metricsToken,
});

const running: {
  fleet?: Fleet;
  queues?: Queues;
  publisher?: ReturnType<typeof startMetricsPublisher>;
} = {};
onShutdown(logger, config.shutdownTimeoutMs, async () => {
  // Closes every IMAP connection and releases the leases, so another poller can take over at once.
  // onShutdown bounds the whole stop; a sweep cut off here is safe (nothing is marked before it is stored).
  await running.fleet?.stop();
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
const secrets = secretBoxFor(config.secretsKeys);
if (config.secretsKeys?.development && config.mailboxes.length)
  logger.warn(
    'SECRETS_KEY is not set: mailbox secrets are stored with the development key (set SECRETS_KEY in production)',
  );
// The environment's mailboxes into the table; PostgreSQL may go away again meanwhile: try until it works.
for (let attempt = 0; ; attempt++) {
  try {
    await seedEnvMailboxes(db, secrets, config.mailboxes, logger);
    break;
  } catch (err) {
    const retryInMs = backoffDelay(attempt, DEFAULT_LISTEN_RECONNECT_BACKOFF);
    logger.warn({ err: (err as Error).message, retryInMs }, 'could not store the IMAP_URL(S) mailboxes; trying again');
    await new Promise((resolve) => setTimeout(resolve, retryInMs));
  }
}
running.fleet = startFleet({ config, db, redis, queues: running.queues, logger, secrets });
await running.fleet.ready();
// The mail series also go to Redis, where web's /metrics reads them (src/ops/shared-metrics.ts).
running.publisher = startMetricsPublisher({ redis, prefix: config.queuePrefix, logger });
const watched = running.fleet.mailboxes();
if (watched.length === 0)
  logger.warn(
    'no mailboxes yet (add one with POST /api/admin/mailboxes, or set IMAP_URL): the poller is idle until one is added',
  );
logger.info({ mailboxes: watched.length }, 'poller started');
