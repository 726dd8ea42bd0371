import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailHookContext, InboundHooks } from '../src/inbound/apply-decision.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { createInboundContext, fixture, mail, type InboundContext } from './helpers/inbound.js';
import { waitFor } from './helpers/wait.js';

/**
 * The batch path (src/inbound/process-batch.ts): a backlog is processed several messages per transaction, with
 * the same outcome as one by one. The worker is paused while the backlog is queued, so batches really form.
 */

const BATCH_ENV = { WORKER_BATCH_SIZE: '16', ACK_RATE_LIMIT: '2' };
const batchSizes: number[] = [];
let c: InboundContext;

/** The worker's acknowledgement hooks, recording how many new cases each batch call carried. */
function recordingAckHooks(): InboundHooks {
  const hooks = acknowledgementHooks(() => ({ config: c.t.ctx.config }));
  return {
    ...hooks,
    onNewCasesFromEmail: async (trx, ctxs: EmailHookContext[]) => {
      batchSizes.push(ctxs.length);
      await hooks.onNewCasesFromEmail!(trx, ctxs);
    },
  };
}

beforeAll(async () => {
  c = await createInboundContext('inboundbatch', { env: BATCH_ENV, concurrency: 32, hooks: recordingAckHooks() });
});
afterAll(async () => {
  await c?.close();
});

describe('a backlog processed in batches', () => {
  it('gives every message the outcome it would get alone: cases, duplicates, replies, automatic mail, failures', async () => {
    const fresh = Array.from({ length: 30 }, (_, i) =>
      mail({
        from: `Customer ${i} <customer${i}@batch.example>`,
        messageId: `fresh-${i}@batch.example`,
        subject: `Question ${i}`,
      }),
    );
    const repeat = [1, 2, 3].map((i) =>
      mail({ from: 'Rita Repeat <rita@batch.example>', subject: `Again ${i}`, messageId: `rita-${i}@batch.example` }),
    );
    const raws: (string | Buffer)[] = [
      ...fresh,
      ...repeat,
      fixture('new-order-ref.eml'),
      fixture('with-attachment.eml'),
      fixture('cc-participants.eml'),
      // Same Message-ID as fresh-1, other bytes: a duplicate, whichever batch each copy falls into.
      mail({
        from: 'Customer 1 <customer1@batch.example>',
        messageId: 'fresh-1@batch.example',
        subject: 'Question 1',
        body: 'again, resent',
      }),
      // Refers to fresh-2: never in a batch; it waits for fresh-2 and lands on its case.
      mail({
        from: 'Customer 2 <customer2@batch.example>',
        inReplyTo: 'fresh-2@batch.example',
        subject: 'Re: Question 2',
        body: 'More detail.',
      }),
      mail({
        from: 'Away <away@batch.example>',
        subject: 'Out of office',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
      fixture('malformed.eml'),
      mail({ from: 'Last <last@batch.example>', messageId: 'last@batch.example', subject: 'After the malformed one' }),
    ];
    const ids = await c.backlog(raws);
    const rows = await Promise.all(ids.map((id) => c.settled(id, 60_000)));
    const byMessageId = async (messageId: string) =>
      c.t.ctx.db
        .selectFrom('messages')
        .select(['status', 'case_id', 'decision'])
        .where('message_id', '=', messageId)
        .orderBy('id')
        .execute();

    // 30 + 3 + 3 fixtures + the last one: 37 new cases, each with a unique number, Status New, Source Email.
    expect(await c.countCases()).toBe(37);
    const cases = await c.t.ctx.db
      .selectFrom('cases')
      .select(['case_number', 'status', 'source', 'comment_count'])
      .execute();
    expect(new Set(cases.map((k) => k.case_number)).size).toBe(37);
    expect(cases.every((k) => k.status === 'New' && k.source === 'Email')).toBe(true);

    const [first, copy] = await byMessageId('fresh-1@batch.example');
    expect(first!.status).toBe('processed');
    expect(copy!.status).toBe('ignored');
    expect(copy!.case_id).toBe(first!.case_id);
    expect((copy!.decision as { Reason: string }).Reason).toContain('duplicate');

    const [parent] = await byMessageId('fresh-2@batch.example');
    const reply = rows[ids.length - 4]!;
    expect(reply.status).toBe('processed');
    expect(reply.case_id).toBe(parent!.case_id);
    const parentCase = await c.caseJson(parent!.case_id!);
    expect(parentCase.CaseNotes.map((n: { Comment: string }) => n.Comment)).toEqual([
      'Hello, I have a question.',
      'More detail.',
    ]);

    expect(rows[ids.length - 3]!.status).toBe('ignored'); // the auto-reply
    expect(rows[ids.length - 2]!.status).toBe('failed'); // the malformed one, kept with its error
    expect(rows[ids.length - 2]!.error).toBeTruthy();
    expect(rows[ids.length - 1]!.status).toBe('processed');

    // What the fixtures carry survives the batch: order refs, attachments, Cc'd participants.
    const orderCase = await c.caseJson(
      (await c.t.ctx.db.selectFrom('messages').select('case_id').where('id', '=', ids[33]!).executeTakeFirstOrThrow())
        .case_id!,
    );
    expect(orderCase.RelatedOrders.length).toBeGreaterThan(0);
    const attachmentCase = await c.caseJson(rows[34]!.case_id!);
    expect(attachmentCase.CaseNotes[0].Attachments.length).toBeGreaterThan(0);
    const ccCase = await c.caseJson(rows[35]!.case_id!);
    expect(ccCase.Participants.length).toBeGreaterThan(0);

    // One acknowledgement per new case from a person; Rita's third is over the limit of 2, within the batch too.
    const acks = await c.t.ctx.db
      .selectFrom('outbox')
      .select(['to_addresses', 'status', 'last_error'])
      .where('kind', '=', 'ack')
      .execute();
    const rita = acks.filter((a) => a.to_addresses[0] === 'rita@batch.example');
    expect(rita.map((a) => a.status).sort()).toEqual(['queued', 'queued', 'suppressed']);
    expect(rita.find((a) => a.status === 'suppressed')!.last_error).toContain('rate-limit');
    expect(acks.filter((a) => a.to_addresses[0]?.endsWith('@batch.example') && a.status === 'queued')).toHaveLength(
      30 + 2 + 1,
    );

    // The batch path really ran: some batch carried several new cases at once.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
  }, 90_000);
});

describe('a failing batch', () => {
  let f: InboundContext;
  beforeAll(async () => {
    const explode = (ctx: EmailHookContext) => {
      if (ctx.parsed.subject === 'Explode') throw new Error('the hook refuses this message');
    };
    f = await createInboundContext('inboundbatchfail', {
      env: BATCH_ENV,
      concurrency: 32,
      hooks: {
        onNewCaseFromEmail: async (_trx, ctx) => explode(ctx),
        onNewCasesFromEmail: async (_trx, ctxs) => ctxs.forEach(explode),
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('rolls back as a whole; its messages go one by one and only the bad one fails', async () => {
    const good = Array.from({ length: 9 }, (_, i) => mail({ from: `g${i}@batch.example`, subject: `Fine ${i}` }));
    const ids = await f.backlog([
      ...good.slice(0, 4),
      mail({ from: 'bad@batch.example', subject: 'Explode' }),
      ...good.slice(4),
    ]);
    const badId = ids[4]!;
    const goodRows = await Promise.all(ids.filter((id) => id !== badId).map((id) => f.settled(id, 30_000)));
    expect(goodRows.every((r) => r.status === 'processed' && r.case_id)).toBe(true);
    // The bad one is retried with backoff (no case, its error on the row) while the others are done.
    const bad = await waitFor('the bad message to record its failure', async () => {
      const row = await f.t.ctx.db
        .selectFrom('messages')
        .select(['status', 'error', 'case_id'])
        .where('id', '=', badId)
        .executeTakeFirstOrThrow();
      return row.error ? row : null;
    });
    expect(bad.error).toContain('the hook refuses this message');
    expect(bad.case_id).toBeNull();
    expect(await f.countCases()).toBe(9);
  }, 60_000);
});
