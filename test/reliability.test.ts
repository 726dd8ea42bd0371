import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { leaseKey } from '../src/queue/redis-keys.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import {
  appendMany,
  listMessages,
  makeMessage,
  testDovecot,
  testMailbox,
  type DovecotInfo,
} from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { waitFor as waitForShared } from './helpers/wait.js';

/**
 * The real processes (workers/poller.ts and workers/worker.ts, run with tsx) are SIGKILLed in the middle
 * of a 1,000-message backlog and started again: every message must become exactly one case.
 */
const BACKLOG = 1_000;
const root = resolve(import.meta.dirname, '..');

let dovecot: DovecotInfo;
let tdb: TestDatabase;
let redis: Redis;
const prefix = `test-${randomBytes(4).toString('hex')}`;
const user = `reliability-${randomBytes(3).toString('hex')}`;
const children = new Set<ChildProcess>();

function startProcess(name: 'poller' | 'worker'): ChildProcess {
  const env = {
    ...process.env,
    DATABASE_URL: tdb.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    IMAP_URL: `imap://${user}:${dovecot.password}@${dovecot.host}:${dovecot.port}/INBOX?tlsInsecure=1`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    FETCH_BATCH: '50',
    POLL_INTERVAL_MS: '1000',
    // A SIGKILLed poller cannot release its lease: keep the TTL short so the restarted one takes over soon.
    LEASE_TTL_MS: '2000',
    WORKER_HEALTH_PORT: '0',
    POLLER_HEALTH_PORT: '0',
    SMTP_URL: '',
  };
  // `node --import tsx` (not the tsx CLI, which forks a second process) so that SIGKILL hits the real process.
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, `workers/${name}.ts`)], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function count(query: 'cases' | 'stored' | 'done'): Promise<number> {
  if (query === 'cases') {
    const r = await tdb.db
      .selectFrom('cases')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
  let q = tdb.db.selectFrom('messages').select(sql<string>`count(*)`.as('n'));
  if (query === 'done') q = q.where('status', 'in', ['processed', 'ignored', 'failed']);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

const waitFor = (what: string, fn: () => Promise<boolean>, timeoutMs: number) =>
  waitForShared(
    async () => `${what} (cases=${await count('cases')}, stored=${await count('stored')})`,
    fn,
    timeoutMs,
    20,
  );

beforeAll(async () => {
  dovecot = await testDovecot();
  tdb = await createTestDatabase('reliability');
  redis = new Redis(TEST_REDIS_URL);
  redis.on('error', () => undefined);
  const raws = Array.from({ length: BACKLOG }, (_, i) =>
    makeMessage(i + 1, { subject: `Backlog request ${i + 1}`, tag: 'reliability' }),
  );
  await appendMany(user, raws);
}, 120_000);

afterAll(async () => {
  await Promise.all([...children].map(kill));
  const keys = await redis?.keys(`${prefix}:*`);
  if (keys?.length) await redis.del(...keys);
  await redis?.quit();
  await tdb?.drop();
});

it('SIGKILLing the worker and the poller in the middle of a 1,000-message backlog still gives exactly 1,000 cases', async () => {
  let poller = startProcess('poller');
  let worker = startProcess('worker');
  // Each is killed mid-flight: the poller while it is still storing the backlog, the worker while
  // it is turning stored messages into cases.
  const killPoller = waitFor('the poller storing the backlog', async () => (await count('stored')) >= 200, 60_000).then(
    () => kill(poller),
  );
  const killWorker = waitFor('the worker making cases', async () => (await count('cases')) >= 50, 60_000).then(() =>
    kill(worker),
  );
  await Promise.all([killPoller, killWorker]);
  const casesAtKill = await count('cases');
  const storedAtKill = await count('stored');
  expect(casesAtKill).toBeLessThan(BACKLOG);

  // The killed poller's lease must expire before the new one may poll: nothing else is needed.
  await waitFor(
    'the dead lease to expire',
    async () => (await redis.exists(leaseKey(prefix, testMailbox(dovecot, user).key))) === 0,
    10_000,
  );
  poller = startProcess('poller');
  worker = startProcess('worker');
  // Jobs that were active in the killed worker come back when BullMQ finds them stalled (lock expiry).
  await waitFor(
    'every message processed',
    async () => (await count('done')) >= BACKLOG && (await count('stored')) >= BACKLOG,
    150_000,
  );
  await new Promise((r) => setTimeout(r, 1_000)); // would a late duplicate appear?

  expect(await count('stored')).toBe(BACKLOG);
  expect(await count('cases')).toBe(BACKLOG);
  const twice = await tdb.db
    .selectFrom('cases')
    .select(['subject', sql<string>`count(*)`.as('n')])
    .groupBy('subject')
    .having(sql`count(*)`, '>', 1)
    .execute();
  expect(twice).toEqual([]);
  const failed = await tdb.db.selectFrom('messages').select(['id', 'error']).where('status', '=', 'failed').execute();
  expect(failed).toEqual([]);
  await waitFor(
    'every server copy flagged \\Seen',
    async () => (await listMessages(user)).every((m) => m.flags.includes('\\Seen')),
    20_000,
  );
  // A graceful stop (SIGTERM) closes the connection and releases the lease at once.
  const exited = new Promise<number | null>((r) => poller.once('exit', (code) => r(code)));
  poller.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(await redis.exists(leaseKey(prefix, testMailbox(dovecot, user).key))).toBe(0);
  process.stdout.write(
    `reliability: killed at ${casesAtKill} cases / ${storedAtKill} stored; finished with ${BACKLOG} cases\n`,
  );
}, 240_000);
