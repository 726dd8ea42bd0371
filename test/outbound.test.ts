import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.js';
import { createCase, addNote, getCaseJson } from '../src/cases/case.service.js';
import type { CaseRow } from '../src/cases/case.mapper.js';
import { createLogger } from '../src/logger.js';
import type { ParsedMessage } from '../src/mail/message.types.js';
import { verifyOwnMessageId } from '../src/outbound/message-id.js';
import { startOutboundWorker, type OutboundWorker } from '../src/outbound/outbound-worker.js';
import { queueAcknowledgement, queueNoteEmail, type OutboxRow } from '../src/outbound/outbox.js';
import { relayPending, requeueOutboxRow } from '../src/outbound/relay.js';
import { UNCERTAIN_DELIVERY_ERROR } from '../src/outbound/sender.js';
import { enqueueOutbound, outboundJobId } from '../src/queue/queues.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from './helpers/smtp-receiver.js';
import { waitFor } from './helpers/wait.js';

let database: TestDatabase;
let receiver: SmtpReceiver;
let config: Config;
let outbound: OutboundWorker;
const logger = createLogger('silent');
const prefix = `test-${randomBytes(4).toString('hex')}`;

const eventually = <T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000) =>
  waitFor(what, fn, timeoutMs);

function customerMail(email: string, name: string, overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  const subject = overrides.subject ?? 'Where is my order #12345?';
  return {
    messageId: `cust-${randomBytes(6).toString('hex')}@mail.customer.test`,
    inReplyTo: null,
    references: [],
    from: { name, email },
    replyTo: [],
    to: [{ name: 'Support', email: 'support@example.test' }],
    cc: [],
    deliveredTo: ['support@example.test'],
    subject,
    cleanSubject: subject,
    date: new Date(),
    text: 'Hello, my order has not arrived.',
    html: null,
    replyText: 'Hello, my order has not arrived.',
    orderRefs: [],
    caseRefs: [],
    replyTokens: [],
    classification: 'normal',
    classificationReason: 'no automatic-mail headers',
    bounce: null,
    attachments: [],
    ...overrides,
  };
}

/** What the inbound pipeline does for a new case from email: case, thread ref and acknowledgement in one transaction. */
async function newCaseFromEmail(parsed: ParsedMessage): Promise<{ caseRow: CaseRow; ack: OutboxRow | null }> {
  return database.db.transaction().execute(async (trx) => {
    const caseRow = await createCase(
      trx,
      {
        Subject: parsed.cleanSubject,
        CustomerEmail: parsed.from?.email ?? null,
        CustomerName: parsed.from?.name ?? null,
        Source: 'Email',
      },
      { source: 'Email' },
    );
    if (parsed.messageId)
      await trx
        .insertInto('thread_refs')
        .values({ message_id: parsed.messageId, case_id: caseRow.id, direction: 'in' })
        .execute();
    const ack = await queueAcknowledgement(trx, { config, logger }, { caseRow, parsed });
    return { caseRow, ack };
  });
}

const outboxRow = (id: string) =>
  database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const mailWithId = (id: string): ReceivedMail[] => receiver.messages.filter((m) => m.parsed.messageId === `<${id}>`);
const headerLines = (m: ReceivedMail): string[] => m.headerBlock.replace(/\r\n[ \t]+/g, ' ').split('\r\n');

beforeAll(async () => {
  database = await createTestDatabase('outbound');
  receiver = await startSmtpReceiver();
  config = loadConfig({
    DATABASE_URL: database.url,
    SMTP_URL: receiver.url,
    QUEUE_PREFIX: prefix,
    MAIL_FROM: 'support@example.test',
    MAIL_FROM_NAME: 'Example Support',
    REPLY_ADDRESS: 'support@example.test',
    OWN_ADDRESSES: 'help@example.test',
    MESSAGE_ID_SECRET: 'outbound-test-secret',
    MESSAGE_ID_DOMAIN: 'example.test',
    ACK_RATE_LIMIT: '2',
    ACK_RATE_WINDOW_MS: String(3 * 3600_000),
  });
  outbound = startOutboundWorker(
    { config, db: database.db, logger },
    { backoff: { baseMs: 200, capMs: 1_000 }, relay: { sweepIntervalMs: 300 } },
  );
});

afterAll(async () => {
  await outbound?.close();
  if (outbound) {
    const { createQueues, createRedis } = await import('../src/queue/queues.js');
    const redis = createRedis(config.redisUrl, 'worker');
    const queues = createQueues(redis, prefix);
    await queues.outbound.obliterate({ force: true });
    await queues.inbound.obliterate({ force: true });
    await queues.close();
    redis.disconnect();
  }
  await receiver?.close();
  await database?.drop();
});

describe('outbound mail over a real SMTP receiver', () => {
  it('the acknowledgement of a new case arrives with the threading and loop-safety headers', async () => {
    const parsed = customerMail('anna@customer.test', 'Anna Berg', { references: ['older@mail.customer.test'] });
    const { caseRow, ack } = await newCaseFromEmail(parsed);
    expect(caseRow.case_number).toBe('CS-1001');
    expect(ack?.status).toBe('queued');

    const [mail] = await receiver.waitFor(1);
    const h = mail!.parsed.headers;
    expect(mail!.rcptTo).toEqual(['anna@customer.test']);
    expect(mail!.parsed.subject).toBe('[CS-1001] We received your request: Where is my order #12345?');
    expect(verifyOwnMessageId(config, mail!.parsed.messageId)).toEqual({ caseId: caseRow.id });
    expect(mail!.parsed.inReplyTo).toBe(`<${parsed.messageId}>`);
    expect(mail!.parsed.references).toEqual(['<older@mail.customer.test>', `<${parsed.messageId}>`]);
    expect(h.get('auto-submitted')).toBe('auto-replied');
    expect(h.get('x-auto-response-suppress')).toBe('All');
    expect(mail!.parsed.replyTo?.value[0]?.address).toBe(`support+${caseRow.reply_token}@example.test`);
    expect(mail!.parsed.from?.value[0]).toEqual({ name: 'Example Support', address: 'support@example.test' });
    expect(mail!.parsed.to && !Array.isArray(mail!.parsed.to) ? mail!.parsed.to.value[0] : null).toEqual({
      name: 'Anna Berg',
      address: 'anna@customer.test',
    });
    expect(mail!.parsed.text).toContain('Hello Anna Berg');
    expect(mail!.parsed.text).toContain('CS-1001');

    const row = await eventually(
      async () => ((await outboxRow(ack!.id)).status === 'sent' ? outboxRow(ack!.id) : null),
      'ack marked sent',
    );
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.attempts).toBe(1);
    // The sent Message-ID is a thread ref of the case, so the customer's reply threads back.
    const refs = await database.db
      .selectFrom('thread_refs')
      .select(['message_id', 'direction'])
      .where('case_id', '=', caseRow.id)
      .execute();
    expect(refs).toContainEqual({ message_id: row.message_id, direction: 'out' });
  });

  it('a public staff note is mailed in the case thread with its attachments; an internal note never is', async () => {
    const parsed = customerMail('bert@customer.test', 'Bert');
    const { caseRow, ack } = await newCaseFromEmail(parsed);
    await eventually(async () => mailWithId(ack!.message_id).length === 1, 'ack');
    const pdf = Buffer.from('%PDF-1.4 invoice bytes');

    const internal = await database.db.transaction().execute(async (trx) => {
      const {
        note,
        attachments,
        caseRow: c,
      } = await addNote(trx, caseRow.id, {
        comment: 'Staff only: customer is a reseller',
        is_public: false,
        created_by: 'Jane',
      });
      return queueNoteEmail(trx, { config, logger }, { caseRow: c, note, attachments });
    });
    expect(internal).toBeNull();

    const reply = await database.db.transaction().execute(async (trx) => {
      const {
        note,
        attachments,
        caseRow: c,
      } = await addNote(trx, caseRow.id, {
        comment: 'Your parcel left our warehouse today.',
        is_public: true,
        created_by: 'Jane',
        send_email_notification: true,
        email_cc: ['boss@customer.test'],
        attachments: [{ fileName: 'invoice.pdf', contentType: 'application/pdf', content: pdf }],
      });
      return queueNoteEmail(trx, { config, logger }, { caseRow: c, note, attachments });
    });
    const [mail] = await eventually(
      async () => (mailWithId(reply!.message_id).length ? mailWithId(reply!.message_id) : null),
      'note mail',
    );
    expect(mail!.rcptTo.sort()).toEqual(['bert@customer.test', 'boss@customer.test']);
    expect(mail!.parsed.subject).toBe('Re: [CS-1002] Where is my order #12345?');
    expect(mail!.parsed.inReplyTo).toBe(`<${ack!.message_id}>`);
    expect(mail!.parsed.references).toEqual([`<${parsed.messageId}>`, `<${ack!.message_id}>`]);
    expect(mail!.parsed.headers.has('auto-submitted')).toBe(false);
    expect(mail!.parsed.text).toContain('Your parcel left our warehouse today.');
    expect(mail!.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([
      ['invoice.pdf', 'application/pdf', pdf.toString()],
    ]);
    expect(receiver.messages.some((m) => m.parsed.text?.includes('Staff only'))).toBe(false);

    // Delivery state is on the note in the case JSON.
    const json = await eventually(async () => {
      const j = await getCaseJson(database.db, caseRow.id);
      return j.CaseNotes[0]?.Delivery[0]?.Status === 'sent' ? j : null;
    }, 'delivery shown as sent');
    expect(json.CaseNotes[0]!.Delivery[0]).toMatchObject({
      Status: 'sent',
      To: ['bert@customer.test'],
      MessageId: reply!.message_id,
      Error: null,
    });
    expect(json.InternalNotes[0]!.Delivery).toEqual([]);
    expect(
      await database.db.selectFrom('outbox').select('id').where('case_id', '=', caseRow.id).execute(),
    ).toHaveLength(2);
  });

  it('a third acknowledgement to one address within the window is suppressed, whatever the case of the address', async () => {
    const acks: OutboxRow[] = [];
    const spelling = ['carla@customer.test', 'Carla@Customer.test', 'CARLA@customer.TEST'];
    for (let i = 0; i < 3; i++)
      acks.push((await newCaseFromEmail(customerMail(spelling[i]!, 'Carla', { subject: `Question ${i}` }))).ack!);
    expect(acks.map((a) => a.status)).toEqual(['queued', 'queued', 'suppressed']);
    expect(acks[2]!.last_error).toMatch(/rate-limit/);
    await eventually(
      async () => mailWithId(acks[0]!.message_id).length + mailWithId(acks[1]!.message_id).length === 2,
      'two acks',
    );
    await outbound.relay.sweep();
    expect(receiver.messages.filter((m) => m.rcptTo.includes('carla@customer.test'))).toHaveLength(2);
    expect(mailWithId(acks[2]!.message_id)).toHaveLength(0);
  });

  it('no acknowledgement goes to no-reply, mailer-daemon, own or suppressed addresses, or to an auto-reply', async () => {
    await database.db
      .insertInto('address_suppressions')
      .values({ email: 'gone@customer.test', reason: '5.1.1 user unknown' })
      .execute();
    const cases: [ParsedMessage, string][] = [
      [customerMail('noreply@shop.test', 'Shop'), 'no-reply-address'],
      [customerMail('MAILER-DAEMON@mx.customer.test', 'Mail Delivery System'), 'no-reply-address'],
      [customerMail('help@example.test', 'Us'), 'own-address'],
      [customerMail('support+abc@example.test', 'Us again'), 'own-address'],
      [customerMail('gone@customer.test', 'Gone'), 'suppressed-address'],
      [
        customerMail('dora@customer.test', 'Dora', {
          classification: 'auto-reply',
          classificationReason: 'Auto-Submitted: auto-replied',
        }),
        'sender-auto-reply',
      ],
    ];
    for (const [parsed, reason] of cases) {
      const { ack } = await newCaseFromEmail(parsed);
      expect(ack?.status, parsed.from!.email).toBe('suppressed');
      expect(ack?.last_error).toContain(`(${reason})`);
    }
    // A normal mail afterwards arrives: the pipeline works, and nothing went to the others.
    const { ack } = await newCaseFromEmail(customerMail('erik@customer.test', 'Erik'));
    await eventually(async () => mailWithId(ack!.message_id).length === 1, 'ack to erik');
    const suppressedTo = [
      'noreply@shop.test',
      'mailer-daemon@mx.customer.test',
      'help@example.test',
      'support+abc@example.test',
      'gone@customer.test',
      'dora@customer.test',
    ];
    expect(receiver.messages.filter((m) => m.rcptTo.some((r) => suppressedTo.includes(r.toLowerCase())))).toEqual([]);
  });

  it('an SMTP outage delays mail and loses none: retried until the server is back, delivered exactly once', async () => {
    await receiver.stop();
    const { ack } = await newCaseFromEmail(customerMail('fritz@customer.test', 'Fritz'));
    const failing = await eventually(async () => {
      const r = await outboxRow(ack!.id);
      return r.attempts >= 3 && r.status === 'queued' ? r : null;
    }, 'three failed attempts');
    expect(failing.last_error).toMatch(/ECONNREFUSED|connect/i);
    await receiver.start();
    await eventually(async () => mailWithId(ack!.message_id).length === 1, 'delivery after the outage');
    const row = await eventually(
      async () => ((await outboxRow(ack!.id)).status === 'sent' ? outboxRow(ack!.id) : null),
      'sent',
    );
    expect(row.attempts).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 1_500)); // longer than the retry cap: no late duplicate
    expect(mailWithId(ack!.message_id)).toHaveLength(1);
  });

  it('a 4xx answer is retried; a 5xx answer is final and marks the row failed with the SMTP error', async () => {
    receiver.mode = 'tempfail';
    const temp = (await newCaseFromEmail(customerMail('gina@customer.test', 'Gina'))).ack!;
    await eventually(async () => (await outboxRow(temp.id)).attempts >= 2, 'retries on 451');
    receiver.mode = 'accept';
    await eventually(async () => mailWithId(temp.message_id).length === 1, 'delivery after 451');

    receiver.mode = 'permfail';
    const perm = (await newCaseFromEmail(customerMail('hans@customer.test', 'Hans'))).ack!;
    const failed = await eventually(
      async () => ((await outboxRow(perm.id)).status === 'failed' ? outboxRow(perm.id) : null),
      'failed on 554',
    );
    receiver.mode = 'accept';
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toContain('554');
    // Staff can send it again on purpose (`intake outbox retry <id>`): the failed job is replaced, the mail goes out.
    expect(await requeueOutboxRow(database.db, perm.id)).toBe(true);
    await eventually(async () => mailWithId(perm.message_id).length === 1, 'delivery after requeue');

    // A recipient refused with 550 at RCPT is suppressed for further automatic mail.
    receiver.rejectRecipients.add('ivan@customer.test');
    const rejected = (await newCaseFromEmail(customerMail('ivan@customer.test', 'Ivan'))).ack!;
    await eventually(async () => (await outboxRow(rejected.id)).status === 'failed', 'failed on 550');
    const suppression = await database.db
      .selectFrom('address_suppressions')
      .selectAll()
      .where('email', '=', 'ivan@customer.test')
      .executeTakeFirst();
    expect(suppression?.reason).toMatch(/550/);
  });

  it('CR/LF in a display name or subject injects no header and no recipient', async () => {
    const evil = 'Eve\r\nBcc: mallory@evil.test\r\nX-Injected: yes';
    const parsed = customerMail('eve@customer.test', evil, {
      subject: 'Hi\r\nBcc: mallory@evil.test\r\nX-Injected: subject',
    });
    const { caseRow, ack } = await newCaseFromEmail(parsed);
    const [mail] = await eventually(
      async () => (mailWithId(ack!.message_id).length ? mailWithId(ack!.message_id) : null),
      'ack to eve',
    );
    expect(mail!.rcptTo).toEqual(['eve@customer.test']);
    const lines = headerLines(mail!);
    expect(lines.filter((l) => /^(bcc|x-injected):/i.test(l))).toEqual([]);
    expect(lines.filter((l) => /^to:/i.test(l))).toHaveLength(1);
    expect(mail!.parsed.headers.has('x-injected')).toBe(false);
    expect(mail!.parsed.bcc).toBeUndefined();
    expect(mail!.parsed.subject).not.toMatch(/[\r\n]/);

    // Staff input: a crafted recipient is refused (400), so the note and its mail are not written.
    await expect(
      database.db.transaction().execute(async (trx) => {
        const { note, caseRow: c } = await addNote(trx, caseRow.id, {
          comment: 'x',
          is_public: true,
          created_by: 'Jane',
          send_email_notification: true,
        });
        return queueNoteEmail(
          trx,
          { config, logger },
          { caseRow: c, note, to: ['eve@customer.test\r\nBcc: mallory@evil.test'] },
        );
      }),
    ).rejects.toMatchObject({ name: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect(receiver.messages.some((m) => m.rcptTo.includes('mallory@evil.test'))).toBe(false);
  });

  it('the relay sends a row committed without any enqueue or notification, and a job run again for a sent row sends nothing', async () => {
    const { caseRow } = await newCaseFromEmail(customerMail('jon@customer.test', 'Jon', { classification: 'list' }));
    const messageId = `intake-raw-${randomBytes(4).toString('hex')}@example.test`;
    // Plain INSERT: no pg_notify, no job. Only the relay's sweep can find it.
    const row = await database.db
      .insertInto('outbox')
      .values({
        case_id: caseRow.id,
        kind: 'reply',
        automatic: false,
        to_addresses: ['jon@customer.test'],
        subject: 'Raw row',
        text_body: 'hello',
        message_id: messageId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await eventually(async () => mailWithId(messageId).length === 1, 'relay sweep delivery');
    await eventually(async () => (await outboxRow(row.id)).status === 'sent', 'sent');

    // The job runs again for the sent row (a redelivered or re-added job): the sender skips it.
    await (await outbound.queues.outbound.getJob(outboundJobId(row.id)))?.remove();
    await enqueueOutbound(outbound.queues, row.id);
    const job = await eventually(async () => {
      const j = await outbound.queues.outbound.getJob(outboundJobId(row.id));
      return j && (await j.getState()) === 'completed' ? j : null;
    }, 'second job done');
    expect(job.returnvalue).toBe('already-done');
    expect(mailWithId(messageId)).toHaveLength(1);
  });

  it('a crashed relay that added the job but not enqueued_at leads to one delivery, not two', async () => {
    const { caseRow } = await newCaseFromEmail(customerMail('lena@customer.test', 'Lena', { classification: 'list' }));
    const messageId = `intake-relay-${randomBytes(4).toString('hex')}@example.test`;
    const row = await database.db
      .insertInto('outbox')
      .values({
        case_id: caseRow.id,
        kind: 'reply',
        automatic: false,
        to_addresses: ['lena@customer.test'],
        subject: 'Twice?',
        text_body: 'x',
        message_id: messageId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // The crashed relay's add, then the restarted relays' sweeps (the running one and a second one).
    await enqueueOutbound(outbound.queues, row.id);
    await Promise.all([relayPending({ db: database.db, queues: outbound.queues, logger }), outbound.relay.sweep()]);
    await eventually(async () => mailWithId(messageId).length === 1, 'delivery');
    // Sent, whichever came first: a sweep marking it enqueued, or the crashed relay's job sending it (then the
    // sweeps find it no longer queued and leave it alone).
    await eventually(async () => (await outboxRow(row.id)).status === 'sent', 'marked sent');
    await new Promise((r) => setTimeout(r, 1_000));
    await outbound.relay.sweep();
    expect(mailWithId(messageId)).toHaveLength(1);
  });

  it('a row left "sending" by a crash mid-send is not sent again but marked failed as uncertain', async () => {
    const { caseRow } = await newCaseFromEmail(customerMail('kim@customer.test', 'Kim', { classification: 'bounce' }));
    const messageId = `intake-crash-${randomBytes(4).toString('hex')}@example.test`;
    const row = await database.db
      .insertInto('outbox')
      .values({
        case_id: caseRow.id,
        kind: 'reply',
        automatic: false,
        to_addresses: ['kim@customer.test'],
        subject: 'Crashed',
        text_body: 'x',
        message_id: messageId,
        status: 'sending',
        attempts: 1,
        enqueued_at: sql`now()`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueueOutbound(outbound.queues, row.id); // BullMQ re-runs the stalled job
    const failed = await eventually(
      async () => ((await outboxRow(row.id)).status === 'failed' ? outboxRow(row.id) : null),
      'uncertain',
    );
    expect(failed.last_error).toBe(UNCERTAIN_DELIVERY_ERROR);
    expect(mailWithId(messageId)).toHaveLength(0);
  });
});
