import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../src/imap/fleet.js';
import { createMailbox, secretBoxFor } from '../src/mailboxes/mailbox-store.js';
import { createRedis } from '../src/queue/queues.js';
import { leaseKey } from '../src/queue/redis-keys.js';
import type { RedisClient } from '../src/queue/redis-target.js';
import { appendMany, makeMessage, testDovecot, type DovecotInfo } from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { createInboundContext, type InboundContext } from './helpers/inbound.js';
import { startTestFleet } from './helpers/mailbox-fleet.js';
import { waitFor } from './helpers/wait.js';

/**
 * Two poller processes' fleets (in this process, each with its own leases and registry entry) over the same
 * mailboxes, PostgreSQL and Redis: they share the mailboxes fairly, hand over when a second one starts, take all back
 * when one stops, and every message is stored once whoever holds its mailbox.
 */

const MAILBOXES = 6;
const tag = randomBytes(3).toString('hex');
let dovecot: DovecotInfo;
let c: InboundContext;
let redis: RedisClient;
const keys: string[] = [];
const fleets: Fleet[] = [];
const users = Array.from({ length: MAILBOXES }, (_, i) => `share-${i}-${tag}`);

function fleet(): Fleet {
  const f = startTestFleet(c, redis, { leaseTtlMs: 3_000 });
  fleets.push(f);
  return f;
}

/** How many mailboxes each fleet holds the lease of, as Redis says (each lease token is one poller's). */
async function holdings(): Promise<number[]> {
  const tokens = await Promise.all(keys.map((k) => redis.get(leaseKey(c.prefix, k))));
  return fleets.map((f) => {
    const mine = new Set(f.leaseTokens());
    return tokens.filter((t) => t && mine.has(t)).length;
  });
}

beforeAll(async () => {
  dovecot = await testDovecot();
  c = await createInboundContext('share');
  redis = createRedis(TEST_REDIS_URL, 'worker');
  const box = secretBoxFor(c.t.ctx.config.secretsKeys);
  for (const user of users) {
    const m = await createMailbox(c.t.ctx.db, box, {
      name: user,
      host: dovecot.host,
      port: dovecot.port,
      tls: 'starttls',
      tlsInsecure: true,
      user,
      auth: { type: 'password', password: dovecot.password },
    });
    keys.push(m.key);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(fleets.map((f) => f.stop()));
  redis?.disconnect();
  await c?.close();
});

describe('several poller processes', () => {
  it('share the mailboxes fairly, hand over to one started later, take all back when one stops; mail lands once', async () => {
    const first = fleet();
    await first.ready();
    const all = await waitFor(
      'the first poller to hold every mailbox',
      async () => {
        const h = await holdings();
        return h[0] === MAILBOXES ? h : undefined;
      },
      20_000,
      100,
    );
    expect(all).toEqual([MAILBOXES]);

    const mails = users.flatMap((u, i) => [0, 1, 2].map((n) => ({ user: u, raw: makeMessage(`${i}-${n}`, { tag }) })));
    const sending = Promise.all(
      users.map((u) =>
        appendMany(
          u,
          mails.filter((m) => m.user === u).map((m) => m.raw),
          'INBOX',
          { perSecond: 2 },
        ),
      ),
    );
    // A second poller starts: the first hands half over, the second takes it.
    const second = fleet();
    await second.ready();
    const shared = await waitFor(
      'the mailboxes to be shared half and half',
      async () => {
        const h = await holdings();
        return h[0] === MAILBOXES / 2 && h[1] === MAILBOXES / 2 ? h : undefined;
      },
      30_000,
      100,
    );
    expect(shared).toEqual([MAILBOXES / 2, MAILBOXES / 2]);
    await sending;

    // The first stops (as on a deploy): the second takes every mailbox.
    await first.stop();
    await waitFor(
      'the second poller to hold every mailbox',
      async () => {
        return (await holdings())[1] === MAILBOXES;
      },
      20_000,
      100,
    );

    // Every message stored once and processed, whoever held its mailbox when it came.
    await waitFor(
      'every message processed',
      async () => {
        const rows = await c.t.ctx.db
          .selectFrom('messages')
          .select(['message_id', 'status'])
          .where('mailbox', 'in', keys)
          .execute();
        return rows.length === mails.length && rows.every((r) => r.status === 'processed') ? rows : undefined;
      },
      30_000,
      200,
    );
    const ids = await c.t.ctx.db.selectFrom('messages').select('message_id').where('mailbox', 'in', keys).execute();
    expect(new Set(ids.map((r) => r.message_id)).size).toBe(mails.length);
  });
});
