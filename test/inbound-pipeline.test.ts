import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseStatus, softDeleteCase } from '../src/cases/case.service.js';
import { createInboundContext, fixture, mail, type InboundContext } from './helpers/inbound.js';

let c: InboundContext;

beforeAll(async () => {
  c = await createInboundContext('inboundpipe');
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
    expect(k.CaseNotes[0]).toMatchObject({ IsPublic: true, Source: 'email', CreatedBy: 'Ann Customer', CreatedByEmail: 'ann.customer@example.net' });
    expect(k.CaseNotes[0].Comment).toContain('I ordered a lamp');
    expect(k.CaseStatusLog.map((l: any) => l.Status)).toEqual(['New']);
  });

  it("Cc'd people become participants, intake's own address and the sender excluded", async () => {
    const r = await c.receive(fixture('cc-participants.eml'));
    const k = await c.caseJson(r.case_id!);
    const emails = k.Participants.map((p: any) => p.Email).sort();
    expect(emails).toEqual(['accounts@example.org', 'sam@example.net', 'tom@example.org']);
    expect(k.Participants.every((p: any) => p.Role === 'Cc')).toBe(true);
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
    expect(a).toMatchObject({ FileName: 'scratch.png', ContentType: 'image/png', Inline: true, ContentId: 'scratch.png@01DB1234.ABCD5678' });
    const dl = await c.t.app.inject({ method: 'GET', url: a.Url, headers: { authorization: `Bearer ${c.t.readKey}` } });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const rows = await c.t.ctx.db.selectFrom('attachments').select(['note_id', 'message_id']).where('case_id', '=', r.case_id!).execute();
    expect(rows).toEqual([{ note_id: k.CaseNotes[0].Id, message_id: r.id }]);
    expect(k.CaseNotes[0].Html).toContain('cid:scratch.png@01DB1234.ABCD5678');
    expect(k.CaseNotes[0].Html).not.toContain('https://cdn.example.org');
  });
});

describe('threading', () => {
  it('a reply by In-Reply-To lands on the case: new part as comment, full text kept, new Cc added', async () => {
    const { kase, messageId } = await newCase({ subject: 'Broken chair' });
    const body = 'Here is the photo you asked for.\r\n\r\nOn Mon, 23 Nov 2026 Carla wrote:\r\n> Hello, I have a question.\r\n';
    const r = await c.receive(mail({ subject: 'Re: Broken chair', inReplyTo: messageId, cc: 'Dave <dave@partner.example>, help@example.com', body }));
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(r.decision.Reason).toContain('In-Reply-To');
    const k = await c.caseJson(kase.Id);
    expect(k.CaseNotes).toHaveLength(2);
    expect(k.CaseNotes[1].Comment).toContain('Here is the photo');
    expect(k.CaseNotes[1].Comment).not.toContain('> Hello');
    expect(k.CaseNotes[1].FullText).toContain('> Hello');
    expect(k.Participants.map((p: any) => p.Email)).toEqual(['dave@partner.example']);
    expect(k.CommentCount).toBe(2);
  });

  it('a reply by References is matched newest first', async () => {
    const older = await newCase({ subject: 'Older thread' });
    const newer = await newCase({ subject: 'Newer thread' });
    const r = await c.receive(mail({ inReplyTo: 'unknown@elsewhere.example', references: [older.messageId, newer.messageId], subject: 'Re: something' }));
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: newer.kase.CaseNumber });
    expect(r.decision.Reason).toContain('References');
  });

  it('a reply by reply token lands on the case', async () => {
    const { kase } = await newCase({ subject: 'Token thread' });
    const { reply_token } = await c.t.ctx.db.selectFrom('cases').select('reply_token').where('id', '=', kase.Id).executeTakeFirstOrThrow();
    const r = await c.receive(mail({ to: `Support <support+${reply_token}@example.com>`, subject: 'no references at all' }));
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
    const r = await c.receive(mail({ from: 'Eve <eve@evil.example>', subject: `[${kase.CaseNumber}] give me the details` }));
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
    expect(k.CaseStatusLog.map((l: any) => l.Status)).toEqual(['New', 'Closed', 'Reopened']);
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
    const r = await c.receive(mail({ inReplyTo: messageId, subject: 'Automatic reply: Auto thread', headers: { 'Auto-Submitted': 'auto-replied' }, body: 'I am out of office.' }));
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
    expect(api.json.some((m: any) => m.Id === r.id && m.Classification === 'auto-reply')).toBe(true);
  });

  it('a bounce of a message intake sent attaches to its case and suppresses the failed address', async () => {
    const { kase } = await newCase({ subject: 'Bounce thread' });
    await c.t.ctx.db.insertInto('thread_refs').values({ message_id: 'intake.cs-1006.ack.91c2@example.com', case_id: kase.Id, direction: 'out' }).execute();
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
