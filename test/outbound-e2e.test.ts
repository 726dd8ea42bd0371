import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../src/queue/redis-target.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNote } from '../src/cases/case.service.js';
import { startPoller, type Poller } from '../src/imap/poller.js';
import { createLogger } from '../src/logger.js';
import { verifyOwnMessageId } from '../src/outbound/message-id.js';
import { startOutboundWorker, type OutboundWorker } from '../src/outbound/outbound-worker.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { queueNoteEmail, type OutboundDeps } from '../src/outbound/outbox.js';
import { createRedis } from '../src/queue/queues.js';
import { appendMessage, testDovecot, testMailbox } from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { createInboundContext, SUPPORT, type InboundContext } from './helpers/inbound.js';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from './helpers/smtp-receiver.js';
import { waitFor } from './helpers/wait.js';

/**
 * The whole loop over real servers: a customer's mail in Dovecot -> poller -> inbound worker -> case and
 * acknowledgement (outbox, in the inbound transaction) -> relay -> sender -> SMTP receiver; then the
 * customer's answer to what arrived goes back into Dovecot and must land on the same case.
 */
let ctx: InboundContext;
let receiver: SmtpReceiver;
let outbound: OutboundWorker;
let poller: Poller;
let pollerRedis: RedisClient;
const user = `outbound-e2e-${randomBytes(3).toString('hex')}`;
const logger = createLogger('silent');
let deps: OutboundDeps;

const eventually = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000) =>
  waitFor(what, fn, timeoutMs);

function mail(o: {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers?: string[];
  body: string;
}): string {
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${o.messageId}>`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []),
    ...(o.references?.length ? [`References: ${o.references.join(' ')}`] : []),
    ...(o.headers ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    '',
  ].join('\r\n');
}

/** The inbound row of a message once the worker is done with it. */
const processed = (messageId: string) =>
  eventually(`message ${messageId} processed`, async () => {
    const row = await ctx.t.ctx.db
      .selectFrom('messages')
      .select(['status', 'case_id', 'classification'])
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    return row && ['processed', 'ignored', 'failed'].includes(row.status) ? row : null;
  });

const acksSent = async () =>
  Number(
    (
      await ctx.t.ctx.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('kind', '=', 'ack')
        .executeTakeFirstOrThrow()
    ).n,
  );
const header = (m: ReceivedMail, name: string) => m.parsed.headers.get(name) as string | undefined;

beforeAll(async () => {
  const dovecot = await testDovecot();
  receiver = await startSmtpReceiver();
  ctx = await createInboundContext('outboundE2E', {
    env: { SMTP_URL: receiver.url, MESSAGE_ID_SECRET: 'e2e-secret', MESSAGE_ID_DOMAIN: 'example.com' },
    // The wiring workers/worker.ts uses: acknowledgements are written inside the inbound transaction.
    hooks: acknowledgementHooks(() => deps),
  });
  const { config, db } = ctx.t.ctx;
  deps = { config, logger };
  outbound = startOutboundWorker(
    { config, db, logger },
    { prefix: ctx.prefix, backoff: { baseMs: 200, capMs: 1_000 }, relay: { sweepIntervalMs: 300 } },
  );
  pollerRedis = createRedis(TEST_REDIS_URL, 'worker');
  poller = startPoller({
    config: {
      mailboxes: [testMailbox(dovecot, user)],
      pollIntervalMs: 500,
      idleMaxMs: 60_000,
      fetchBatch: 100,
      maxMessageBytes: 1024 * 1024,
      leaseTtlMs: 3_000,
      queuePrefix: ctx.prefix,
    },
    db,
    redis: pollerRedis,
    queues: ctx.queues,
    logger,
    backoff: { baseMs: 200, capMs: 1_000 },
    leaseRetryMs: 300,
  });
});

afterAll(async () => {
  await poller?.stop();
  await outbound?.close();
  await outbound?.queues.outbound.obliterate({ force: true }).catch(() => undefined);
  pollerRedis?.disconnect();
  await ctx?.close();
  await receiver?.close();
});

describe('outbound mail end to end (Dovecot -> intake -> SMTP -> Dovecot)', () => {
  let caseId: string;
  let ack: ReceivedMail;

  it('a customer mail opens a case and its acknowledgement arrives; the reply to it lands on the same case', async () => {
    const first = `first-${randomBytes(4).toString('hex')}@customer.example`;
    await appendMessage(
      user,
      mail({
        from: 'Anna Berg <anna@customer.example>',
        to: SUPPORT,
        subject: 'Lamp arrived broken',
        messageId: first,
        body: 'The lamp is broken.',
      }),
    );
    const row = await processed(first);
    expect(row.status).toBe('processed');
    caseId = row.case_id!;

    [ack] = await receiver.waitFor(1, 30_000);
    expect(ack!.rcptTo).toEqual(['anna@customer.example']);
    expect(ack!.parsed.subject).toMatch(/^\[CS-1001\] /);
    expect(verifyOwnMessageId(deps.config, ack!.parsed.messageId)).toEqual({ caseId });
    expect(ack!.parsed.inReplyTo).toBe(`<${first}>`);
    expect(header(ack!, 'auto-submitted')).toBe('auto-replied');
    const replyTo = ack!.parsed.replyTo!.value[0]!.address!;
    expect(replyTo).toMatch(/^support\+[a-z2-7]+@example\.com$/);

    // The customer's mail client answers: to the Reply-To, threading headers from the ack, "Re:" subject.
    const answer = `answer-${randomBytes(4).toString('hex')}@customer.example`;
    await appendMessage(
      user,
      mail({
        from: 'Anna Berg <anna@customer.example>',
        to: replyTo,
        subject: `Re: ${ack!.parsed.subject}`,
        messageId: answer,
        inReplyTo: ack!.parsed.messageId!,
        references: [...(ack!.parsed.references as string[]), ack!.parsed.messageId!],
        body: 'Here is a photo description: shattered glass.\r\n\r\n> We received your request',
      }),
    );
    const answered = await processed(answer);
    expect(answered.case_id).toBe(caseId);
    const json = await ctx.caseJson(caseId);
    expect(json.CaseNotes.map((n: { Comment: string }) => n.Comment).join('\n')).toContain('shattered glass');
    // A reply opens no case and gets no acknowledgement.
    expect(await ctx.countCases()).toBe(1);
    expect(await acksSent()).toBe(1);
  });

  it('an auto-reply to the acknowledgement creates no new acknowledgement', async () => {
    const auto = `ooo-${randomBytes(4).toString('hex')}@customer.example`;
    await appendMessage(
      user,
      mail({
        from: 'Anna Berg <anna@customer.example>',
        to: SUPPORT,
        subject: `Automatic reply: ${ack.parsed.subject}`,
        messageId: auto,
        inReplyTo: ack.parsed.messageId!,
        headers: ['Auto-Submitted: auto-replied', 'X-Autoreply: yes'],
        body: 'I am out of office until Monday.',
      }),
    );
    // And one from a stranger's autoresponder, with no thread at all.
    const stranger = `ooo2-${randomBytes(4).toString('hex')}@elsewhere.example`;
    await appendMessage(
      user,
      mail({
        from: 'Bot <bot@elsewhere.example>',
        to: SUPPORT,
        subject: 'Out of office',
        messageId: stranger,
        headers: ['Auto-Submitted: auto-replied'],
        body: 'Away.',
      }),
    );
    const rows = [await processed(auto), await processed(stranger)];
    expect(rows.map((r) => r.classification)).toEqual(['auto-reply', 'auto-reply']);
    await outbound.relay.sweep();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await acksSent()).toBe(1);
    expect(receiver.messages).toHaveLength(1);
  });

  it('a staff note sent by email threads, and the reply to it (to our From address) lands on the same case', async () => {
    const { db } = ctx.t.ctx;
    const outRow = await db.transaction().execute(async (trx) => {
      const { note, attachments, caseRow } = await addNote(trx, caseId, {
        comment: 'We are sending a new lamp.',
        is_public: true,
        created_by: 'Jane',
        send_email_notification: true,
      });
      return queueNoteEmail(trx, deps, { caseRow, note, attachments });
    });
    const [, staff] = await receiver.waitFor(2, 30_000);
    expect(staff!.parsed.messageId).toBe(`<${outRow!.message_id}>`);
    expect(staff!.parsed.subject).toBe('Re: [CS-1001] Lamp arrived broken');
    // It answers the newest message of the thread (the customer's answer) and carries the whole thread.
    const refs = staff!.parsed.references as string[];
    expect(refs[0]).toMatch(/^<first-/);
    expect(refs.at(-1)).toBe(staff!.parsed.inReplyTo);
    expect(refs).toContain(ack.parsed.messageId);

    // This client ignores Reply-To and answers the From address: the References still thread it.
    const answer = `answer2-${randomBytes(4).toString('hex')}@customer.example`;
    await appendMessage(
      user,
      mail({
        from: 'anna@customer.example',
        to: SUPPORT,
        subject: 'Re: Lamp arrived broken',
        messageId: answer,
        inReplyTo: staff!.parsed.messageId!,
        references: [...refs, staff!.parsed.messageId!],
        body: 'Thank you!',
      }),
    );
    const row = await processed(answer);
    expect(row.case_id).toBe(caseId);
    expect(await ctx.countCases()).toBe(1);
  });
});
