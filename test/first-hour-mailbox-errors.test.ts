import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { RedisClient } from '../src/queue/redis-target.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../src/config.js';
import { startPoller, type Poller } from '../src/imap/poller.js';
import { createLogger } from '../src/logger.js';
import { createQueues, createRedis, type Queues } from '../src/queue/queues.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { appendMessage, makeMessage, testDovecot, testMailbox, type DovecotInfo } from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { freePort } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';

// What an operator sees in GET /api/admin/mailboxes (mailbox_state) when a mailbox fails and comes back.
let dovecot: DovecotInfo;
let tdb: TestDatabase;
let redis: RedisClient;
let queues: Queues;
const prefix = `test-${randomBytes(4).toString('hex')}`;
const running: Poller[] = [];

beforeAll(async () => {
  dovecot = await testDovecot();
  tdb = await createTestDatabase('mailboxerrors');
  redis = createRedis(TEST_REDIS_URL, 'worker');
  queues = createQueues(redis, prefix);
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await queues?.inbound.obliterate({ force: true }).catch(() => undefined);
  const leftovers = await redis?.keys(`${prefix}:*`);
  if (leftovers?.length) await redis.del(...leftovers);
  await queues?.close();
  redis?.disconnect();
  await tdb?.drop();
});

function poll(mailbox: MailboxConfig): Poller {
  const poller = startPoller({
    config: {
      mailboxes: [mailbox],
      pollIntervalMs: 60_000,
      idleMaxMs: 60_000,
      fetchBatch: 100,
      maxMessageBytes: 1024 * 1024,
      leaseTtlMs: 3_000,
      queuePrefix: prefix,
    },
    db: tdb.db,
    redis,
    queues,
    logger: createLogger('silent'),
    backoff: { baseMs: 200, capMs: 1_000 },
    leaseRetryMs: 300,
  });
  running.push(poller);
  return poller;
}

const stateOf = (mailbox: MailboxConfig) =>
  tdb.db.selectFrom('mailbox_state').selectAll().where('mailbox', '=', mailbox.key).executeTakeFirst();
const user = (label: string) => `errors-${label}-${randomBytes(3).toString('hex')}`;

describe('mailbox errors as the operator sees them', () => {
  it("a self-signed certificate's error names the setting that accepts it", async () => {
    const mailbox = { ...testMailbox(dovecot, user('tls'), { secure: true }), tlsInsecure: false };
    const poller = poll(mailbox);
    const state = await waitFor('the TLS error recorded', async () => {
      const s = await stateOf(mailbox);
      return s?.state === 'error' && s.last_error ? s : undefined;
    });
    await poller.stop();
    expect(state.last_error).toMatch(/certificate/i);
    expect(state.last_error).toContain('add ?tlsInsecure=1 to IMAP_URL');
  });

  it('the error clears once the mailbox answers again', async () => {
    const name = user('recover');
    await appendMessage(name, makeMessage(1));
    // The mailbox is reached through a port that refuses connections at first, then forwards to Dovecot.
    const port = await freePort();
    const mailbox = testMailbox(dovecot, name, { port });
    const poller = poll(mailbox);
    const failed = await waitFor('the connection error recorded', async () => {
      const s = await stateOf(mailbox);
      return s?.state === 'error' && s.last_error ? s : undefined;
    });
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);

    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      const upstream = connect(dovecot.port, dovecot.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', () => r()));
    try {
      const recovered = await waitFor(
        'the mailbox to connect and its error to clear',
        async () => {
          const s = await stateOf(mailbox);
          return s && s.state !== 'error' && s.last_error === null ? s : undefined;
        },
        20_000,
      );
      expect(recovered.last_error_at).toBeNull();
      await waitFor('the message stored', async () => {
        const rows = await tdb.db.selectFrom('messages').select('id').where('mailbox', '=', mailbox.key).execute();
        return rows.length === 1;
      });
    } finally {
      await poller.stop();
      for (const s of sockets) s.destroy();
      proxy.close();
    }
  });
});
