import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles, waitForMessages } from '../src/inbound/ingest-files.js';
import { processInboundMessage } from '../src/inbound/process-message.js';
import { createLogger } from '../src/logger.js';
import { inboundRetryJobId } from '../src/queue/queues.js';
import { storeRawMessage } from '../src/inbound/store.js';
import { getCaseSettings, saveCaseSettings } from '../src/settings/settings.repository.js';
import { createInboundContext, fixture, mail, type InboundContext } from './helpers/inbound.js';

let c: InboundContext;
const hookCalls: { kind: string; caseNumber: string; messageRowId: string; statusOutside?: string }[] = [];
let dir: string;
let malformedId = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'intake-ingest-'));
  c = await createInboundContext('inboundfail', {
    hooks: {
      async onNewCaseFromEmail(trx, { caseRow, messageRowId }) {
        // Runs inside the transaction: what it reads is the uncommitted case.
        const seen = await trx
          .selectFrom('cases')
          .select('case_number')
          .where('id', '=', caseRow.id)
          .executeTakeFirstOrThrow();
        // What everyone else (operators, the backlog metric) sees of the row while it is in flight.
        const outside = await c.t.ctx.db
          .selectFrom('messages')
          .select('status')
          .where('id', '=', messageRowId)
          .executeTakeFirstOrThrow();
        hookCalls.push({ kind: 'new', caseNumber: seen.case_number, messageRowId, statusOutside: outside.status });
      },
      async onReplyFromEmail(_trx, { caseRow, messageRowId, reopened }) {
        hookCalls.push({ kind: reopened ? 'reopen' : 'reply', caseNumber: caseRow.case_number, messageRowId });
      },
    },
  });
});
afterAll(async () => {
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

const casesFor = async (messageId: string) =>
  c.t.ctx.db
    .selectFrom('thread_refs')
    .select('case_id')
    .where('message_id', '=', messageId)
    .where('direction', '=', 'in')
    .execute();

describe('never twice', () => {
  it('the same message delivered twice (same bytes, another Received header) makes one case', async () => {
    const raw = mail({ messageId: 'twice-1@customer.example', subject: 'Twice' });
    const first = await c.deliver(raw);
    const second = await c.deliver(
      `Received: from relay2.example by mx.example.com; Mon, 23 Nov 2026 10:00:09 +0000\r\n${raw}`,
    );
    expect(second.id).toBe(first.id);
    expect(second.inserted).toBe(false);
    expect((await c.settled(first.id)).status).toBe('processed');
    expect(await casesFor('twice-1@customer.example')).toHaveLength(1);
  });

  it('the same Message-ID with different bytes is stored but ignored as a duplicate', async () => {
    const a = await c.receive(mail({ messageId: 'twice-2@customer.example', subject: 'Dup', body: 'one' }));
    const b = await c.receive(
      mail({ messageId: 'twice-2@customer.example', subject: 'Dup', body: 'one\r\n-- \r\nlist footer' }),
    );
    expect(b.id).not.toBe(a.id);
    expect(b.status).toBe('ignored');
    expect(b.decision.Reason).toContain('duplicate');
    expect(b.case_id).toBe(a.case_id);
    expect(await casesFor('twice-2@customer.example')).toHaveLength(1);
  });

  it('a job that runs twice (even at the same time) makes one case', async () => {
    const stored = await c.deliver(mail({ messageId: 'twice-3@customer.example', subject: 'Job twice' }));
    const deps = { db: c.t.ctx.db, config: c.t.ctx.config, logger: createLogger('silent') };
    const results = await Promise.all([processInboundMessage(deps, stored.id), processInboundMessage(deps, stored.id)]);
    await c.settled(stored.id);
    // Whoever ran first (the worker or one of these calls) made the case; every other run did nothing.
    expect(results.filter((r) => r.outcome === 'processed').length).toBeLessThanOrEqual(1);
    await c.queues.inbound.add('message', stored.job, { jobId: inboundRetryJobId(stored.id) });
    await new Promise((r) => setTimeout(r, 500));
    expect(await casesFor('twice-3@customer.example')).toHaveLength(1);
    const notes = await c.t.ctx.db.selectFrom('case_notes').select('id').where('message_id', '=', stored.id).execute();
    expect(notes).toHaveLength(1);
  });

  it('the outbound hook runs once, inside the transaction, only for normal mail', async () => {
    const r = await c.receive(mail({ messageId: 'hook-1@customer.example', subject: 'Hook' }));
    await c.receive(mail({ inReplyTo: 'hook-1@customer.example', subject: 'Re: Hook' }));
    await c.receive(
      mail({
        inReplyTo: 'hook-1@customer.example',
        subject: 'Auto: Hook',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    );
    const number = r.decision.CaseNumber;
    expect(hookCalls.filter((h) => h.caseNumber === number).map((h) => h.kind)).toEqual(['new', 'reply']);
  });

  it('a message shows status processing while a worker is on it, and processed once committed', async () => {
    const r = await c.receive(mail({ messageId: 'inflight-1@customer.example', subject: 'In flight' }));
    expect(hookCalls.find((h) => h.messageRowId === r.id)?.statusOutside).toBe('processing');
    expect(r.status).toBe('processed');
  });
});

describe('failures', () => {
  it('a malformed message is kept as failed with its raw bytes and error, and the next message still becomes a case', async () => {
    const bad = await c.receive(fixture('malformed.eml'));
    malformedId = bad.id;
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/not an RFC 5322 email|cannot parse/);
    expect(bad.attempts).toBe(1);
    const raw = await c.t.call('GET', `/api/inbound/messages/${bad.id}/raw`);
    expect((await c.t.call('GET', `/api/inbound/messages/${bad.id}/raw`, undefined, c.t.readKey)).status).toBe(403);
    expect(raw.res.rawPayload.equals(fixture('malformed.eml'))).toBe(true);
    const next = await c.receive(mail({ subject: 'After the bad one' }));
    expect(next.status).toBe('processed');
    // Failed mail is an administrator's: a read-only key is refused, naming the claim it lacks.
    const refused = await c.t.call('GET', '/api/inbound/failed', undefined, c.t.readKey);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toMatch(/needs "admin"/);
    const failed = await c.t.call('GET', '/api/inbound/failed');
    expect(failed.status).toBe(200);
    expect(failed.json.map((m: { Id: string }) => m.Id)).toContain(bad.id);
    expect(failed.json.find((m: { Id: string }) => m.Id === bad.id)).toMatchObject({ Status: 'failed', Attempts: 1 });
  });

  it('a message that failed on its last attempt is re-queued through the API after the fix and becomes a case', async () => {
    const settings = await getCaseSettings(c.t.ctx.db);
    await saveCaseSettings(c.t.ctx.db, { ...settings, Enabled: false });
    // Stored but queued only once, as a job with one attempt, so the test need not wait for backoff. (Queued the
    // poller's way first, its job could start, fail and come back from backoff after the fix, racing the retry below.)
    const stored = await storeRawMessage(c.t.ctx.db, {
      mailbox: 'test',
      raw: Buffer.from(mail({ messageId: 'requeue-1@customer.example', subject: 'Requeue me' })),
    });
    await c.queues.inbound.add('message', stored.job, { jobId: inboundRetryJobId(stored.id, 1), attempts: 1 });
    const failed = await c.settled(stored.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('Cases are disabled');

    await saveCaseSettings(c.t.ctx.db, { ...settings, Enabled: true });
    const res = await c.t.call('POST', `/api/inbound/failed/${stored.id}/retry`);
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ Id: stored.id, Status: 'queued' });
    const done = await c.settled(stored.id);
    expect(done.status).toBe('processed');
    expect(done.decision.Action).toBe('new-case');

    const again = await c.t.call('POST', `/api/inbound/failed/${stored.id}/retry`);
    expect(again.status).toBe(409);
    expect((await c.t.call('POST', '/api/inbound/failed/999999/retry')).status).toBe(404);
    expect((await c.t.call('POST', `/api/inbound/failed/${stored.id}/retry`, undefined, c.t.readKey)).status).toBe(403);
  });

  it('retry-all re-queues every failed message', async () => {
    const res = await c.t.call('POST', '/api/inbound/failed/retry-all');
    expect(res.status).toBe(202);
    expect(res.json.Requeued).toBeGreaterThanOrEqual(1);
    // The malformed message fails again: it stays kept, with one more attempt.
    const again = await c.settled(malformedId);
    expect(again).toMatchObject({ status: 'failed', attempts: 2 });
    expect(again.error).toContain('RFC 5322');
  });
});

describe('tools', () => {
  it('POST /api/inbound/parse shows the message and the decision it would take, storing nothing', async () => {
    const r = await c.receive(mail({ messageId: 'parse-1@customer.example', subject: 'Parse me' }));
    const before = await c.t.ctx.db.selectFrom('messages').select('id').execute();
    const raw = mail({ inReplyTo: 'parse-1@customer.example', subject: 'Re: Parse me #4444' });
    const res = await c.t.app.inject({
      method: 'POST',
      url: '/api/inbound/parse',
      headers: { authorization: `Bearer ${c.t.adminKey}`, 'content-type': 'message/rfc822' },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(json).toMatchObject({
      InReplyTo: 'parse-1@customer.example',
      OrderRefs: ['4444'],
      Classification: 'normal',
    });
    expect(json.Decision).toMatchObject({ Action: 'reply', CaseNumber: r.decision.CaseNumber });
    const viaJson = await c.t.call('POST', '/api/inbound/parse', { Raw: Buffer.from(raw).toString('base64') });
    expect(viaJson.json.Decision.Action).toBe('reply');
    expect(await c.t.ctx.db.selectFrom('messages').select('id').execute()).toHaveLength(before.length);
    expect((await c.t.call('POST', '/api/inbound/parse', { Raw: '' })).status).toBe(400);
    expect((await c.t.call('POST', '/api/inbound/parse', { Nope: 1 })).status).toBe(400);
    expect(
      (await c.t.call('POST', '/api/inbound/parse', { Raw: Buffer.from('garbage without headers').toString('base64') }))
        .status,
    ).toBe(422);
    expect((await c.t.call('POST', '/api/inbound/parse', { Raw: 'aGk=' }, c.t.readKey)).status).toBe(403);
  });

  it('ingest feeds an mbox through the same pipeline: one case per message, duplicates reported', async () => {
    const a = mail({ messageId: 'mbox-1@customer.example', subject: 'Mbox one', body: 'First\r\n>From the start' });
    const b = mail({ messageId: 'mbox-2@customer.example', subject: 'Mbox two' });
    const file = join(dir, 'import.mbox');
    writeFileSync(
      file,
      `From carla@customer.example Mon Nov 23 10:00:00 2026\n${a}\nFrom carla@customer.example Mon Nov 23 10:01:00 2026\n${b}\n`,
    );
    const first = await ingestFiles(c.t.ctx.db, c.queues, [file]);
    expect(first.map((m) => [m.messageId, m.inserted])).toEqual([
      ['mbox-1@customer.example', true],
      ['mbox-2@customer.example', true],
    ]);
    const { done, outcomes } = await waitForMessages(
      c.t.ctx.db,
      first.map((m) => m.messageRowId),
      20_000,
    );
    expect(done).toBe(true);
    expect(outcomes.map((o) => o.action)).toEqual(['new-case', 'new-case']);
    expect(outcomes.every((o) => /^CS-\d+$/.test(o.caseNumber ?? ''))).toBe(true);
    const note = await c.t.ctx.db
      .selectFrom('case_notes')
      .select('full_text')
      .where('message_id', '=', first[0]!.messageRowId)
      .executeTakeFirstOrThrow();
    expect(note.full_text).toContain('From the start');
    const second = await ingestFiles(c.t.ctx.db, c.queues, [file]);
    expect(second.map((m) => m.inserted)).toEqual([false, false]);
    expect(await casesFor('mbox-1@customer.example')).toHaveLength(1);
  });
});

describe('hostile mail', () => {
  it('a 1 MB subject makes a case whose subject is cut to 500 characters (the subject index refuses longer keys)', async () => {
    const r = await c.receive(mail({ subject: `Re: ${'word '.repeat(200_000)}` }));
    expect(r).toMatchObject({ status: 'processed', error: null });
    expect(r.decision.Action).toBe('new-case');
    expect((await c.caseJson(r.case_id!)).Subject).toBe(`${'word '.repeat(100)}…`);
  });

  it('a From address of 100 KB is no address: the case is made without a customer (the email index refuses such keys)', async () => {
    const r = await c.receive(
      mail({ from: `Huge <${randomBytes(50_000).toString('hex')}@customer.example>`, subject: 'Huge sender' }),
    );
    expect(r).toMatchObject({ status: 'processed', error: null });
    expect(await c.caseJson(r.case_id!)).toMatchObject({ Subject: 'Huge sender', CustomerEmail: null });
  });

  it('ids that cannot be stored (an encoded NUL, a lone surrogate, 8 KB) count as absent: the messages become cases', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'In-Reply-To': '<=?utf-16le?B?ANhBAA==?=@customer.example>' },
      { References: `<${randomBytes(4_000).toString('hex')}@customer.example>` },
    ]) {
      const r = await c.receive(mail({ headers }));
      expect(r).toMatchObject({ status: 'processed', error: null });
      expect(r.decision.Action).toBe('new-case');
    }
    const r = await c.receive(mail({ messageId: '=?utf-8?B?QQBC?=@customer.example', subject: 'NUL id' }));
    expect(r).toMatchObject({ status: 'processed', error: null });
    expect(
      await c.t.ctx.db.selectFrom('thread_refs').select('message_id').where('case_id', '=', r.case_id!).execute(),
    ).toEqual([]);
  });

  it('NUL bytes in From, Subject and Message-ID, or a Message-ID of 8 KB, are stored and processed (they made the INSERT fail)', async () => {
    const nul = Buffer.from(
      'From: A\u0000nn <ann@customer.example>\r\nTo: support@example.com\r\nSubject: he\u0000llo\r\nMessage-ID: <a\u0000b@customer.example>\r\n' +
        'Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nbo\u0000dy\r\n',
      'latin1',
    );
    const long = Buffer.from(
      mail({ messageId: `${randomBytes(4_000).toString('hex')}@customer.example`, subject: 'Long id' }),
    );
    for (const raw of [nul, long]) {
      const stored = await c.deliver(raw);
      expect(stored.inserted).toBe(true);
      const row = await c.t.ctx.db
        .selectFrom('messages')
        .select(['message_id', 'envelope', 'raw'])
        .where('id', '=', stored.id)
        .executeTakeFirstOrThrow();
      expect(row.message_id).toBeNull();
      expect(row.raw.equals(raw)).toBe(true);
      expect((await c.settled(stored.id)).status).toBe('processed');
    }
    const row = await c.t.ctx.db
      .selectFrom('messages')
      .select('envelope')
      .where('raw', '=', nul)
      .executeTakeFirstOrThrow();
    expect(row.envelope).toMatchObject({ messageId: null, from: 'A nn <ann@customer.example>', subject: 'he llo' });
  });

  it('a lone surrogate in a Cc name and NUL in an attachment type and Content-ID still make a case (jsonb and text refused them)', async () => {
    const raw =
      'From: =?utf-16le?B?ANhBAA==?= <ann@customer.example>\r\nTo: support@example.com\r\nCc: =?utf-16le?B?ANhBAA==?= <cc@customer.example>\r\n' +
      'Subject: Odd parts\r\nMessage-ID: <odd-parts@customer.example>\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n' +
      '--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n' +
      '--x\r\nContent-Type: appli\u0000cation/pdf\r\nContent-Disposition: attachment; filename=".."\r\nContent-ID: <a\u0000b@x>\r\n\r\nAAAA\r\n--x--\r\n';
    const r = await c.receive(Buffer.from(raw, 'latin1'));
    expect(r).toMatchObject({ status: 'processed', error: null });
    const json = await c.caseJson(r.case_id!);
    expect(json.CustomerName).toBe('\ufffdA');
    expect(json.Participants).toMatchObject([{ Name: '\ufffdA', Email: 'cc@customer.example' }]);
    const files = await c.t.ctx.db
      .selectFrom('attachments')
      .select(['file_name', 'content_type', 'content_id'])
      .where('case_id', '=', r.case_id!)
      .execute();
    expect(files).toEqual([
      { file_name: 'attachment-1.octet-stream', content_type: 'application/octet-stream', content_id: null },
    ]);
  });
});
