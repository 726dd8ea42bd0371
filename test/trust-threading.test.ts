import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseStatus } from '../src/cases/case.service.js';
import { createLogger } from '../src/logger.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { newOwnMessageId } from '../src/outbound/message-id.js';
import type { OutboundDeps } from '../src/outbound/outbox.js';
import { createInboundContext, mail, type InboundContext } from './helpers/inbound.js';

/**
 * Threading that a stranger cannot steer (docs/threading-trust.md): each attack, sent through the real inbound
 * pipeline, and what intake does now, as the API shows it.
 */
let c: InboundContext;
let deps: OutboundDeps;
const MX = 'mx.shop.example';
const ann = 'Ann Customer <ann@customer.example>';
const eve = 'Eve <eve@evil.example>';
const uid = () => randomBytes(5).toString('hex');

beforeAll(async () => {
  c = await createInboundContext('trustthreading', {
    env: {
      MESSAGE_ID_SECRET: 'trust-current',
      MESSAGE_ID_OLD_SECRETS: 'trust-before',
      MESSAGE_ID_DOMAIN: 'example.com',
      TRUSTED_AUTHSERV_IDS: MX,
    },
    hooks: acknowledgementHooks(() => deps),
  });
  deps = { config: c.t.ctx.config, logger: createLogger('silent') };
});
afterAll(async () => {
  await c?.close();
});

/** Ann's case, opened by a mail of hers; its JSON and her Message-ID. */
async function annsCase(subject: string) {
  const messageId = `${uid()}@customer.example`;
  const r = await c.receive(mail({ from: ann, subject, messageId }));
  expect(r.status, r.error ?? '').toBe('processed');
  return { kase: await c.caseJson(r.case_id!), messageId };
}

/** The acknowledgement intake queued for a case: its Message-ID, signed. */
async function ackOf(caseId: string) {
  return c.t.ctx.db
    .selectFrom('outbox')
    .select(['message_id', 'status', 'last_error', 'subject', 'text_body'])
    .where('case_id', '=', caseId)
    .where('kind', '=', 'ack')
    .executeTakeFirstOrThrow();
}

const emails = (k: { Participants: { Email: string }[] }) => k.Participants.map((p) => p.Email);

describe('1. a planted Message-ID', () => {
  it("does not capture other people's replies: they start a case of their own, possibly related to the planter's", async () => {
    const newsletter = `newsletter-${uid()}@shop.example`;
    const planted = await c.receive(mail({ from: eve, subject: 'Our November deals', messageId: newsletter }));
    expect(planted.decision.Action).toBe('new-case');
    const evesCase = await c.caseJson(planted.case_id!);

    const reply = await c.receive(mail({ from: ann, subject: 'Re: Our November deals', inReplyTo: newsletter }));
    expect(reply.decision.Action).toBe('new-case');
    expect(reply.case_id).not.toBe(evesCase.Id);
    expect(reply.decision.Reason).toContain(`possibly related to ${evesCase.CaseNumber}`);
    const annsNew = await c.caseJson(reply.case_id!);
    expect(annsNew.CustomerEmail).toBe('ann@customer.example');
    expect(annsNew.Properties).toEqual([{ Key: 'PossiblyRelatedCase', Value: evesCase.CaseNumber }]);
    // Eve's case got nothing: staff answering it would answer Eve, never Ann.
    const after = await c.caseJson(evesCase.Id);
    expect(after.CaseNotes).toHaveLength(1);
    expect(after.CommentCount).toBe(1);
  });
});

describe('2. In-Reply-To / References from someone who is not on the case', () => {
  it('neither adds to nor reopens the case, and its Cc does not become participants', async () => {
    const { kase, messageId } = await annsCase('Refund for order #40001');
    await changeCaseStatus(c.t.ctx.db, kase.Id, 'Closed');
    const r = await c.receive(
      mail({
        from: eve,
        subject: 'Re: Refund for order #40001',
        references: [messageId],
        cc: 'Mallory <mallory@evil.example>',
      }),
    );
    expect(r.decision.Action).toBe('new-case');
    const k = await c.caseJson(kase.Id);
    expect(k.Status).toBe('Closed');
    expect(k.CaseNotes).toHaveLength(1);
    expect(emails(k)).toEqual([]);
    expect((await c.caseJson(r.case_id!)).Properties).toEqual([{ Key: 'PossiblyRelatedCase', Value: kase.CaseNumber }]);

    // Mallory, Cc'd on that mail, is no participant of Ann's case, so the case number gets her nowhere either.
    const m = await c.receive(mail({ from: 'mallory@evil.example', subject: `Re: [${kase.CaseNumber}] refund` }));
    expect(m.decision.Action).toBe('new-case');
    expect(m.decision.Reason).toContain('mallory@evil.example is neither its customer nor a participant');
    expect((await c.caseJson(kase.Id)).CaseNotes).toHaveLength(1);
  });

  it("the customer's own reply still threads, reopens, and adds her Cc as a participant", async () => {
    const { kase, messageId } = await annsCase('Lamp flickers');
    await changeCaseStatus(c.t.ctx.db, kase.Id, 'Closed');
    const r = await c.receive(
      mail({ from: ann, subject: 'Re: Lamp flickers', inReplyTo: messageId, cc: 'Dave <dave@customer.example>' }),
    );
    expect(r.decision).toMatchObject({ Action: 'reopen', CaseNumber: kase.CaseNumber });
    const k = await c.caseJson(kase.Id);
    expect(k.Status).toBe('Reopened');
    expect(emails(k)).toEqual(['dave@customer.example']);
    // Dave is now a participant: the case number in the subject works from his address.
    const d = await c.receive(mail({ from: 'dave@customer.example', subject: `[${kase.CaseNumber}] photo attached` }));
    expect(d.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
  });

  it("a reply to intake's signed acknowledgement threads from any address, without making that address a participant", async () => {
    const { kase } = await annsCase('Chair arrived broken');
    const ack = await ackOf(kase.Id);
    const r = await c.receive(
      mail({
        from: 'Bob Colleague <bob@customer-corp.example>',
        subject: `Re: [${kase.CaseNumber}] We received your request`,
        inReplyTo: ack.message_id,
        cc: 'carol@customer-corp.example',
      }),
    );
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    expect(r.decision.Reason).toContain('signed');
    const k = await c.caseJson(kase.Id);
    expect(k.CaseNotes).toHaveLength(2);
    expect(k.CaseNotes[1].CreatedByEmail).toBe('bob@customer-corp.example');
    expect(emails(k)).toEqual([]);
    expect(r.decision.Reason).toContain("Cc'd address(es) not made participants");
  });

  it('an id signed with a secret of MESSAGE_ID_OLD_SECRETS still threads after a rotation', async () => {
    const { kase } = await annsCase('Wrong colour');
    const old = newOwnMessageId({ messageIdSecret: 'trust-before', messageIdDomain: 'example.com' }, kase.Id);
    const r = await c.receive(
      mail({ from: 'bob@customer-corp.example', subject: 'Re: Wrong colour', references: [old] }),
    );
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
  });
});

describe('3. the subject rule and an unauthenticated From', () => {
  it('DMARC failing by our MX: the customer address alone is not enough, and the forged sender gets no acknowledgement', async () => {
    const { kase } = await annsCase('Where is my parcel?');
    const r = await c.receive(
      mail({
        from: ann,
        subject: `Re: [${kase.CaseNumber}] Where is my parcel?`,
        // Our MX's verdict on top; below it a copy the sender wrote, claiming our id: ignored.
        headers: {
          'Authentication-Results': `${MX}; spf=fail smtp.mailfrom=evil.example; dmarc=fail (p=REJECT) header.from=customer.example`,
          'X-Filler': 'x',
        },
      }).replace('X-Filler: x', `Authentication-Results: ${MX}; dmarc=pass header.from=customer.example`),
    );
    expect(r.decision.Action).toBe('new-case');
    expect(r.decision.Reason).toContain(`DMARC fails according to ${MX}`);
    expect((await c.caseJson(kase.Id)).CaseNotes).toHaveLength(1);
    const ack = await ackOf(r.case_id!);
    expect(ack.status).toBe('suppressed');
    expect(ack.last_error).toContain('sender-unauthenticated');
  });

  it('only our MX speaks: a verdict under another authserv-id, or below one, is not read', async () => {
    const { kase } = await annsCase('Size exchange');
    const headers = (values: string[]) =>
      mail({ from: ann, subject: `Re: [${kase.CaseNumber}] Size exchange`, headers: { 'X-Top': 'x' } }).replace(
        'X-Top: x',
        values.map((v) => `Authentication-Results: ${v}`).join('\r\n'),
      );
    const elsewhere = await c.receive(headers(['mx.elsewhere.example; dmarc=fail header.from=customer.example']));
    expect(elsewhere.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
    // A header of an untrusted server on top: whatever follows, even naming our MX, may have come with the mail.
    const below = await c.receive(headers(['relay.example; none', `${MX}; dmarc=fail header.from=customer.example`]));
    expect(below.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
  });

  it('a From with two addresses is from neither of them', async () => {
    const { kase } = await annsCase('Invoice copy');
    const r = await c.receive(
      mail({ from: 'ann@customer.example, eve@evil.example', subject: `Re: [${kase.CaseNumber}] Invoice copy` }),
    );
    expect(r.decision.Action).toBe('new-case');
    expect(r.decision.Reason).toContain('From names 2 addresses');
    expect((await c.caseJson(kase.Id)).CaseNotes).toHaveLength(1);
  });

  it('Reply-To naming the customer is not enough', async () => {
    const { kase } = await annsCase('Gift wrapping');
    const r = await c.receive(
      mail({ from: eve, subject: `[${kase.CaseNumber}] Gift wrapping`, headers: { 'Reply-To': ann } }),
    );
    expect(r.decision.Action).toBe('new-case');
    expect((await c.caseJson(kase.Id)).CaseNotes).toHaveLength(1);
  });

  it('DMARC pass from our MX: the customer threads by case number as before', async () => {
    const { kase } = await annsCase('Discount code');
    const r = await c.receive(
      mail({
        from: ann,
        subject: `Re: [${kase.CaseNumber}] Discount code`,
        headers: { 'Authentication-Results': `${MX}; dkim=pass header.d=customer.example; dmarc=pass` },
      }),
    );
    expect(r.decision).toMatchObject({ Action: 'reply', CaseNumber: kase.CaseNumber });
  });
});

describe('4. signed Message-IDs are verified, and production needs a secret of its own', () => {
  it("an id shaped like intake's but not signed with our secret threads nothing", async () => {
    const { kase } = await annsCase('Late delivery');
    const forged = newOwnMessageId(
      { messageIdSecret: 'intake-dev-secret-change-me', messageIdDomain: 'example.com' },
      kase.Id,
    );
    const r = await c.receive(mail({ from: eve, subject: 'Re: Late delivery', inReplyTo: forged }));
    expect(r.decision.Action).toBe('new-case');
    expect((await c.caseJson(kase.Id)).CaseNotes).toHaveLength(1);
  });

  it('the worker refuses to start with NODE_ENV=production and the default MESSAGE_ID_SECRET, in one line', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'workers/worker.ts'], {
      cwd: new URL('..', import.meta.url),
      env: { PATH: process.env.PATH, NODE_ENV: 'production', INTAKE_ENV_FILE: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'intake worker: MESSAGE_ID_SECRET must be set to a secret of your own when NODE_ENV=production',
    );
  });
});
