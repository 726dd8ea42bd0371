import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import type { OutboundDeps } from '../src/outbound/outbox.js';
import { createInboundContext, mail, SUPPORT, type InboundContext } from './helpers/inbound.js';

/**
 * Forged bounces and acknowledgements as a spam cannon (docs/threading-trust.md): what a forger can make intake do
 * to addresses that never wrote to it.
 */
let c: InboundContext;
let deps: OutboundDeps;
const uid = () => randomBytes(5).toString('hex');

beforeAll(async () => {
  c = await createInboundContext('trustmail', {
    env: {
      MESSAGE_ID_SECRET: 'trust-mail-secret',
      MESSAGE_ID_DOMAIN: 'example.com',
      ACK_RATE_LIMIT: '2',
      ACK_DOMAIN_HOURLY_LIMIT: '3',
      // Reply-To is the customer of a new case; still never a sender for threading.
      CUSTOMER_FROM_REPLY_TO: 'true',
    },
    hooks: acknowledgementHooks(() => deps),
  });
  deps = { config: c.t.ctx.config, logger: createLogger('silent') };
});
afterAll(async () => {
  await c?.close();
});

const ackOf = (caseId: string) =>
  c.t.ctx.db
    .selectFrom('outbox')
    .select(['message_id', 'to_addresses', 'status', 'last_error', 'subject', 'text_body'])
    .where('case_id', '=', caseId)
    .where('kind', '=', 'ack')
    .executeTakeFirstOrThrow();

const suppressions = async () =>
  (await c.t.ctx.db.selectFrom('address_suppressions').select('email').orderBy('email').execute()).map((r) => r.email);

/** A delivery status notification for `recipients` (5.1.1), naming `original` as the bounced message when given. */
function dsn(recipients: string[], original?: string): string {
  const b = `b-${uid()}`;
  return [
    'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
    `To: ${SUPPORT}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    `Message-ID: <${uid()}@mx.example.net>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your message could not be delivered.',
    '',
    `--${b}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    ...recipients.flatMap((r) => [`Final-Recipient: rfc822; ${r}`, 'Action: failed', 'Status: 5.1.1', '']),
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    `From: Support <${SUPPORT}>`,
    `To: ${recipients.join(', ')}`,
    'Subject: We received your request',
    ...(original ? [`Message-ID: <${original}>`] : []),
    '',
    `--${b}--`,
    '',
  ].join('\r\n');
}

describe('5. forged bounces', () => {
  it('a bounce naming no message intake sent suppresses nobody', async () => {
    const r = await c.receive(dsn(['victim@customer.example']));
    expect(r.status).toBe('ignored');
    expect(await suppressions()).not.toContain('victim@customer.example');
    const r2 = await c.receive(dsn(['victim@customer.example'], `made-up-${uid()}@example.com`));
    expect(r2.status).toBe('ignored');
    expect(await suppressions()).not.toContain('victim@customer.example');
  });

  it('a bounce naming our acknowledgement suppresses only the address it went to, not others it lists', async () => {
    const r = await c.receive(mail({ from: 'Paula <paula@customer.example>', subject: 'Hello' }));
    const ack = await ackOf(r.case_id!);
    expect(ack.to_addresses).toEqual(['paula@customer.example']);
    const b = await c.receive(dsn(['paula@customer.example', 'someone.else@customer.example'], ack.message_id));
    expect(b.decision).toMatchObject({ Action: 'reply' });
    const list = await suppressions();
    expect(list).toContain('paula@customer.example');
    expect(list).not.toContain('someone.else@customer.example');
  });
});

describe('6. acknowledgements as a spam cannon', () => {
  it('+tags count as one address: the third acknowledgement to victim+x@ is suppressed', async () => {
    const statuses: string[] = [];
    for (const tag of ['a', 'b', 'c']) {
      const r = await c.receive(mail({ from: `victim+${tag}@target.example`, subject: `Hi ${tag}` }));
      statuses.push((await ackOf(r.case_id!)).status);
    }
    expect(statuses).toEqual(['queued', 'queued', 'suppressed']);
    const r = await c.receive(mail({ from: 'victim+d@target.example', subject: 'Hi d' }));
    expect((await ackOf(r.case_id!)).last_error).toContain(
      'victim+d@target.example (counted as victim@target.example)',
    );
  });

  it('Gmail addresses count without their dots', async () => {
    const statuses: string[] = [];
    for (const from of ['v.ic.tim@gmail.com', 'vic.tim+1@googlemail.com', 'victim@gmail.com']) {
      const r = await c.receive(mail({ from, subject: 'Hi' }));
      statuses.push((await ackOf(r.case_id!)).status);
    }
    expect(statuses).toEqual(['queued', 'queued', 'suppressed']);
  });

  it('a domain gets at most ACK_DOMAIN_HOURLY_LIMIT acknowledgements an hour, whatever the addresses', async () => {
    const statuses: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      const r = await c.receive(mail({ from: `${name}@corp.example`, subject: 'Hi' }));
      statuses.push((await ackOf(r.case_id!)).status);
    }
    expect(statuses).toEqual(['queued', 'queued', 'queued', 'suppressed']);
  });

  it('an acknowledgement repeats at most 80 characters of the subject, in the fixed text with the case number', async () => {
    const long = `Cheap watches at https://spam.example/${'x'.repeat(200)} buy now`;
    const r = await c.receive(mail({ from: `someone-${uid()}@fresh.example`, subject: long }));
    const k = await c.caseJson(r.case_id!);
    const ack = await ackOf(r.case_id!);
    expect(ack.subject).toContain(`[${k.CaseNumber}]`);
    expect(ack.subject).not.toContain('buy now');
    const repeated = ack.subject.replace(`[${k.CaseNumber}]`, '').replace('We received your request:', '').trim();
    expect(repeated.length).toBeLessThanOrEqual(80);
    expect(ack.text_body).toContain(k.CaseNumber);
    expect(ack.text_body).not.toContain('spam.example');
  });

  it('with CUSTOMER_FROM_REPLY_TO the Reply-To is the customer of a new case, but never enough to thread', async () => {
    const r = await c.receive(
      mail({
        from: 'form@shop-forms.example',
        subject: 'Contact form',
        headers: { 'Reply-To': 'rita@customer.example' },
      }),
    );
    const k = await c.caseJson(r.case_id!);
    expect(k.CustomerEmail).toBe('rita@customer.example');
    const forged = await c.receive(
      mail({
        from: 'eve@evil.example',
        subject: `[${k.CaseNumber}] more`,
        headers: { 'Reply-To': 'rita@customer.example' },
      }),
    );
    expect(forged.decision.Action).toBe('new-case');
    expect((await c.caseJson(k.Id)).CaseNotes).toHaveLength(1);
  });
});

describe('6. the installation-wide hourly cap', () => {
  it('past ACK_HOURLY_LIMIT acknowledgements within the hour, every further one is suppressed', async () => {
    const { n } = await c.t.ctx.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('kind', '=', 'ack')
      .where('status', '<>', 'suppressed')
      .executeTakeFirstOrThrow();
    // The same worker and database, with the cap at what was sent so far.
    deps = { ...deps, config: { ...deps.config, ackHourlyLimit: Number(n) } };
    const r = await c.receive(mail({ from: `new-${uid()}@unseen.example`, subject: 'Hi' }));
    const ack = await ackOf(r.case_id!);
    expect(ack.status).toBe('suppressed');
    expect(ack.last_error).toContain('hourly-limit');
  });
});
