import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeRawMessage } from '../src/inbound/store.js';
import { createQueues, createRedis, enqueueInbound, type Queues } from '../src/queue/queues.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { freePort } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';

// SIGTERM during a backlog: the real worker process (workers/worker.ts) is stopped mid-queue and
// started again; every message must end processed exactly once, none stuck 'processing', no lock left.
const BACKLOG = 400;
const prefix = `test-shutdown-${randomBytes(4).toString('hex')}`;
let database: TestDatabase;
let queues: Queues;
const redis = createRedis(TEST_REDIS_URL, 'producer');
const children = new Set<ChildProcess>();

function mail(i: number): Buffer {
  return Buffer.from(
    [
      `From: Customer ${i} <customer${i}@example.com>`,
      'To: support@localhost',
      `Subject: Question number ${i}`,
      `Date: Mon, 23 Nov 2026 09:00:00 +0000`,
      `Message-ID: <shutdown-${i}-${prefix}@example.com>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Hello, this is question ${i}. `.repeat(20),
    ].join('\r\n'),
  );
}

async function startWorker(logs: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKER_HEALTH_PORT: String(await freePort()),
      WORKER_CONCURRENCY: '4',
      SHUTDOWN_TIMEOUT_MS: '15000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
  return child;
}

async function countByStatus(): Promise<Record<string, number>> {
  const rows = await database.db
    .selectFrom('messages')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

const until = waitFor;

beforeAll(async () => {
  database = await createTestDatabase('shutdown');
  queues = createQueues(redis, prefix);
  for (let i = 0; i < BACKLOG; i++) {
    const stored = await storeRawMessage(database.db, { mailbox: 'test:shutdown', raw: mail(i) });
    await enqueueInbound(queues, stored.job);
  }
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await queues.close();
  redis.disconnect();
  await database.drop();
});

describe('graceful shutdown of the worker', () => {
  it('SIGTERM during a backlog loses nothing: in-flight jobs finish, the rest waits, a restart processes all exactly once', async () => {
    const firstLogs: string[] = [];
    const first = await startWorker(firstLogs);
    const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    // Stop it as soon as it is under way, with most of the backlog still waiting.
    await until('the worker to start processing', async () => ((await countByStatus()).processed ?? 0) >= 10, 90_000);
    first.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(firstLogs.some((l) => l.includes('"msg":"shutting down"'))).toBe(true);

    const afterStop = await countByStatus();
    console.info(`after SIGTERM: ${afterStop.processed} processed, ${afterStop.queued} still queued of ${BACKLOG}`);
    expect(afterStop.processing ?? 0).toBe(0);
    expect(afterStop.failed ?? 0).toBe(0);
    expect(afterStop.processed).toBeGreaterThanOrEqual(10);
    expect(afterStop.queued).toBeGreaterThan(0); // a real backlog was left for the restart
    expect(afterStop.processed + afterStop.queued).toBe(BACKLOG);
    // Nothing half-done in Redis: no active job, no job lock.
    expect(await queues.inbound.getActiveCount()).toBe(0);
    expect(await redis.keys(`${prefix}:inbound:*:lock`)).toEqual([]);
    expect(await queues.inbound.getWaitingCount()).toBe(afterStop.queued);

    // One log line per processed message, with its Message-ID, decision and case number.
    const line = firstLogs.map((l) => JSON.parse(l)).find((l) => l.msg === 'inbound message processed');
    expect(line).toMatchObject({
      action: 'new-case',
      caseNumber: expect.stringMatching(/^CS-/),
      messageId: expect.stringContaining(prefix),
    });

    const second = await startWorker([]);
    await until('the backlog to drain', async () => ((await countByStatus()).processed ?? 0) === BACKLOG, 120_000, 250);
    const secondExited = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
    second.kill('SIGTERM');
    expect(await secondExited).toBe(0);

    const { cases } = await database.db
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<string>().as('cases'))
      .executeTakeFirstOrThrow();
    expect(Number(cases)).toBe(BACKLOG); // each message made exactly one case: none lost, none doubled
    const orphans = await sql<{ n: string }>`SELECT count(*) AS n FROM messages WHERE case_id IS NULL`.execute(
      database.db,
    );
    expect(Number(orphans.rows[0]!.n)).toBe(0);
  });
});
