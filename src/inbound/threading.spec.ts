import { describe, expect, it } from 'vitest';
import type { ParsedMessage } from '../mail/message.types.js';
import { newOwnMessageId } from '../mail/signed-message-id.js';
import { decideThread, referencesNewestFirst, type ThreadCase, type ThreadLookup } from './threading.js';
import type { TrustOptions } from './trust-policy.js';

function parsed(overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    messageId: 'new@customer.example',
    inReplyTo: null,
    references: [],
    from: { name: 'Ann Customer', email: 'ann@customer.example' },
    replyTo: [],
    to: [{ name: 'Support', email: 'support@intake.example' }],
    cc: [],
    deliveredTo: [],
    subject: 'Help',
    cleanSubject: 'Help',
    date: null,
    text: 'Hello',
    html: null,
    replyText: 'Hello',
    orderRefs: [],
    caseRefs: [],
    replyTokens: [],
    classification: 'normal',
    classificationReason: 'no automatic-mail signs',
    bounce: null,
    attachments: [],
    ...overrides,
  };
}

function kase(n: number, overrides: Partial<ThreadCase> = {}): ThreadCase {
  return {
    id: `id-${n}`,
    caseNumber: `CS-${n}`,
    status: 'New',
    deleted: false,
    customerEmail: 'ann@customer.example',
    participantEmails: [],
    ...overrides,
  };
}

/** An in-memory lookup: what the database would answer. */
function lookup(
  data: {
    tokens?: Record<string, ThreadCase>;
    refs?: Record<string, [ThreadCase, 'in' | 'out']>;
    /** Further cases a Message-ID belongs to (after the one in `refs`). */
    moreRefs?: Record<string, ThreadCase[]>;
    numbers?: Record<string, ThreadCase>;
    ids?: Record<string, ThreadCase>;
  } = {},
) {
  const asked: string[] = [];
  const l: ThreadLookup = {
    async caseByReplyToken(token) {
      asked.push(`token:${token}`);
      return data.tokens?.[token] ?? null;
    },
    async caseByMessageId(id, direction) {
      asked.push(`ref:${id}`);
      const hit = data.refs?.[id];
      if (!hit || (direction && hit[1] !== direction)) return null;
      return { case: hit[0], direction: hit[1] };
    },
    async casesByMessageIds(ids) {
      asked.push(...ids.map((id) => `ref:${id}`));
      const found = new Map<string, ThreadCase[]>();
      for (const id of ids) if (data.refs?.[id]) found.set(id, [data.refs[id][0], ...(data.moreRefs?.[id] ?? [])]);
      return found;
    },
    async caseById(id) {
      asked.push(`id:${id}`);
      return data.ids?.[id] ?? null;
    },
    async caseByNumber(number) {
      asked.push(`number:${number}`);
      return data.numbers?.[number] ?? null;
    },
  };
  return { l, asked };
}

const keys = { messageIdSecret: 'current', messageIdOldSecrets: ['before'], messageIdDomain: 'intake.example' };
const trust: TrustOptions = { trustedAuthservIds: ['mx.intake.example'], keys };
const opts = { statusClosed: 'Closed', trust };
const CASE_UUID = '0b8e3c1e-5d1c-4f5e-9a3b-2f1d4c6e7a8b';
const eve = { name: 'Eve', email: 'eve@evil.example' };

describe('decideThread', () => {
  it('a message that matches nothing starts a new case', async () => {
    const d = await decideThread(parsed(), lookup().l, opts);
    expect(d.action).toBe('new-case');
    expect(d.caseNumber).toBeNull();
    expect(d.rule).toBeNull();
  });

  it('a reply token wins over In-Reply-To and the subject', async () => {
    const { l } = lookup({
      tokens: { tok1: kase(1001) },
      refs: { 'a@x': [kase(1002), 'out'] },
      numbers: { 'CS-1003': kase(1003) },
    });
    const d = await decideThread(parsed({ replyTokens: ['tok1'], inReplyTo: 'a@x', caseRefs: ['CS-1003'] }), l, opts);
    expect(d).toMatchObject({ action: 'reply', caseNumber: 'CS-1001', rule: 'reply-token' });
    expect(d.reason).toContain('reply token tok1');
  });

  it('In-Reply-To matches a Message-ID intake sent or received', async () => {
    const { l } = lookup({ refs: { 'sent@intake': [kase(1001), 'out'] } });
    const d = await decideThread(parsed({ inReplyTo: 'sent@intake' }), l, opts);
    expect(d).toMatchObject({ action: 'reply', caseNumber: 'CS-1001', rule: 'in-reply-to' });
  });

  it('References are tried newest first and unknown ones fall through', async () => {
    const { l, asked } = lookup({ refs: { 'old@x': [kase(1001), 'in'], 'mid@x': [kase(1002), 'out'] } });
    const d = await decideThread(
      parsed({ inReplyTo: 'unknown@x', references: ['old@x', 'mid@x', 'newest@x'] }),
      l,
      opts,
    );
    expect(d).toMatchObject({ action: 'reply', caseNumber: 'CS-1002', rule: 'references' });
    expect(asked.filter((a) => a.startsWith('ref:'))).toEqual([
      'ref:new@customer.example',
      'ref:unknown@x',
      'ref:newest@x',
      'ref:mid@x',
      'ref:old@x',
    ]);
  });

  it('a case number in the subject threads when the sender is the customer', async () => {
    const { l } = lookup({ numbers: { 'CS-1001': kase(1001) } });
    const d = await decideThread(parsed({ caseRefs: ['CS-1001'] }), l, opts);
    expect(d).toMatchObject({ action: 'reply', caseNumber: 'CS-1001', rule: 'subject' });
  });

  it('a case number in the subject threads when the sender is a participant (any case of address)', async () => {
    const { l } = lookup({ numbers: { 'CS-1001': kase(1001, { participantEmails: ['bob@partner.example'] }) } });
    const d = await decideThread(
      parsed({ caseRefs: ['CS-1001'], from: { name: 'Bob', email: 'Bob@Partner.example' } }),
      l,
      opts,
    );
    expect(d).toMatchObject({ action: 'reply', rule: 'subject' });
  });

  it('a stranger quoting a case number gets a new case, and the reason says why', async () => {
    const { l } = lookup({ numbers: { 'CS-1001': kase(1001) } });
    const d = await decideThread(
      parsed({ caseRefs: ['CS-1001'], from: { name: 'Eve', email: 'eve@evil.example' } }),
      l,
      opts,
    );
    expect(d.action).toBe('new-case');
    expect(d.reason).toContain('eve@evil.example is neither its customer nor a participant');
  });

  it('Reply-To never counts as the sender, even naming the customer', async () => {
    const { l } = lookup({ numbers: { 'CS-1001': kase(1001) } });
    const msg = parsed({
      caseRefs: ['CS-1001'],
      from: { name: 'Relay', email: 'relay@forms.example' },
      replyTo: [{ name: 'Ann', email: 'ann@customer.example' }],
    });
    expect(await decideThread(msg, l, opts)).toMatchObject({
      action: 'new-case',
      possiblyRelated: { caseNumber: 'CS-1001' },
    });
  });

  it('a normal reply to a Closed case reopens it', async () => {
    const { l } = lookup({ refs: { 'a@x': [kase(1001, { status: 'Closed' }), 'out'] } });
    const d = await decideThread(parsed({ inReplyTo: 'a@x' }), l, opts);
    expect(d.action).toBe('reopen');
  });

  it('a reply to a soft-deleted case starts a new case that refers to it', async () => {
    const deleted = kase(1001, { deleted: true });
    const { l } = lookup({ refs: { 'a@x': [deleted, 'in'] } });
    const d = await decideThread(parsed({ inReplyTo: 'a@x' }), l, opts);
    expect(d).toMatchObject({ action: 'new-case', caseNumber: null, previousCase: deleted });
  });

  it('an auto-reply on a Closed case becomes an internal note and never reopens', async () => {
    const { l } = lookup({ refs: { 'a@x': [kase(1001, { status: 'Closed' }), 'out'] } });
    const d = await decideThread(
      parsed({ inReplyTo: 'a@x', classification: 'auto-reply', classificationReason: 'Auto-Submitted: auto-replied' }),
      l,
      opts,
    );
    expect(d).toMatchObject({ action: 'reply', internal: true, caseNumber: 'CS-1001' });
  });

  it('automatic mail that threads nowhere is ignored, never a new case', async () => {
    for (const classification of ['auto-reply', 'bounce', 'list', 'feedback-report'] as const) {
      const d = await decideThread(parsed({ classification }), lookup().l, opts);
      expect(d.action).toBe('ignore');
    }
  });

  it('a bounce of a message intake sent attaches to that case', async () => {
    const { l } = lookup({ refs: { 'ack@intake': [kase(1001), 'out'] } });
    const bounce = {
      originalMessageId: 'ack@intake',
      recipients: [{ email: 'gone@x', status: '5.1.1', action: 'failed' }],
      permanent: true,
    };
    const d = await decideThread(parsed({ classification: 'bounce', bounce }), l, opts);
    expect(d).toMatchObject({ action: 'reply', internal: true, rule: 'bounce', caseNumber: 'CS-1001' });
  });

  it('a bounce naming a message received (not sent) by intake does not match by the bounce rule', async () => {
    const { l } = lookup({ refs: { 'in@x': [kase(1001), 'in'] } });
    const bounce = { originalMessageId: 'in@x', recipients: [], permanent: true };
    const d = await decideThread(parsed({ classification: 'bounce', bounce }), l, opts);
    expect(d.action).toBe('ignore');
  });

  it('our own sent message coming back is ignored', async () => {
    const { l } = lookup({ refs: { 'new@customer.example': [kase(1001), 'out'] } });
    const d = await decideThread(parsed(), l, opts);
    expect(d).toMatchObject({ action: 'ignore', rule: 'own-message' });
  });

  it('a message whose Message-ID was already received for a case is a duplicate', async () => {
    const { l } = lookup({ refs: { 'new@customer.example': [kase(1001), 'in'] } });
    const d = await decideThread(parsed(), l, opts);
    expect(d).toMatchObject({ action: 'ignore', rule: 'duplicate', caseNumber: 'CS-1001' });
  });
});

describe('decideThread: who may steer a message onto a case', () => {
  const signedCase = kase(1001, { id: CASE_UUID });

  it("a Message-ID intake signed threads a stranger's reply onto the case it names, but adds no participants", async () => {
    const id = newOwnMessageId(keys, CASE_UUID);
    const { l } = lookup({ refs: { [id]: [signedCase, 'out'] } });
    const d = await decideThread(parsed({ from: eve, inReplyTo: id, cc: [eve] }), l, opts);
    expect(d).toMatchObject({ action: 'reply', caseNumber: 'CS-1001', rule: 'in-reply-to', addsParticipants: false });
    expect(d.reason).toContain('signed for CS-1001');
  });

  it('a signed id threads by its signature even without a thread_refs row, also under an old secret', async () => {
    const id = newOwnMessageId({ ...keys, messageIdSecret: 'before' }, CASE_UUID);
    const { l, asked } = lookup({ ids: { [CASE_UUID]: signedCase } });
    const d = await decideThread(parsed({ references: ['x@y', id] }), l, opts);
    expect(d).toMatchObject({ action: 'reply', caseNumber: 'CS-1001', rule: 'references', addsParticipants: true });
    expect(asked).toContain(`id:${CASE_UUID}`);
  });

  it('an id shaped like ours but signed with another secret is no signature', async () => {
    const forged = newOwnMessageId({ ...keys, messageIdSecret: 'guessed' }, CASE_UUID);
    const { l } = lookup({ refs: { [forged]: [signedCase, 'out'] }, ids: { [CASE_UUID]: signedCase } });
    const d = await decideThread(parsed({ from: eve, inReplyTo: forged }), l, opts);
    expect(d).toMatchObject({ action: 'new-case', possiblyRelated: signedCase });
  });

  it("a planted Message-ID: a reply to it from someone else starts a new case naming the planter's case", async () => {
    // Eve's case got the newsletter's Message-ID; Ann replies to the newsletter.
    const evesCase = kase(1002, { customerEmail: 'eve@evil.example' });
    const { l } = lookup({ refs: { 'newsletter@shop.example': [evesCase, 'in'] } });
    const d = await decideThread(parsed({ inReplyTo: 'newsletter@shop.example' }), l, opts);
    expect(d).toMatchObject({
      action: 'new-case',
      caseNumber: null,
      possiblyRelated: evesCase,
      addsParticipants: true,
    });
    expect(d.reason).toContain('possibly related to CS-1002');
    expect(d.reason).toContain('ann@customer.example is neither its customer nor a participant');
  });

  it('of several cases holding a Message-ID, the one the sender belongs to is chosen', async () => {
    const evesCase = kase(1002, { customerEmail: 'eve@evil.example' });
    const { l } = lookup({ refs: { 'm@x': [evesCase, 'in'] }, moreRefs: { 'm@x': [kase(1001)] } });
    expect(await decideThread(parsed({ inReplyTo: 'm@x' }), l, opts)).toMatchObject({
      action: 'reply',
      caseNumber: 'CS-1001',
    });
  });

  it('a stranger knowing a Message-ID of a Closed case neither adds to it nor reopens it', async () => {
    const closed = kase(1001, { status: 'Closed' });
    const { l } = lookup({ refs: { 'a@customer.example': [closed, 'in'] } });
    const d = await decideThread(parsed({ from: eve, references: ['a@customer.example'] }), l, opts);
    expect(d).toMatchObject({ action: 'new-case', possiblyRelated: closed });
  });

  it("the customer's own address fails when the trusted server reports DMARC fail, or the From names two", async () => {
    const { l } = lookup({ refs: { 'a@x': [kase(1001), 'in'] }, numbers: { 'CS-1001': kase(1001) } });
    const failing = {
      fromAddresses: 1,
      authenticationResults: ['mx.intake.example; dmarc=fail (p=REJECT) header.from=customer.example'],
    };
    const d = await decideThread(parsed({ inReplyTo: 'a@x', caseRefs: ['CS-1001'], senderHeaders: failing }), l, opts);
    expect(d).toMatchObject({ action: 'new-case', addsParticipants: false });
    expect(d.reason).toContain('DMARC fails according to mx.intake.example');
    const two = { fromAddresses: 2, authenticationResults: [] };
    const d2 = await decideThread(parsed({ caseRefs: ['CS-1001'], senderHeaders: two }), l, opts);
    expect(d2).toMatchObject({ action: 'new-case', addsParticipants: false });
    expect(d2.reason).toContain('From names 2 addresses');
  });

  it('DMARC fail from a server not in TRUSTED_AUTHSERV_IDS changes nothing', async () => {
    const { l } = lookup({ numbers: { 'CS-1001': kase(1001) } });
    const headers = { fromAddresses: 1, authenticationResults: ['elsewhere.example; dmarc=fail'] };
    expect((await decideThread(parsed({ caseRefs: ['CS-1001'], senderHeaders: headers }), l, opts)).action).toBe(
      'reply',
    );
  });

  it('automatic mail a stranger sends with a known Message-ID is ignored, not noted on the case', async () => {
    const { l } = lookup({ refs: { 'a@x': [kase(1001), 'in'] } });
    const d = await decideThread(parsed({ from: eve, inReplyTo: 'a@x', classification: 'auto-reply' }), l, opts);
    expect(d).toMatchObject({ action: 'ignore', caseId: null });
  });
});

describe('helpers', () => {
  it('referencesNewestFirst reverses and skips In-Reply-To and repeats', () => {
    expect(referencesNewestFirst({ inReplyTo: 'c', references: ['a', 'b', 'a', 'c'] })).toEqual(['a', 'b']);
  });
});
