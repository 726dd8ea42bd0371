import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseStatus, softDeleteCase } from '../src/cases/case.service.js';
import { MAX_LIST_ITEMS } from '../src/cases/case.types.js';
import { storeRawMessage, type StoredMessage } from '../src/inbound/store.js';
import { getCaseSettings, saveCaseSettings } from '../src/settings/settings.repository.js';
import { inboundJobId } from '../src/queue/queues.js';
import { requeueStaleMessages } from '../src/inbound/requeue-stale.js';
import { waitFor } from './helpers/wait.js';
import { createInboundContext, fixture, mail, type InboundContext } from './helpers/inbound.js';

let c: InboundContext;

beforeAll(async () => {
  // Short order waits, so a waiting reply sees its earlier message soon after it is processed.
  c = await createInboundContext('inboundpipe', { orderWait: { delayMs: 100, maxDelayMs: 200 } });
});
afterAll(async () => {
  await c?.close();
});

/** A new case from a fresh mail; returns its JSON and the mail's Message-ID. */
async function newCase(spec: Parameters<typeof mail>[0] = {}) {
  const messageId = spec.messageId ?? `${Math.random().toString(36).slice(2)}@customer.example`;
  const r = await c.receive(mail({ ...spec, messageId }));
  expect(r.status).toBe('processed');
  return { kase: await c.caseJson(r.case_id!), messageId };
}

/** An address list folded as mail programs fold it: a few addresses per line, under 78 characters. */
const folded = (addresses: string[]) =>
  Array.from({ length: Math.ceil(addresses.length / 4) }, (_, i) => addresses.slice(i * 4, i * 4 + 4).join(', ')).join(
    ',\r\n ',
  );

describe('new mail', () => {
  it('a new email becomes a case with Status New, Source Email, the customer and a first public note', async () => {
    const r = await c.receive(fixture('new-plain.eml'));
    expect(r.status).toBe('processed');
    expect(r.decision).toMatchObject({ Action: 'new-case' });
    const k = await c.caseJson(r.case_id!);
    expect(k).toMatchObject({
      Status: 'New',
      Source: 'Email',
      Subject: 'My parcel has not arrived',
      CustomerName: 'Ann Customer',
      CustomerEmail: 'ann.customer@example.net',
    });
    expect(r.decision.CaseNumber).toBe(k.CaseNumber);
    expect(k.Description).toContain('I ordered a lamp two weeks ago');
    expect(k.CaseNotes).toHaveLength(1);
    expect(k.CaseNotes[0]).toMatchObject({
      IsPublic: true,
      Source: 'email',
      CreatedBy: 'Ann Customer',
      CreatedByEmail: 'ann.customer@example.net',
    });
    expect(k.CaseNotes[0].Comment).toContain('I ordered a lamp');
    expect(k.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['New']);
  });

  it("Cc'd people become participants, intake's own address and the sender excluded", async () => {
    const r = await c.receive(fixture('cc-participants.eml'));
    const k = await c.caseJson(r.case_id!);
    const emails = k.Participants.map((p: { Email: string }) => p.Email).sort();
    expect(emails).toEqual(['accounts@example.org', 'sam@example.net', 'tom@example.org']);
    expect(k.Participants.every((p: { Role: string }) => p.Role === 'Cc')).toBe(true);
  });

  it('a mail Cc-ing 20,000 people makes a case with the first 1,000 as participants, which a GET-modify-PUT keeps', async () => {
    const cc = Array.from({ length: 20_000 }, (_, i) => `p${i}@cc.example`);
    const messageId = 'everyone-in-copy@customer.example';
    const r = await c.receive(mail({ subject: 'Everyone in copy', messageId, cc: folded(cc) }));
    expect(r.status, r.error ?? '').toBe('processed');
    expect(r.decision.Reason).toContain(`19000 Cc participants left out (a case holds at most ${MAX_LIST_ITEMS})`);
    const k = await c.caseJson(r.case_id!);
    expect(k.CustomerEmail).toBe('carla@customer.example');
    expect(k.Participants.map((p: { Email: string }) => p.Email)).toEqual(cc.slice(0, MAX_LIST_ITEMS));
    const put = await c.t.call('PUT', '/api/cases', { ...k, Subject: 'Everyone in copy, renamed' });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.Subject).toBe('Everyone in copy, renamed');
    expect(put.json.Participants).toEqual(k.Participants);

    // A reply Cc-ing 20,000 more adds none: the case is full, and keeps every participant it had.
    const more = Array.from({ length: 20_000 }, (_, i) => `q${i}@cc.example`);
    const reply = await c.receive(mail({ subject: 'Re: Everyone in copy', inReplyTo: messageId, cc: folded(more) }));
    expect(reply.status, reply.error ?? '').toBe('processed');
    expect(reply.case_id).toBe(k.Id);
    expect(reply.decision.Reason).toContain('20000 Cc participants left out');
    const after = await c.caseJson(k.Id);
    expect(after.Participants).toEqual(k.Participants);
    expect((await c.t.call('PUT', '/api/cases', { ...after, Subject: 'Still fine' })).status).toBe(200);
  });

  it('#12345 in the subject links the orders, de-duplicated', async () => {
    const r = await c.receive(fixture('new-order-ref.eml'));
    const k = await c.caseJson(r.case_id!);
    expect(k.RelatedOrders).toEqual(['12345', '98765']);
  });

  it('attachments and inline cid: images are stored on the first note and downloadable', async () => {
    const r = await c.receive(fixture('inline-image.eml'));
    const k = await c.caseJson(r.case_id!);
    const [a] = k.CaseNotes[0].Attachments;
    expect(a).toMatchObject({
      FileName: 'scratch.png',
      ContentType: 'image/png',
      Inline: true,
      ContentId: 'scratch.png@01DB1234.ABCD5678',
    });
    const dl = await c.t.app.inject({ method: 'GET', url: a.Url, headers: { authorization: `Bearer ${c.t.readKey}` } });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const rows = await c.t.ctx.db
      .selectFrom('attachments')
      .select(['note_id', 'message_id'])
      .where('case_id', '=', r.case_id!)
      .execute();
    expect(rows).toEqual([{ note_id: k.CaseNotes[0].Id, message_id: r.id }]);
    expect(k.CaseNotes[0].Html).toContain('cid:scratch.png@01DB1234.ABCD5678');
    expect(k.CaseNotes[0].Html).not.toContain('https://cdn.example.org');
  });
});

describe('a database created again while Redis keeps the old jobs', () => {
  it("a new message whose row id an earlier database's job already used becomes a case at once", async () => {
    const seq = await sql<{
      last_value: string;
      is_called: boolean;
    }>`SELECT last_value, is_called FROM messages_id_seq`.execute(c.t.ctx.db);
    const { last_value, is_called } = seq.rows[0]!;
    const nextId = String(Number(last_value) + (is_called ? 1 : 0));
    // What an earlier database left in Redis: a finished job for a message with the id the next row will get
    // (completed jobs are kept for a day). Its row does not exist here, so the worker finishes it as missing.
    const old = await c.queues.inbound.add(
      'message',
      {
        messageRowId: nextId,
        mailbox: 'test',
        messageId: null,
        from: null,
        subject: 'earlier database',
        date: null,
        size: 1,
        receivedAt: '2026-01-01T00:00:00.000Z',
      },
      { jobId: `msg-${nextId}` },
    );
    await expect.poll(async () => old.getState(), { timeout: 10_000 }).toBe('completed');

    const r = await c.receive(mail({ subject: 'After the database was created again' }));
    expect(r.id).toBe(nextId);
    expect(r.status).toBe('processed');
    expect((await c.caseJson(r.case_id!)).Subject).toBe('After the database was created again');
  });
});

describe('settings', () => {
  it("a new case follows a settings change the worker's cached copy has not seen yet", async () => {
    await newCase({ subject: 'Warms the worker cache' });
    const before = await getCaseSettings(c.t.ctx.db);
    await saveCaseSettings(c.t.ctx.db, { ...before, NumberPrefix: 'MAIL-', StatusNew: 'Open' });
    try {
      const { kase } = await newCase({ subject: 'After the change' });
      expect(kase.CaseNumber).toMatch(/^MAIL-\d+$/);
      expect(kase.Status).toBe('Open');
      expect(kase.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['Open']);
    } finally {
      await saveCaseSettings(c.t.ctx.db, before);
    }
  });
});

describe('threading', () => {
  it('a reply by In-Reply-To lands on the case: new part as comment, full text kept, new Cc added', async () => {
    const { kase, messageId } = await newCase({ subject: 'Broken chair' });
    const body =
      'Here is the photo you asked for.\r\n\r\nOn Mon, 23 Nov 2026 Carla wrote:\r\n> Hello, I have a question.\r\n';
    const r = await c.receive(
      mail({
        subject: 'Re: Broken chair',
        inReplyTo: messageId,
        cc: 'Dave <dave@partner.example>, help@example.com',
        body,
      }),
    );
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(r.decision.Reason).toContain('In-Reply-To');
    const k = await c.caseJson(kase.Id);
    expect(k.CaseNotes).toHaveLength(2);
    expect(k.CaseNotes[1].Comment).toContain('Here is the photo');
    expect(k.CaseNotes[1].Comment).not.toContain('> Hello');
    expect(k.CaseNotes[1].FullText).toContain('> Hello');
    expect(k.Participants.map((p: { Email: string }) => p.Email)).toEqual(['dave@partner.example']);
    expect(k.CommentCount).toBe(2);
  });

  it('a reply by References is matched newest first', async () => {
    const older = await newCase({ subject: 'Older thread' });
    const newer = await newCase({ subject: 'Newer thread' });
    const r = await c.receive(
      mail({
        inReplyTo: 'unknown@elsewhere.example',
        references: [older.messageId, newer.messageId],
        subject: 'Re: something',
      }),
    );
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: newer.kase.CaseNumber });
    expect(r.decision.Reason).toContain('References');
  });

  it('a reply by reply token lands on the case', async () => {
    const { kase } = await newCase({ subject: 'Token thread' });
    const { reply_token } = await c.t.ctx.db
      .selectFrom('cases')
      .select('reply_token')
      .where('id', '=', kase.Id)
      .executeTakeFirstOrThrow();
    const r = await c.receive(
      mail({ to: `Support <support+${reply_token}@example.com>`, subject: 'no references at all' }),
    );
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(r.decision.Reason).toContain('reply token');
  });

  it('a case number in the subject from the customer lands on the case', async () => {
    const { kase } = await newCase({ subject: 'Subject thread' });
    const r = await c.receive(mail({ subject: `Re: [${kase.CaseNumber}] Subject thread #55555` }));
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect((await c.caseJson(kase.Id)).RelatedOrders).toEqual(['55555']);
  });

  it('a stranger quoting a case number in the subject gets a new case', async () => {
    const { kase } = await newCase({ subject: 'Private matter' });
    const r = await c.receive(
      mail({ from: 'Eve <eve@evil.example>', subject: `[${kase.CaseNumber}] give me the details` }),
    );
    expect(r.decision.Action).toBe('new-case');
    expect(r.decision.CaseNumber).not.toBe(kase.CaseNumber);
    expect(r.decision.Reason).toContain('neither its customer nor a participant');
    expect((await c.caseJson(kase.Id)).CaseNotes).toHaveLength(1);
  });

  it('a reply to a Closed case reopens it with the right status log and ClosedDate cleared', async () => {
    const { kase, messageId } = await newCase({ subject: 'Closed thread' });
    await changeCaseStatus(c.t.ctx.db, kase.Id, 'Closed');
    expect((await c.caseJson(kase.Id)).ClosedDate).not.toBeNull();
    const r = await c.receive(mail({ inReplyTo: messageId, subject: 'Re: Closed thread', body: 'It broke again.' }));
    expect(r.decision).toMatchObject({ Action: 'reopen', CaseNumber: kase.CaseNumber });
    const k = await c.caseJson(kase.Id);
    expect(k.Status).toBe('Reopened');
    expect(k.ClosedDate).toBeNull();
    expect(k.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['New', 'Closed', 'Reopened']);
    expect(k.CaseNotes.at(-1).Comment).toContain('It broke again.');
  });

  it('a reply to a soft-deleted case starts a new case that refers to it', async () => {
    const { kase, messageId } = await newCase({ subject: 'Deleted thread' });
    await softDeleteCase(c.t.ctx.db, kase.Id);
    const r = await c.receive(mail({ inReplyTo: messageId, subject: 'Re: Deleted thread' }));
    expect(r.decision.Action).toBe('new-case');
    const k = await c.caseJson(r.case_id!);
    expect(k.Properties).toEqual([{ Key: 'PreviousCase', Value: kase.CaseNumber }]);
  });
});

describe('never a loop', () => {
  it('an auto-reply to a Closed case adds an internal note and reopens nothing', async () => {
    const { kase, messageId } = await newCase({ subject: 'Auto thread' });
    await changeCaseStatus(c.t.ctx.db, kase.Id, 'Closed');
    const before = await c.countCases();
    const r = await c.receive(
      mail({
        inReplyTo: messageId,
        subject: 'Automatic reply: Auto thread',
        headers: { 'Auto-Submitted': 'auto-replied' },
        body: 'I am out of office.',
      }),
    );
    expect(r.status).toBe('processed');
    const k = await c.caseJson(kase.Id);
    expect(k.Status).toBe('Closed');
    expect(k.CaseNotes).toHaveLength(1);
    expect(k.InternalNotes).toHaveLength(1);
    expect(k.InternalNotes[0].Comment).toContain('out of office');
    expect(await c.countCases()).toBe(before);
    // No hook ran, so no outbound mail was written for it.
    expect(await c.t.ctx.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });

  it('an auto-reply that belongs to no case is stored as ignored and creates no case', async () => {
    const before = await c.countCases();
    const r = await c.receive(fixture('auto-reply-ooo.eml'));
    expect(r.status).toBe('ignored');
    expect(r.decision).toMatchObject({ Action: 'ignore', CaseNumber: null });
    expect(await c.countCases()).toBe(before);
    const api = await c.t.call('GET', '/api/inbound/messages?Status=ignored', undefined, c.t.readKey);
    expect(
      api.json.some((m: { Id: string; Classification: string }) => m.Id === r.id && m.Classification === 'auto-reply'),
    ).toBe(true);
  });

  it('a bounce of a message intake sent attaches to its case and suppresses the failed address', async () => {
    const { kase } = await newCase({ subject: 'Bounce thread' });
    // The mail intake sent (the outbox row names its recipients) and its thread ref, as queueing it writes them.
    const sentId = 'intake.cs-1006.ack.91c2@example.com';
    await c.t.ctx.db
      .insertInto('outbox')
      .values({
        ...{ case_id: kase.Id, note_id: null, kind: 'reply', automatic: false, subject: 'Re: Bounce thread' },
        ...{ to_addresses: ['no.such.user@example.net'], text_body: 'Hello', html_body: null, message_id: sentId },
        ...{ in_reply_to: null, reply_to: null, status: 'sent', last_error: null, sent_at: new Date() },
        ...{ enqueued_at: new Date(), to_name: null, ack_key: null, ack_domain: null },
      })
      .execute();
    await c.t.ctx.db
      .insertInto('thread_refs')
      .values({ message_id: sentId, case_id: kase.Id, direction: 'out' })
      .execute();
    const before = await c.countCases();
    const r = await c.receive(fixture('bounce-dsn.eml'));
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    const k = await c.caseJson(kase.Id);
    expect(k.Status).toBe('New');
    expect(k.InternalNotes).toHaveLength(1);
    expect(await c.countCases()).toBe(before);
    const sup = await c.t.ctx.db.selectFrom('address_suppressions').selectAll().execute();
    expect(sup.map((s) => s.email)).toEqual(['no.such.user@example.net']);
    expect(sup[0]!.reason).toContain('5.1.1');
  });
});

describe('ordering during a backlog', () => {
  const store = (raw: string) => storeRawMessage(c.t.ctx.db, { mailbox: 'backlog', raw: Buffer.from(raw) });
  const enqueue = (...stored: StoredMessage[]) =>
    c.queues.inbound.addBulk(
      stored.map((s) => ({ name: 'message', data: s.job, opts: { jobId: inboundJobId(s.job) } })),
    );
  async function notesOf(caseId: string) {
    return c.t.ctx.db
      .selectFrom('case_notes')
      .select(['message_id', 'comment'])
      .where('case_id', '=', caseId)
      .orderBy('created')
      .orderBy('id')
      .execute();
  }

  it('a reply queued before the message it answers waits for it: one case, the first note first', async () => {
    const a = await store(mail({ messageId: 'order-a@customer.example', subject: 'Order A', body: 'First message.' }));
    const b = await store(
      mail({
        messageId: 'order-b@customer.example',
        inReplyTo: 'order-a@customer.example',
        subject: 'Re: Order A',
        body: 'Second message.',
      }),
    );
    await enqueue(b);
    // B runs alone first, finds A stored but not processed, and is delayed without using an attempt.
    await expect
      .poll(async () => (await c.queues.inbound.getJob(inboundJobId(b.job)))?.getState(), { timeout: 10_000 })
      .toBe('delayed');
    const waiting = await c.t.ctx.db
      .selectFrom('messages')
      .select(['status', 'attempts'])
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(waiting).toEqual({ status: 'queued', attempts: 0 });
    await enqueue(a);
    const [ra, rb] = [await c.settled(a.id), await c.settled(b.id)];
    expect(ra.decision.Action).toBe('new-case');
    expect(rb.decision).toMatchObject({ Action: 'reply', CaseNumber: ra.decision.CaseNumber });
    expect(rb.decision.Reason).toMatch(/In-Reply-To.*; waited \d+× .* for an earlier message it refers to/);
    expect(rb.case_id).toBe(ra.case_id);
    expect((await notesOf(ra.case_id!)).map((n) => n.message_id)).toEqual([a.id, b.id]);
    // The waits used no attempt: only the run that completed counts.
    expect(rb.attempts).toBe(1);
    expect((await c.queues.inbound.getJob(inboundJobId(b.job)))?.attemptsMade).toBe(1);
  });

  it('threads queued newest first and processed in parallel each become one case with their notes in order', async () => {
    const threads: StoredMessage[][] = [];
    for (let t = 0; t < 4; t++) {
      const ids = [0, 1, 2].map((i) => `order-t${t}-${i}@customer.example`);
      threads.push([
        await store(mail({ messageId: ids[0], subject: `Thread ${t}` })),
        await store(mail({ messageId: ids[1], inReplyTo: ids[0], references: [ids[0]!], subject: `Re: Thread ${t}` })),
        await store(
          mail({ messageId: ids[2], inReplyTo: ids[1], references: [ids[0]!, ids[1]!], subject: `Re: Thread ${t}` }),
        ),
      ]);
    }
    await enqueue(...threads.flat().reverse());
    for (const thread of threads) {
      const rows = [];
      for (const m of thread) rows.push(await c.settled(m.id));
      expect(rows.map((r) => r.decision.Action)).toEqual(['new-case', 'reply', 'reply']);
      expect(new Set(rows.map((r) => r.case_id)).size).toBe(1);
      expect((await notesOf(rows[0]!.case_id!)).map((n) => n.message_id)).toEqual(thread.map((m) => m.id));
    }
  });

  it('a reply whose earlier message lost its job waits until the sweep queues that one again, then joins its case', async () => {
    // A is stored but its job never comes (as if Redis had lost it): A is still on its way, so B must not give up.
    const a = await store(mail({ messageId: 'order-lost@customer.example', subject: 'Lost' }));
    const b = await store(
      mail({
        messageId: 'order-orphan@customer.example',
        inReplyTo: 'order-lost@customer.example',
        subject: 'Re: Lost',
      }),
    );
    await enqueue(b);
    await waitFor('B to have waited three times', async () => {
      const job = await c.queues.inbound.getJob(inboundJobId(b.job));
      return ((job?.data as { orderWait?: { waits: number } } | undefined)?.orderWait?.waits ?? 0) >= 3;
    });
    expect(
      (await c.t.ctx.db.selectFrom('messages').select('status').where('id', '=', b.id).executeTakeFirst())?.status,
    ).toBe('queued');
    // The stale-row sweep finds A without a job and queues it again.
    const swept = await requeueStaleMessages(c.t.ctx.db, c.queues, { queuedMs: 0, processingMs: 0 });
    expect(swept.requeued).toContain(a.id);
    const [ra, rb] = [await c.settled(a.id), await c.settled(b.id)];
    expect(ra.decision.Action).toBe('new-case');
    expect(rb.decision.Action).toBe('reply');
    expect(rb.case_id).toBe(ra.case_id);
    expect(rb.decision.Reason).toMatch(/waited \d+× \([\d.]+ s\) for an earlier message it refers to/);
    expect(rb.attempts).toBe(1);
  });

  it('a failed earlier message never blocks a reply to it', async () => {
    const a = await store(mail({ messageId: 'order-failed@customer.example', subject: 'Failed parent' }));
    await c.t.ctx.db
      .updateTable('messages')
      .set({ status: 'failed', error: 'kept as failed by the test' })
      .where('id', '=', a.id)
      .execute();
    const b = await store(
      mail({
        messageId: 'order-after-failed@customer.example',
        inReplyTo: 'order-failed@customer.example',
        subject: 'Re: Failed parent',
      }),
    );
    await enqueue(b);
    const rb = await c.settled(b.id);
    expect(rb.decision.Action).toBe('new-case');
    expect(rb.decision.Reason).not.toContain('waited');
    expect((await c.queues.inbound.getJob(inboundJobId(b.job)))?.data).not.toHaveProperty('orderWait');
  });
});
