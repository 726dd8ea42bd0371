import { describe, expect, it } from 'vitest';
import type { ParsedMessage } from '../mail/message.types.js';
import {
  decideThread,
  referencesNewestFirst,
  senderAddresses,
  type ThreadCase,
  type ThreadLookup,
} from './threading.js';

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
    numbers?: Record<string, ThreadCase>;
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
      const found = new Map<string, ThreadCase>();
      for (const id of ids) if (data.refs?.[id]) found.set(id, data.refs[id][0]);
      return found;
    },
    async caseByNumber(number) {
      asked.push(`number:${number}`);
      return data.numbers?.[number] ?? null;
    },
  };
  return { l, asked };
}

const opts = { statusClosed: 'Closed' };

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

  it('Reply-To counts as the sender only when configured', async () => {
    const { l } = lookup({ numbers: { 'CS-1001': kase(1001) } });
    const msg = parsed({
      caseRefs: ['CS-1001'],
      from: { name: 'Relay', email: 'relay@forms.example' },
      replyTo: [{ name: 'Ann', email: 'ann@customer.example' }],
    });
    expect((await decideThread(msg, l, opts)).action).toBe('new-case');
    expect((await decideThread(msg, l, { ...opts, senderFromReplyTo: true })).action).toBe('reply');
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

describe('helpers', () => {
  it('referencesNewestFirst reverses and skips In-Reply-To and repeats', () => {
    expect(referencesNewestFirst({ inReplyTo: 'c', references: ['a', 'b', 'a', 'c'] })).toEqual(['a', 'b']);
  });

  it('senderAddresses lower-cases and adds Reply-To only when asked', () => {
    const p = { from: { name: '', email: 'A@X.example' }, replyTo: [{ name: '', email: 'b@x.example' }] };
    expect(senderAddresses(p)).toEqual(['a@x.example']);
    expect(senderAddresses(p, true)).toEqual(['a@x.example', 'b@x.example']);
  });
});
