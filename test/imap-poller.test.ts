import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RedisClient } from '../src/queue/redis-target.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../src/config.js';
import { Lease } from '../src/imap/lease.js';
import { LoginGate } from '../src/imap/login-gate.js';
import { MailboxPoller } from '../src/imap/mailbox-poller.js';
import { newImapClient } from '../src/imap/imap-client.js';
import { sweepMailbox, type SweepMemory } from '../src/imap/sweep.js';
import { leaseKey } from '../src/queue/redis-keys.js';
import { inboundJobForRow } from '../src/inbound/store.js';
import { startPoller, type Poller, type PollerOptions } from '../src/imap/poller.js';
import { createLogger, REDACT_PATHS } from '../src/logger.js';
import { metrics } from '../src/ops/metrics.js';
import { createQueues, createRedis, inboundJobId, type Queues } from '../src/queue/queues.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import {
  appendMessage,
  createFolder,
  deleteFolder,
  listMessages,
  makeMessage,
  testDovecot,
  testMailbox,
  type DovecotInfo,
} from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

let dovecot: DovecotInfo;
let tdb: TestDatabase;
let redis: RedisClient;
let queues: Queues;
const prefix = `test-${randomBytes(4).toString('hex')}`;
const running: Poller[] = [];
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'poller-test');

/** A user (and so a mailbox) of its own for each test. */
const newUser = (label: string) => `poller-${label}-${randomBytes(3).toString('hex')}`;

function poll(
  mailboxes: MailboxConfig[],
  extra: Partial<PollerOptions> & { pollIntervalMs?: number; fetchBatch?: number; maxMessageBytes?: number } = {},
): Poller {
  const poller = startPoller({
    config: {
      mailboxes,
      // Long on purpose: a message seen within seconds was seen through IDLE, not the timer.
      pollIntervalMs: extra.pollIntervalMs ?? 60_000,
      idleMaxMs: 60_000,
      fetchBatch: extra.fetchBatch ?? 100,
      maxMessageBytes: extra.maxMessageBytes ?? 1024 * 1024,
      leaseTtlMs: 3_000,
      queuePrefix: prefix,
    },
    db: tdb.db,
    redis,
    queues,
    logger: extra.logger ?? logger,
    backoff: extra.backoff ?? { baseMs: 200, capMs: 1_000 },
    leaseRetryMs: 300,
    hooks: extra.hooks,
  });
  running.push(poller);
  return poller;
}

const rowsOf = (mailbox: MailboxConfig) =>
  tdb.db.selectFrom('messages').selectAll().where('mailbox', '=', mailbox.key).orderBy('id').execute();

async function jobsOf(mailbox: MailboxConfig) {
  const jobs = await queues.inbound.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return jobs.filter((j) => j.data.mailbox === mailbox.key);
}

const stateOf = (mailbox: MailboxConfig) =>
  tdb.db.selectFrom('mailbox_state').selectAll().where('mailbox', '=', mailbox.key).executeTakeFirst();

const allSeen = async (user: string, folder = 'INBOX') => {
  const list = await listMessages(user, folder);
  return list.length > 0 && list.every((m) => m.flags.includes('\\Seen'));
};

beforeAll(async () => {
  dovecot = await testDovecot();
  tdb = await createTestDatabase('imappoller');
  redis = createRedis(TEST_REDIS_URL, 'worker');
  queues = createQueues(redis, prefix);
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await queues?.inbound.obliterate({ force: true }).catch(() => undefined);
  await queues?.outbound.obliterate({ force: true }).catch(() => undefined);
  const leftovers = await redis?.keys(`${prefix}:*`);
  if (leftovers?.length) await redis.del(...leftovers);
  await queues?.close();
  redis?.disconnect();
  await tdb?.drop();
});

describe('IMAP poller against a real Dovecot', () => {
  it('stores and queues each new message once, in UID order, and flags it \\Seen only after it is stored', async () => {
    const user = newUser('seen');
    for (let i = 1; i <= 5; i++) await appendMessage(user, makeMessage(i));
    const mailbox = testMailbox(dovecot, user);
    const seenAtEnqueue: string[][] = [];
    const rowsAtEnqueue: number[] = [];
    const poller = poll([mailbox], {
      fetchBatch: 2,
      hooks: {
        // Between "stored and queued" and "marked": the server copy must still be unread.
        async afterEnqueue(uids) {
          const server = await listMessages(user);
          seenAtEnqueue.push(server.filter((m) => uids.includes(m.uid)).flatMap((m) => m.flags));
          rowsAtEnqueue.push((await rowsOf(mailbox)).length);
        },
      },
    });
    await waitFor('all five messages flagged \\Seen', () => allSeen(user));
    await poller.stop();

    const rows = await rowsOf(mailbox);
    expect(rows.map((r) => Number(r.uid))).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((r) => (r.envelope as { subject: string }).subject)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `Question ${n}`),
    );
    expect(seenAtEnqueue).toEqual([[], [], []]);
    expect(rowsAtEnqueue).toEqual([2, 4, 5]);
    const jobs = await jobsOf(mailbox);
    expect(jobs.map((j) => j.id).sort()).toEqual(rows.map((r) => inboundJobId(inboundJobForRow(r))).sort());
    expect((await listMessages(user)).map((m) => m.flags)).toEqual(Array(5).fill(['\\Seen']));
    const received = (await metrics.messagesReceived.get()).values.find((v) => v.labels.mailbox === mailbox.key);
    expect(received?.value).toBe(5);
    const up = (await metrics.mailboxUp.get()).values.find((v) => v.labels.mailbox === mailbox.key);
    expect(up?.value).toBe(0);
    const state = await stateOf(mailbox);
    expect(state).toMatchObject({ last_uid: '5', state: 'stopped' });
    expect(state?.uidvalidity).toMatch(/^\d+$/);
  });

  it('moves stored messages to the configured folder in move mode', async () => {
    const user = newUser('move');
    for (let i = 1; i <= 3; i++) await appendMessage(user, makeMessage(i));
    const mailbox = testMailbox(dovecot, user, { markAs: 'move', moveTo: 'Processed' });
    const poller = poll([mailbox]);
    await waitFor('messages moved', async () => (await listMessages(user, 'Processed').catch(() => [])).length === 3);
    await poller.stop();
    expect(await listMessages(user)).toEqual([]);
    expect(await rowsOf(mailbox)).toHaveLength(3);
    expect(await jobsOf(mailbox)).toHaveLength(3);
  });

  it('deletes stored messages from the server in delete mode', async () => {
    const user = newUser('delete');
    for (let i = 1; i <= 3; i++) await appendMessage(user, makeMessage(i));
    const mailbox = testMailbox(dovecot, user, { markAs: 'delete' });
    const poller = poll([mailbox]);
    await waitFor('three rows stored', async () => (await rowsOf(mailbox)).length === 3);
    await waitFor('inbox emptied', async () => (await listMessages(user)).length === 0);
    await poller.stop();
    expect(await jobsOf(mailbox)).toHaveLength(3);
  });

  it('stores a message appended while the poller idles within about two seconds (IDLE, not the timer)', async () => {
    const user = newUser('idle');
    const mailbox = testMailbox(dovecot, user);
    await createFolder(user, 'Drafts').catch(() => undefined); // logs the user in once so INBOX exists
    const poller = poll([mailbox], { pollIntervalMs: 60_000 });
    await waitFor('poller idle', async () => (await stateOf(mailbox))?.state === 'idle');
    await new Promise((r) => setTimeout(r, 1_000)); // let IDLE start
    await appendMessage(user, makeMessage('idle'));
    const rows = await waitFor(
      'message stored through IDLE',
      async () => {
        const r = await rowsOf(mailbox);
        return r.length === 1 && r;
        // Typically ~0.1 s here; the margin is for a loaded CI machine. The 60 s timer cannot explain it.
      },
      5_000,
    );
    expect((rows[0]!.envelope as { subject: string }).subject).toBe('Question idle');
    await waitFor('flagged', () => allSeen(user));
    await poller.stop();
  });

  it('a poller killed between enqueue and flag stores nothing twice when it runs again', async () => {
    const user = newUser('crash');
    for (let i = 1; i <= 4; i++) await appendMessage(user, makeMessage(i));
    const mailbox = testMailbox(dovecot, user);
    let crashed = false;
    const first = poll([mailbox], {
      backoff: { baseMs: 60_000, capMs: 60_000 },
      hooks: {
        afterEnqueue() {
          crashed = true;
          throw new Error('simulated crash after enqueue, before last_uid and flags');
        },
      },
    });
    await waitFor('crash', async () => crashed);
    await first.stop();
    expect(await rowsOf(mailbox)).toHaveLength(4);
    expect(await jobsOf(mailbox)).toHaveLength(4);
    expect((await listMessages(user)).every((m) => !m.flags.includes('\\Seen'))).toBe(true);
    expect((await stateOf(mailbox))?.last_uid).toBe('0');

    const second = poll([mailbox]);
    await waitFor('flagged after restart', () => allSeen(user));
    await second.stop();
    expect(await rowsOf(mailbox)).toHaveLength(4);
    expect(await jobsOf(mailbox)).toHaveLength(4);
    expect((await stateOf(mailbox))?.last_uid).toBe('4');
  });

  it('a changed UIDVALIDITY (folder deleted and recreated) triggers a rescan without duplicates', async () => {
    const user = newUser('uidvalidity');
    await createFolder(user, 'Support');
    const raws = [1, 2, 3].map((i) => makeMessage(i));
    for (const raw of raws) await appendMessage(user, raw, [], 'Support');
    const mailbox = testMailbox(dovecot, user, { folder: 'Support' });
    let poller = poll([mailbox]);
    await waitFor('first pass flagged', () => allSeen(user, 'Support'));
    await poller.stop();
    const before = await stateOf(mailbox);

    await deleteFolder(user, 'Support');
    await createFolder(user, 'Support');
    for (const raw of raws) await appendMessage(user, raw, [], 'Support');
    await appendMessage(user, makeMessage(4), [], 'Support');
    poller = poll([mailbox]);
    await waitFor(
      'second pass flagged',
      async () => (await listMessages(user, 'Support')).length === 4 && allSeen(user, 'Support'),
    );
    await poller.stop();

    const after = await stateOf(mailbox);
    expect(after?.uidvalidity).not.toBe(before?.uidvalidity);
    expect(after?.last_uid).toBe('4');
    const rows = await rowsOf(mailbox);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(4);
    expect(await jobsOf(mailbox)).toHaveLength(4);
  });

  it('two pollers on one mailbox: only one holds the lease, the other takes over when it stops', async () => {
    const user = newUser('lease');
    await appendMessage(user, makeMessage(1));
    const mailbox = testMailbox(dovecot, user);
    const a = poll([mailbox]);
    const b = poll([mailbox]);
    await waitFor('first message flagged', () => allSeen(user));
    const holders = [a, b].filter((p) => p.mailboxes[0]!.lease.held);
    expect(holders).toHaveLength(1);
    const [holder] = holders;
    const other = holder === a ? b : a;

    await holder!.stop();
    await waitFor('the other poller takes the lease', async () => other.mailboxes[0]!.lease.held);
    await appendMessage(user, makeMessage(2));
    await waitFor('second message flagged', async () => (await listMessages(user)).length === 2 && allSeen(user));
    await other.stop();
    expect(await rowsOf(mailbox)).toHaveLength(2);
    expect(await jobsOf(mailbox)).toHaveLength(2);
  });

  it('one unreachable mailbox does not stop another from being polled', async () => {
    const good = newUser('good');
    await appendMessage(good, makeMessage(1));
    const broken = testMailbox(dovecot, newUser('broken'), { port: 1 });
    const mailbox = testMailbox(dovecot, good);
    const lines: string[] = [];
    const capture = pino(
      { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
      new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }),
    );
    const poller = poll([broken, mailbox], { logger: capture });
    await waitFor('good mailbox flagged', () => allSeen(good));
    await waitFor('broken mailbox recorded as error', async () => (await stateOf(broken))?.state === 'error');
    await poller.stop();
    expect(await rowsOf(mailbox)).toHaveLength(1);
    expect((await stateOf(broken))?.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(lines.some((l) => l.includes('mailbox connection failed'))).toBe(true);
    expect(lines.join('')).not.toContain(dovecot.password);
  });

  it('reads over TLS (imaps with a self-signed certificate and tlsInsecure)', async () => {
    const user = newUser('tls');
    await appendMessage(user, makeMessage(1));
    const mailbox = testMailbox(dovecot, user, { secure: true });
    expect(mailbox.port).toBe(dovecot.tlsPort);
    const poller = poll([mailbox]);
    await waitFor('flagged over TLS', () => allSeen(user));
    await poller.stop();
    expect(await rowsOf(mailbox)).toHaveLength(1);
    expect(await jobsOf(mailbox)).toHaveLength(1);
  });

  it('keeps an oversize message as failed with its headers instead of skipping it', async () => {
    const user = newUser('oversize');
    await appendMessage(user, makeMessage('big', { subject: 'Huge attachment', body: 'x'.repeat(30_000) }));
    await appendMessage(user, makeMessage('small'));
    const mailbox = testMailbox(dovecot, user);
    const poller = poll([mailbox], { maxMessageBytes: 20_000 });
    await waitFor('both flagged', async () => (await listMessages(user)).length === 2 && allSeen(user));
    await poller.stop();
    const rows = await rowsOf(mailbox);
    expect(rows).toHaveLength(2);
    const [big, small] = rows;
    expect(big).toMatchObject({ status: 'failed', uid: '1' });
    expect(big!.size).toBeGreaterThan(30_000);
    expect(big!.error).toMatch(/MAX_MESSAGE_BYTES/);
    expect(big!.raw.toString()).toContain('Subject: Huge attachment');
    expect(big!.raw.length).toBeLessThan(2_000);
    expect(small).toMatchObject({ status: 'queued', uid: '2' });
    const jobs = await jobsOf(mailbox);
    expect(jobs.map((j) => j.id)).toEqual([inboundJobId(inboundJobForRow(small!))]);
  });
  it('renews and releases a lease only with the token that took it', async () => {
    const key = leaseKey(prefix, `lease-unit-${randomBytes(3).toString('hex')}`);
    const a = new Lease(redis, key, 5_000);
    const b = new Lease(redis, key, 5_000);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await b.renew()).toBe(false);
    expect(await b.release()).toBe(false);
    expect(await redis.get(key)).toBe(a.token);
    expect(await a.renew()).toBe(true);
    expect(await a.release()).toBe(true);
    expect(await b.acquire()).toBe(true);
    await b.release();
  });

  it('stops polling a mailbox whose lease was lost and takes it back once it is free', async () => {
    const user = newUser('lost');
    await appendMessage(user, makeMessage(1));
    const mailbox = testMailbox(dovecot, user);
    const poller = poll([mailbox]);
    await waitFor('first message flagged', () => allSeen(user));
    // Another holder takes the key (as if our lease had expired during a pause).
    const key = leaseKey(prefix, mailbox.key);
    await redis.set(key, 'someone-else', 'PX', 2_000);
    await waitFor('lease loss recorded', async () => (await stateOf(mailbox))?.last_error?.includes('lease lost'));
    expect(poller.mailboxes[0]!.lease.held).toBe(false);
    await appendMessage(user, makeMessage(2));
    await waitFor('lease taken back after the other expired', async () => poller.mailboxes[0]!.lease.held, 6_000);
    await waitFor('second message flagged', async () => (await listMessages(user)).length === 2 && allSeen(user));
    await poller.stop();
    expect(await rowsOf(mailbox)).toHaveLength(2);
  });

  it('with one connection per host allowed, a second mailbox on that host connects only once the first has stopped', async () => {
    const [a, b] = [newUser('host-a'), newUser('host-b')];
    await appendMessage(a, makeMessage(1));
    await appendMessage(b, makeMessage(2));
    const gate = new LoginGate({ maxConcurrentLogins: 1, maxConnectionsPerHost: 1 });
    const pollers = [a, b].map(
      (user) =>
        new MailboxPoller({
          mailbox: testMailbox(dovecot, user),
          db: tdb.db,
          redis,
          queues,
          logger,
          pollIntervalMs: 60_000,
          idleMaxMs: 60_000,
          fetchBatch: 100,
          maxMessageBytes: 1024 * 1024,
          leaseTtlMs: 3_000,
          leasePrefix: prefix,
          leaseRetryMs: 300,
          gate,
        }),
    );
    running.push({ mailboxes: pollers, stop: () => Promise.all(pollers.map((p) => p.stop())).then(() => undefined) });
    for (const p of pollers) p.start();
    const host = gate.host(dovecot.host);
    // One is connected and idle, the other waits for the host's only place (and so holds no login slot).
    await waitFor('one mailbox idle, the other waiting for the host', async () => {
      const states = await Promise.all(pollers.map((p) => stateOf(p.mailbox)));
      return states.filter((s) => s?.state === 'idle').length === 1 && host.waiting === 1;
    });
    expect(host.held).toBe(1);
    expect(gate.logins.held).toBe(0);
    const first = (await stateOf(pollers[0]!.mailbox))?.state === 'idle' ? pollers[0]! : pollers[1]!;
    const second = first === pollers[0] ? pollers[1]! : pollers[0]!;
    expect((await stateOf(second.mailbox))?.state).toBe('connecting');
    await first.stop();
    await waitFor('the second mailbox idle', async () => (await stateOf(second.mailbox))?.state === 'idle');
    expect(await rowsOf(second.mailbox)).toHaveLength(1);
    await second.stop();
    expect(host.held).toBe(0);
  });

  it('a sweep that finds nothing new writes nothing, and the next message is still found', async () => {
    const user = newUser('quiet');
    await appendMessage(user, makeMessage(1));
    const mailbox = testMailbox(dovecot, user);
    const client = newImapClient(mailbox, { disableAutoIdle: true, doSTARTTLS: false });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.mailboxOpen(mailbox.folder);
      const memory: SweepMemory = {};
      const ctx = {
        memory,
        client,
        db: tdb.db,
        queues,
        mailbox,
        fetchBatch: 100,
        maxMessageBytes: 1024 * 1024,
        logger,
      };
      expect((await sweepMailbox(ctx)).stored).toBe(1);
      const after = await stateOf(mailbox);
      expect(after?.last_fetch_at).toBeTruthy();
      // Nothing new: neither the position nor last_fetch_at is written again (within FETCH_TOUCH_INTERVAL_MS).
      expect(await sweepMailbox(ctx)).toMatchObject({ stored: 0, lastUid: 1 });
      expect(await stateOf(mailbox)).toEqual(after);
      // The position kept in memory still finds the next message, once.
      await appendMessage(user, makeMessage(2));
      await client.noop();
      expect(await sweepMailbox(ctx)).toMatchObject({ stored: 1, lastUid: 2 });
      expect(Number((await stateOf(mailbox))?.last_uid)).toBe(2);
      expect(await rowsOf(mailbox)).toHaveLength(2);
    } finally {
      await client.logout().catch(() => client.close());
    }
  });

  it('marks messages that were stored but not yet flagged when the poller stopped', async () => {
    const user = newUser('catchup');
    for (let i = 1; i <= 3; i++) await appendMessage(user, makeMessage(i));
    const mailbox = testMailbox(dovecot, user);
    const first = poll([mailbox], {
      backoff: { baseMs: 60_000, capMs: 60_000 },
      hooks: {
        afterEnqueue() {
          throw new Error('simulated crash');
        },
      },
    });
    await waitFor('stored', async () => (await rowsOf(mailbox)).length === 3);
    await first.stop();
    // As if the crash came after last_uid advanced, just before the flags were set.
    await tdb.db.updateTable('mailbox_state').set({ last_uid: 3 }).where('mailbox', '=', mailbox.key).execute();
    expect(await allSeen(user)).toBe(false);
    const second = poll([mailbox]);
    await waitFor('flagged by the catch-up', () => allSeen(user));
    await second.stop();
    expect(await rowsOf(mailbox)).toHaveLength(3);
  });
});
