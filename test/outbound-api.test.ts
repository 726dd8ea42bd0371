import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { startOutboundWorker, type OutboundWorker } from '../src/outbound/outbound-worker.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.js';

/** POST /api/cases/{id}/notes with SendEmailNotification: the note and its mail, through the HTTP API. */
let t: TestApp;
let receiver: SmtpReceiver;
let outbound: OutboundWorker;
const prefix = `test-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  receiver = await startSmtpReceiver();
  t = await createTestApp('outboundapi', {
    SMTP_URL: receiver.url,
    QUEUE_PREFIX: prefix,
    MAIL_FROM: 'support@example.test',
    REPLY_ADDRESS: 'support@example.test',
  });
  outbound = startOutboundWorker(
    { config: t.ctx.config, db: t.ctx.db, logger: createLogger('silent') },
    { backoff: { baseMs: 200 }, relay: { sweepIntervalMs: 300 } },
  );
});

afterAll(async () => {
  await outbound?.close();
  await outbound?.queues.outbound.obliterate({ force: true }).catch(() => undefined);
  await t?.close();
  await receiver?.close();
});

describe('staff notes by email through the API', () => {
  it('a public note with SendEmailNotification is mailed and its delivery shows on the note', async () => {
    const created = await t.call('POST', '/api/cases', {
      Subject: 'Broken lamp',
      CustomerEmail: 'anna@customer.test',
      CustomerName: 'Anna',
    });
    expect(created.status).toBe(201);
    const id = created.json.Id;

    const internal = await t.call('POST', `/api/cases/${id}/notes`, { Comment: 'internal only', IsPublic: false });
    expect(internal.status).toBe(201);

    const res = await t.call('POST', `/api/cases/${id}/notes`, {
      Comment: 'A new lamp is on its way.',
      IsPublic: true,
      SendEmailNotification: true,
    });
    expect(res.status).toBe(201);
    expect(res.json.Delivery).toEqual([expect.objectContaining({ Status: 'queued', To: ['anna@customer.test'] })]);

    const [mail] = await receiver.waitFor(1);
    expect(mail!.rcptTo).toEqual(['anna@customer.test']);
    expect(mail!.parsed.subject).toBe(`Re: [${created.json.CaseNumber}] Broken lamp`);
    expect(mail!.parsed.text).toContain('A new lamp is on its way.');

    const deadline = Date.now() + 10_000;
    let json;
    do {
      json = (await t.call('GET', `/api/cases/${id}`)).json;
      if (json.CaseNotes[0].Delivery[0].Status === 'sent') break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(json.CaseNotes[0].Delivery[0]).toMatchObject({ Status: 'sent', Error: null });
    expect(json.InternalNotes[0].Delivery).toEqual([]);
    expect(receiver.messages).toHaveLength(1);
  });

  it('a crafted recipient is a 400 and nothing is saved or sent', async () => {
    const created = await t.call('POST', '/api/cases', { Subject: 'x', CustomerEmail: 'bo@customer.test' });
    const res = await t.call('POST', `/api/cases/${created.json.Id}/notes`, {
      Comment: 'hi',
      IsPublic: true,
      SendEmailNotification: true,
      To: ['bo@customer.test\r\nBcc: mallory@evil.test'],
    });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/To/);
    const json = (await t.call('GET', `/api/cases/${created.json.Id}`)).json;
    expect(json.CaseNotes).toEqual([]);
  });
});
