import { Queue, type BackoffStrategy, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { backoffDelay, DEFAULT_INBOUND_ATTEMPTS, DEFAULT_OUTBOUND_ATTEMPTS, type BackoffPolicy } from './backoff.js';
import { parseRedisUrl, type RedisClient } from './redis-target.js';

/**
 * The one place that names queues and decides job ids (and so de-duplication) for every queue.
 * A custom jobId de-duplicates only while the job exists in Redis, so the database stays the real
 * guard: messages.dedupe_key and outbox.message_id are unique, and processing is idempotent.
 */
export const QUEUE_NAMES = {
  /** Inbound messages stored by the poller or `intake ingest`: payload is InboundJob. */
  inbound: 'inbound',
  /** Outbound mail rows in the outbox: payload is OutboundJob. */
  outbound: 'outbound',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** Payloads carry ids and envelope data, never whole bodies. */
export interface InboundJob {
  messageRowId: string;
  mailbox: string;
  messageId: string | null;
  from: string | null;
  subject: string | null;
  date: string | null;
  size: number;
  /** When the poller stored the message: the start of the ingest-latency clock. */
  receivedAt: string;
}

export interface OutboundJob {
  outboxId: string;
}

/**
 * `msg-<row id>-<received_at in ms>`. The row id alone repeats when the database is created again (or restored
 * from a backup) while Redis still holds the old database's jobs (kept for a day, failed ones a week): adding a job
 * under an id that exists is a silent no-op, so the new message would wait for the stale-row sweep. The time the
 * row was stored makes the id unique across databases and still the same every time the same row is queued.
 */
export const inboundJobId = (job: Pick<InboundJob, 'messageRowId' | 'receivedAt'>): string =>
  `msg-${job.messageRowId}-${Date.parse(job.receivedAt)}`;
export { inboundRetryJobId } from './job-ids.js';
export const outboundJobId = (outboxId: string): string => `out-${outboxId}`;

/**
 * A job's backoff names its queue, a type BullMQ does not know, so BullMQ asks the worker's `backoffStrategy`
 * (jobBackoffStrategy) for every delay: the delays come from the policies of backoff.ts, capped and jittered as
 * every other retry of intake. A worker of a queue must therefore be started with that strategy.
 */
export const DEFAULT_INBOUND_JOB_OPTIONS: JobsOptions = {
  attempts: DEFAULT_INBOUND_ATTEMPTS,
  backoff: { type: QUEUE_NAMES.inbound },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  // Failed jobs are kept in Redis for the dashboard; the database row (status 'failed') is the durable record.
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** The outbox row is the durable record; these options are the only ones outbound jobs are added with. */
export const DEFAULT_OUTBOUND_JOB_OPTIONS: JobsOptions = {
  attempts: DEFAULT_OUTBOUND_ATTEMPTS,
  backoff: { type: QUEUE_NAMES.outbound },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/**
 * The `settings.backoffStrategy` of a queue's worker: the delay before a job's next attempt, by `policy`.
 * BullMQ passes the attempts made so far, the failed one included (1 before the first retry).
 */
export function jobBackoffStrategy(policy: BackoffPolicy): BackoffStrategy {
  return (attemptsMade) => backoffDelay(attemptsMade - 1, policy);
}

/**
 * The one factory of Redis connections: REDIS_URL names one server, a Sentinel-watched master or a Cluster
 * (redis-target.ts), and every Redis use of intake connects through here. Workers must block forever
 * (`maxRetriesPerRequest: null`, BullMQ's requirement); producers inside the API fail fast (`enableOfflineQueue:
 * false`) so a request gets a 503 instead of hanging.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): RedisClient {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, ...extra }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3_000, ...extra };
  const target = parseRedisUrl(url);
  let redis: RedisClient;
  if (target.mode === 'single') redis = new Redis(url, options);
  else if (target.mode === 'sentinel') {
    // The client asks the sentinels for the master, and again after a failover: commands wait (workers) or fail fast
    // (producers) meanwhile, as with a restarted single server. A master demoted while still alive answers writes
    // with READONLY, and the sentinels announce the switch: either one makes the client reconnect to the new master.
    redis = new Redis({
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
      failoverDetector: true,
      ...options,
      sentinels: target.sentinels,
      name: target.name,
      username: target.username,
      password: target.password,
      sentinelPassword: target.sentinelPassword,
      db: target.db,
      ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  } else {
    const { enableOfflineQueue, maxRetriesPerRequest, ...perNode } = options;
    redis = new Cluster(target.nodes, {
      enableOfflineQueue,
      maxRedirections: 16,
      redisOptions: {
        ...perNode,
        maxRetriesPerRequest,
        username: target.username,
        password: target.password,
        ...(target.tls ? { tls: {} } : {}),
      },
    });
  }
  // Without a listener a connection error would be an unhandled 'error' event and crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Redis's `maxmemory-policy` (from INFO, which managed services that rename CONFIG still answer). Any value but
 * `noeviction` lets Redis delete keys under memory pressure, queued jobs included. On a Cluster every master is
 * asked (the keys of an installation live on one of them, and a resharding may move them): the first policy that
 * may evict is the answer.
 */
export async function redisEvictionPolicy(redis: RedisClient): Promise<string> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  if (servers.length === 0) return 'unknown';
  const policies = await Promise.all(
    servers.map(async (server) => /^maxmemory_policy:(\S+)/m.exec(await server.info('memory'))?.[1] ?? 'unknown'),
  );
  return policies.find((p) => p !== 'noeviction' && p !== 'unknown') ?? policies[0]!;
}

export interface Queues {
  inbound: Queue<InboundJob>;
  outbound: Queue<OutboundJob>;
  close(): Promise<void>;
}

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const inbound = new Queue<InboundJob>(QUEUE_NAMES.inbound, {
    connection,
    prefix,
    defaultJobOptions: DEFAULT_INBOUND_JOB_OPTIONS,
  });
  const outbound = new Queue<OutboundJob>(QUEUE_NAMES.outbound, {
    connection,
    prefix,
    defaultJobOptions: DEFAULT_OUTBOUND_JOB_OPTIONS,
  });
  return {
    inbound,
    outbound,
    async close() {
      await Promise.all([inbound.close(), outbound.close()]);
    },
  };
}

export async function enqueueInbound(queues: Pick<Queues, 'inbound'>, job: InboundJob): Promise<void> {
  await enqueueInboundBulk(queues, [job]);
}

/**
 * Queues many stored messages in one round trip (the poller's batches). Same job ids as enqueueInbound,
 * so a message queued again while its job still exists is not doubled. `jobIds` overrides the id per
 * job (index-aligned), e.g. inboundRetryJobId for a message whose first job already finished.
 */
export async function enqueueInboundBulk(
  queues: Pick<Queues, 'inbound'>,
  jobs: readonly InboundJob[],
  jobIds?: readonly string[],
): Promise<void> {
  if (jobs.length === 0) return;
  await queues.inbound.addBulk(
    jobs.map((data, i) => ({ name: 'message', data, opts: { jobId: jobIds?.[i] ?? inboundJobId(data) } })),
  );
}

export async function enqueueOutbound(
  queues: Pick<Queues, 'outbound'>,
  outboxId: string,
  options: JobsOptions = {},
): Promise<void> {
  await enqueueOutboundBulk(queues, [outboxId], options);
}

/** Queues the sending of several outbox rows in one round trip; job ids as enqueueOutbound. */
export async function enqueueOutboundBulk(
  queues: Pick<Queues, 'outbound'>,
  outboxIds: readonly string[],
  options: JobsOptions = {},
): Promise<void> {
  if (outboxIds.length === 0) return;
  await queues.outbound.addBulk(
    outboxIds.map((outboxId) => ({
      name: 'send',
      data: { outboxId },
      opts: { jobId: outboundJobId(outboxId), ...options },
    })),
  );
}
