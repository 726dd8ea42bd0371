import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import type { RedisClient } from '../../src/queue/redis-target.js';
import { startInboundWorker } from '../../src/inbound/inbound-worker.js';
import type { OrderWaitOptions } from '../../src/inbound/order-wait.js';
import type { InboundHooks } from '../../src/inbound/process-message.js';
import { storeRawMessage, type StoredMessage } from '../../src/inbound/store.js';
import { createLogger } from '../../src/logger.js';
import { createQueues, createRedis, enqueueInbound, type Queues } from '../../src/queue/queues.js';
import { createTestApp, type TestApp } from './app.js';
import { TEST_REDIS_URL } from './env.js';

/** intake's own address in these tests (the fixtures write to support@example.com). */
export const SUPPORT = 'support@example.com';

export interface InboundContext {
  t: TestApp;
  prefix: string;
  queues: Queues;
  worker: Worker;
  /** Stores and queues raw mail exactly like the poller does. */
  deliver(raw: string | Buffer, mailbox?: string): Promise<StoredMessage>;
  /** Waits until the message row is processed, ignored or failed; returns the row. */
  settled(
    messageRowId: string,
    timeoutMs?: number,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the recorded decision's JSON, read by each test
  ): Promise<{ status: string; error: string | null; attempts: number; case_id: string | null; decision: any }>;
  /** Queues every mail while the worker is paused, then lets it drain the backlog; the row ids. */
  backlog(raws: (string | Buffer)[]): Promise<string[]>;
  /** deliver + settled. */
  receive(raw: string | Buffer): Promise<{
    status: string;
    error: string | null;
    attempts: number;
    case_id: string | null;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the recorded decision's JSON, read by each test
    decision: any;
    id: string;
  }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's case JSON, read loosely by each test
  caseJson(caseId: string): Promise<any>;
  countCases(): Promise<number>;
  close(): Promise<void>;
}

/** The web app (own database), a producer queue and the inbound worker, all under an own BullMQ prefix. */
export async function createInboundContext(
  label: string,
  options: {
    env?: Record<string, string>;
    hooks?: InboundHooks;
    orderWait?: OrderWaitOptions;
    concurrency?: number;
  } = {},
): Promise<InboundContext> {
  const prefix = `test-${randomBytes(5).toString('hex')}`;
  const producer: RedisClient = createRedis(TEST_REDIS_URL, 'producer');
  const queues = createQueues(producer, prefix);
  const env = {
    MAIL_FROM: SUPPORT,
    REPLY_ADDRESS: SUPPORT,
    OWN_ADDRESSES: 'help@example.com',
    QUEUE_PREFIX: prefix,
    ...options.env,
  };
  const t = await createTestApp(label, env, { queues, redis: producer });
  const connection = createRedis(TEST_REDIS_URL, 'worker');
  const worker = startInboundWorker({
    db: t.ctx.db,
    config: t.ctx.config,
    logger: createLogger('silent'),
    connection,
    prefix,
    concurrency: options.concurrency ?? 2,
    hooks: options.hooks,
    orderWait: options.orderWait,
  });
  const db = t.ctx.db;

  async function settled(id: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await db
        .selectFrom('messages')
        .select(['status', 'error', 'attempts', 'case_id', 'decision'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      if (['processed', 'ignored', 'failed'].includes(row.status)) return row;
      if (Date.now() > deadline)
        throw new Error(
          `message ${id} still ${row.status} after ${timeoutMs} ms (attempts ${row.attempts}, last error: ${row.error ?? 'none'})`,
        );
      await sleep(50);
    }
  }
  async function deliver(raw: string | Buffer, mailbox = 'test') {
    const stored = await storeRawMessage(db, { mailbox, raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw) });
    await enqueueInbound(queues, stored.job);
    return stored;
  }
  return {
    t,
    prefix,
    queues,
    worker,
    deliver,
    settled,
    async backlog(raws) {
      await worker.pause();
      const ids: string[] = [];
      for (const raw of raws) ids.push((await deliver(raw)).id);
      worker.resume();
      return ids;
    },
    async receive(raw) {
      const stored = await deliver(raw);
      return { ...(await settled(stored.id)), id: stored.id };
    },
    async caseJson(caseId) {
      const res = await t.call('GET', `/api/cases/${caseId}`);
      if (res.status !== 200) throw new Error(`GET case ${caseId}: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json;
    },
    async countCases() {
      const r = await db.selectFrom('cases').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async close() {
      await worker.close();
      await queues.inbound.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
      connection.disconnect();
      producer.disconnect();
      await t.close();
    },
  };
}

export const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));

export interface MailSpec {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  body?: string;
}

/** A small plain-text email. Every call gets a unique Message-ID unless one is given. */
export function mail(spec: MailSpec = {}): string {
  const id = spec.messageId ?? `${randomBytes(6).toString('hex')}@customer.example`;
  const lines = [
    `From: ${spec.from ?? 'Carla Customer <carla@customer.example>'}`,
    `To: ${spec.to ?? `Support <${SUPPORT}>`}`,
    ...(spec.cc ? [`Cc: ${spec.cc}`] : []),
    `Subject: ${spec.subject ?? 'A question'}`,
    `Date: Mon, 23 Nov 2026 10:00:00 +0000`,
    `Message-ID: <${id}>`,
    ...(spec.inReplyTo ? [`In-Reply-To: <${spec.inReplyTo}>`] : []),
    ...(spec.references?.length ? [`References: ${spec.references.map((r) => `<${r}>`).join(' ')}`] : []),
    ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    spec.body ?? 'Hello, I have a question.',
    '',
  ];
  return lines.join('\r\n');
}
