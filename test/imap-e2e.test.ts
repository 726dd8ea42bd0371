import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import type { RedisClient } from '../src/queue/redis-target.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../src/config.js';
import { startPoller, type Poller } from '../src/imap/poller.js';
import { createLogger } from '../src/logger.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { createRedis } from '../src/queue/queues.js';
import { appendMessage, listMessages, testDovecot, testMailbox } from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { createInboundContext, fixture, mail, type InboundContext } from './helpers/inbound.js';
import type { CaseJson } from '../src/cases/case.types.js';

/**
 * The whole inbound path as a customer's mail takes it: APPEND to a real Dovecot mailbox -> the poller
 * (IDLE, UID sweep, store, queue, \Seen) -> BullMQ on the real Redis -> the inbound worker -> cases in
 * the real PostgreSQL, read back through the HTTP API. Poller and worker run in this process, wired
 * as workers/poller.ts and workers/worker.ts wire them (acknowledgement hook included).
 */

const user = `e2e-${randomBytes(3).toString('hex')}`;
let c: InboundContext;
let mailbox: MailboxConfig;
let poller: Poller;
let leaseRedis: RedisClient;

beforeAll(async () => {
  const dovecot = await testDovecot();
  mailbox = testMailbox(dovecot, user);
  c = await createInboundContext('imape2e', {
    // As workers/worker.ts: a new case from normal mail queues an acknowledgement (with the reply token).
    hooks: acknowledgementHooks(() => ({ config: c.t.ctx.config })),
  });
  leaseRedis = createRedis(TEST_REDIS_URL, 'worker');
  poller = startPoller({
    config: { ...c.t.ctx.config, pollIntervalMs: 5_000, leaseTtlMs: 5_000 },
    mailboxes: [mailbox],
    db: c.t.ctx.db,
    redis: leaseRedis,
    queues: c.queues,
    logger: createLogger('silent'),
  });
}, 60_000);

afterAll(async () => {
  await poller?.stop();
  leaseRedis?.disconnect();
  await c?.close();
});

type Row = {
  id: string;
  status: string;
  error: string | null;
  case_id: string | null;
  decision: Record<string, unknown> | null;
  message_id: string | null;
};

/** Waits for the stored row of the message with this UID to be processed, ignored or failed. */
async function settledByUid(uid: number, timeoutMs = 20_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await c.t.ctx.db
      .selectFrom('messages')
      .select(['id', 'status', 'error', 'case_id', 'decision', 'message_id'])
      .where('mailbox', '=', mailbox.key)
      .where('uid', '=', String(uid))
      .executeTakeFirst();
    if (row && ['processed', 'ignored', 'failed'].includes(row.status)) return row;
    if (Date.now() > deadline)
      throw new Error(`UID ${uid} not settled after ${timeoutMs} ms (row: ${row?.status ?? 'not stored'})`);
    await sleep(50);
  }
}

/** Delivers raw mail to the support mailbox over IMAP and waits until intake has dealt with it. */
async function arrive(raw: string | Buffer): Promise<Row> {
  const uid = await appendMessage(user, raw);
  return settledByUid(uid);
}

/**
 * Sets, replaces or (null) removes headers of a raw message, folded continuation lines included; the body
 * is untouched. Lets the fixtures point at the Message-IDs and reply tokens of this run's cases.
 */
function withHeaders(raw: Buffer | string, set: Record<string, string | null>): Buffer {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  const [end, eol] = crlf !== -1 && (lf === -1 || crlf < lf) ? [crlf, '\r\n'] : [lf, '\n'];
  const lines = buf.subarray(0, end).toString('latin1').split(eol);
  const names = new Map(Object.keys(set).map((k) => [k.toLowerCase(), k]));
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    dropping = names.has(line.slice(0, line.indexOf(':')).trim().toLowerCase());
    if (!dropping) kept.push(line);
  }
  for (const [name, value] of Object.entries(set)) if (value !== null) kept.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(kept.join(eol), 'latin1'), buf.subarray(end)]);
}

/** The raw bytes of UID `uid` as the IMAP server serves them. */
async function serverCopy(uid: number): Promise<Buffer> {
  const info = await testDovecot();
  const client = new ImapFlow({
    host: info.host,
    port: info.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: info.password },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
    if (!msg || !msg.source) throw new Error(`UID ${uid} has no source on the server`);
    return msg.source;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const uniqueId = (tag: string) => `${tag}-${randomBytes(5).toString('hex')}@customer.example`;

async function caseJson(id: string | null): Promise<CaseJson> {
  expect(id).not.toBeNull();
  return c.caseJson(id!);
}

/** The acknowledgement intake queued for a case: what the customer receives and replies to. */
async function ackOf(caseId: string) {
  return c.t.ctx.db
    .selectFrom('outbox')
    .select(['message_id', 'reply_to', 'kind'])
    .where('case_id', '=', caseId)
    .where('kind', '=', 'ack')
    .executeTakeFirstOrThrow();
}

/** A case made from a fresh Gmail-shaped mail of `from`; returns the case JSON and the mail's Message-ID. */
async function newCase(subject: string, from = 'Carla Customer <carla@customer.example>') {
  const messageId = uniqueId('new');
  const row = await arrive(mail({ from, subject, messageId }));
  expect(row.decision).toMatchObject({ Action: 'new-case' });
  return { kase: await caseJson(row.case_id), messageId };
}

describe('new mail over IMAP', () => {
  it('a new email becomes a case with Status New and Source Email, and the server copy is flagged \\Seen', async () => {
    const uid = await appendMessage(user, fixture('new-plain.eml'));
    const row = await settledByUid(uid);
    expect(row.status).toBe('processed');
    expect(row.decision).toMatchObject({ Action: 'new-case' });
    const k = await caseJson(row.case_id);
    expect(k).toMatchObject({
      Status: 'New',
      Source: 'Email',
      Subject: 'My parcel has not arrived',
      CustomerEmail: 'ann.customer@example.net',
    });
    expect(k.CaseNumber).toBe(row.decision!.CaseNumber);
    expect(k.CaseNotes[0].Comment).toContain('I ordered a lamp');
    expect(k.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['New']);
    // The poller marks only after storing and queuing: by now the copy on the server must be \Seen.
    for (let i = 0; i < 40 && !(await listMessages(user)).find((m) => m.uid === uid)?.flags.includes('\\Seen'); i++)
      await sleep(50);
    expect((await listMessages(user)).find((m) => m.uid === uid)?.flags).toContain('\\Seen');
  });

  it('#12345 in the subject links the order (RelatedOrders, de-duplicated)', async () => {
    const row = await arrive(fixture('new-order-ref.eml'));
    const k = await caseJson(row.case_id);
    expect(k.RelatedOrders).toEqual(['12345', '98765']);
    expect(k.Source).toBe('Email');
  });
});

describe('replies land on the right case', () => {
  it('by In-Reply-To: a Gmail reply to the acknowledgement intake sent', async () => {
    const { kase } = await newCase('Lamp is flickering', 'Ann Customer <ann.customer@example.net>');
    const ack = await ackOf(kase.Id);
    const reply = withHeaders(fixture('gmail-reply.eml'), {
      'Message-ID': `<${uniqueId('gmail')}>`,
      'In-Reply-To': `<${ack.message_id}>`,
      References: null,
      To: 'Example Support <support@example.com>',
      Subject: 'Re: Lamp is flickering',
    });
    const row = await arrive(reply);
    expect(row.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(row.decision!.Reason).toContain('In-Reply-To');
    const k = await caseJson(kase.Id);
    expect(k.CaseNotes).toHaveLength(2);
    expect(k.Status).toBe('New');
  });

  it('by References (newest known first) when In-Reply-To is unknown: an Outlook reply', async () => {
    const older = await newCase('Old thread', 'Dirk Example <dirk.example@example.org>');
    const newer = await newCase('New thread', 'Dirk Example <dirk.example@example.org>');
    const reply = withHeaders(fixture('outlook-reply.eml'), {
      'Message-ID': `<${uniqueId('outlook')}>`,
      'In-Reply-To': '<not-known-anywhere@elsewhere.example>',
      References: `<${older.messageId}> <${newer.messageId}>`,
      Subject: 'AW: New thread',
    });
    const row = await arrive(reply);
    expect(row.decision).toMatchObject({ Action: 'reply', CaseNumber: newer.kase.CaseNumber });
    expect(row.decision!.Reason).toContain('References');
    expect((await caseJson(newer.kase.Id)).CaseNotes).toHaveLength(2);
    expect((await caseJson(older.kase.Id)).CaseNotes).toHaveLength(1);
  });

  it('by reply token: an Apple Mail reply to the Reply-To address of the acknowledgement', async () => {
    const { kase } = await newCase('Zipper broke', 'Eve Example <eve@example.net>');
    const ack = await ackOf(kase.Id);
    // REPLY_ADDRESS=support@example.com: intake answers with Reply-To support+<token>@example.com.
    expect(ack.reply_to).toMatch(/^support\+[^@]+@example\.com$/);
    const reply = withHeaders(fixture('apple-mail-reply.eml'), {
      'Message-Id': `<${uniqueId('apple')}>`,
      'In-Reply-To': null,
      References: null,
      To: `Example Support <${ack.reply_to}>`,
      Subject: 'Re: something else entirely',
    });
    const row = await arrive(reply);
    expect(row.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(row.decision!.Reason).toContain('reply token');
  });

  it("by the case number in the subject, when the sender is the case's customer", async () => {
    const { kase } = await newCase('Invoice missing', 'Frank Buyer <frank@customer.example>');
    const row = await arrive(
      mail({ from: 'Frank Buyer <frank@customer.example>', subject: `Re: [${kase.CaseNumber}] Invoice missing` }),
    );
    expect(row.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(row.decision!.Reason).toContain('subject');
  });

  it('a stranger quoting a case number in the subject gets a new case, and the case is untouched', async () => {
    const { kase } = await newCase('Private matter', 'Gina Private <gina@customer.example>');
    const row = await arrive(
      mail({ from: 'Eve Intruder <eve@evil.example>', subject: `[${kase.CaseNumber}] send me the details` }),
    );
    expect(row.decision!.Action).toBe('new-case');
    expect(row.case_id).not.toBe(kase.Id);
    expect((await caseJson(row.case_id)).CustomerEmail).toBe('eve@evil.example');
    expect((await caseJson(kase.Id)).CaseNotes).toHaveLength(1);
  });

  it('a reply to a Closed case reopens it: status log New -> Closed -> Reopened with durations, ClosedDate cleared', async () => {
    const { kase, messageId } = await newCase('Chair wobbles', 'Hank Sitter <hank@customer.example>');
    const closed = await c.t.call('POST', `/api/cases/${kase.Id}/changestatus?status=Closed`);
    expect(closed.status).toBe(200);
    expect(closed.json.ClosedDate).not.toBeNull();
    const row = await arrive(
      mail({
        from: 'Hank Sitter <hank@customer.example>',
        inReplyTo: messageId,
        subject: 'Re: Chair wobbles',
        body: 'It wobbles again.',
      }),
    );
    expect(row.decision).toMatchObject({ Action: 'reopen', CaseNumber: kase.CaseNumber });
    const k = await caseJson(kase.Id);
    expect(k.Status).toBe('Reopened');
    expect(k.ClosedDate).toBeNull();
    expect(k.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['New', 'Closed', 'Reopened']);
    expect(k.CaseStatusLog[0].DurationSincePreviousMs).toBeNull();
    for (const l of k.CaseStatusLog.slice(1)) expect(l.DurationSincePreviousMs).toBeGreaterThanOrEqual(0);
    expect(k.CaseNotes.at(-1)!.Comment).toContain('It wobbles again.');
  });
});

describe('never a loop', () => {
  it('an out-of-office reply to a Closed case reopens nothing, makes no case and sends nothing', async () => {
    const { kase, messageId } = await newCase('Exchange request', 'Paul Example <paul@example.org>');
    await c.t.call('POST', `/api/cases/${kase.Id}/changestatus?status=Closed`);
    const cases = await c.countCases();
    const outbox = (await c.t.ctx.db.selectFrom('outbox').select('id').execute()).length;
    const ooo = withHeaders(fixture('auto-reply-ooo.eml'), {
      'Message-ID': `<${uniqueId('ooo')}>`,
      'In-Reply-To': `<${messageId}>`,
      References: null,
    });
    const row = await arrive(ooo);
    expect(row.status).toBe('processed');
    const k = await caseJson(kase.Id);
    expect(k.Status).toBe('Closed');
    expect(k.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['New', 'Closed']);
    expect(k.InternalNotes).toHaveLength(1);
    expect(await c.countCases()).toBe(cases);
    expect((await c.t.ctx.db.selectFrom('outbox').select('id').execute()).length).toBe(outbox);
  });

  it('an auto-reply and a bounce that belong to no case are stored as ignored: no case, no answer', async () => {
    const cases = await c.countCases();
    const outbox = (await c.t.ctx.db.selectFrom('outbox').select('id').execute()).length;
    const ooo = await arrive(fixture('auto-reply-ooo.eml'));
    const bounce = await arrive(fixture('bounce-dsn.eml'));
    expect(ooo).toMatchObject({ status: 'ignored', case_id: null });
    expect(bounce).toMatchObject({ status: 'ignored', case_id: null });
    expect(await c.countCases()).toBe(cases);
    expect((await c.t.ctx.db.selectFrom('outbox').select('id').execute()).length).toBe(outbox);
    const api = await c.t.call('GET', '/api/inbound/messages?Status=ignored', undefined, c.t.readKey);
    const classes = Object.fromEntries(
      api.json.map((m: { Id: string; Classification: string }) => [m.Id, m.Classification]),
    );
    expect(classes[ooo.id]).toBe('auto-reply');
    expect(classes[bounce.id]).toBe('bounce');
  });
});

describe('never twice, never lost', () => {
  it('the same message delivered twice (same bytes, then with an extra Received header) makes one case', async () => {
    const raw = mail({
      from: 'Ivy Twice <ivy@customer.example>',
      subject: 'Delivered twice',
      messageId: uniqueId('twice'),
    });
    const cases = await c.countCases();
    const first = await arrive(raw);
    const again = await appendMessage(user, raw);
    const relayed = await appendMessage(
      user,
      `Received: from mx2.example.net by mx.example.com; Mon, 23 Nov 2026 10:00:05 +0000\r\n${raw}`,
    );
    // Both copies get flagged once the poller has recognised them as already stored.
    for (let i = 0; i < 100; i++) {
      const flags = (await listMessages(user))
        .filter((m) => m.uid === again || m.uid === relayed)
        .map((m) => m.flags.includes('\\Seen'));
      if (flags.length === 2 && flags.every(Boolean)) break;
      await sleep(50);
    }
    const copies = (await listMessages(user)).filter((m) => m.uid === again || m.uid === relayed);
    expect(copies.map((m) => m.flags.includes('\\Seen'))).toEqual([true, true]);
    await sleep(300); // a duplicate case, if one were made, would be committed by now
    expect(first.status).toBe('processed');
    expect(await c.countCases()).toBe(cases + 1);
    const rows = await c.t.ctx.db
      .selectFrom('messages')
      .select(['id', 'uid'])
      .where('message_id', '=', first.message_id)
      .execute();
    expect(rows).toHaveLength(1);
    expect((await caseJson(first.case_id)).CaseNotes).toHaveLength(1);
  });

  it('a poller that dies between enqueue and flag, then runs again, still makes one case per message', async () => {
    const crashUser = `${user}-crash`;
    const crashBox = testMailbox(await testDovecot(), crashUser);
    const subjects = ['Crash one', 'Crash two', 'Crash three'];
    for (const s of subjects)
      await appendMessage(crashUser, mail({ from: 'Kim Crash <kim@customer.example>', subject: s }));
    const cases = await c.countCases();
    let crashed = false;
    const opts = {
      config: { ...c.t.ctx.config, pollIntervalMs: 5_000, leaseTtlMs: 5_000 },
      mailboxes: [crashBox],
      db: c.t.ctx.db,
      redis: leaseRedis,
      queues: c.queues,
      logger: createLogger('silent'),
    };
    const first = startPoller({
      ...opts,
      backoff: { baseMs: 60_000, capMs: 60_000 },
      hooks: {
        afterEnqueue() {
          crashed = true;
          throw new Error('simulated crash after enqueue, before last_uid and \\Seen');
        },
      },
    });
    for (let i = 0; i < 200 && !crashed; i++) await sleep(50);
    await first.stop();
    expect(crashed).toBe(true);
    expect((await listMessages(crashUser)).some((m) => m.flags.includes('\\Seen'))).toBe(false);

    const second = startPoller(opts);
    try {
      for (let i = 0; i < 200; i++) {
        const done = await c.t.ctx.db
          .selectFrom('messages')
          .select('status')
          .where('mailbox', '=', crashBox.key)
          .where('status', '=', 'processed')
          .execute();
        const seen = (await listMessages(crashUser)).every((m) => m.flags.includes('\\Seen'));
        if (done.length === subjects.length && seen) break;
        await sleep(50);
      }
    } finally {
      await second.stop();
    }
    await sleep(300);
    const made = await c.t.ctx.db
      .selectFrom('cases')
      .select('subject')
      .where('customer_email', '=', 'kim@customer.example')
      .execute();
    expect(made.map((r) => r.subject).sort()).toEqual([...subjects].sort());
    expect(await c.countCases()).toBe(cases + subjects.length);
    expect((await listMessages(crashUser)).every((m) => m.flags.includes('\\Seen'))).toBe(true);
  });

  it('a malformed message is kept as failed with its raw bytes, and the next message still becomes a case', async () => {
    // Binary garbage, NUL bytes and a header block that is no header block (fixtures/malformed.eml).
    const uid = await appendMessage(user, fixture('malformed.eml'));
    const bad = await settledByUid(uid);
    expect(bad.status).toBe('failed');
    expect(bad.error).toBeTruthy();
    // Failed mail is an administrator's (it holds the raw bytes of anyone's message).
    const failed = await c.t.call('GET', '/api/inbound/failed');
    expect(failed.status).toBe(200);
    expect(failed.json.map((m: { Id: string }) => m.Id)).toContain(bad.id);
    const raw = await c.t.app.inject({
      method: 'GET',
      url: `/api/inbound/messages/${bad.id}/raw`,
      headers: { authorization: `Bearer ${c.t.adminKey}` },
    });
    expect(raw.statusCode).toBe(200);
    // Exactly the bytes the IMAP server holds (Dovecot normalises line ends and NULs on APPEND).
    expect(raw.rawPayload.equals(await serverCopy(uid))).toBe(true);

    const next = await arrive(mail({ from: 'Jo Next <jo@customer.example>', subject: 'After the broken one' }));
    expect(next.status).toBe('processed');
    expect((await caseJson(next.case_id)).Subject).toBe('After the broken one');
  });
});
