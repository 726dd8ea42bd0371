import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmailHookContext, InboundHooks } from '../src/inbound/apply-decision.js';
import { BATCH_MESSAGE_MAX_BYTES } from '../src/inbound/process-batch.js';
import { createInboundContext, mail, type InboundContext } from './helpers/inbound.js';

/**
 * A worker bounds the bytes of mail it holds, not only the number of jobs (src/inbound/byte-budget.ts), and
 * large mail never goes into a batch, whose cases are written as one JSON document (process-batch.ts).
 */

const MiB = 1024 * 1024;
const LINE = 'The parcel arrived damaged and the box was open; photos of every side are below this line.\r\n';
/** A customer mail of about `bytes`. */
const bigMail = (i: number, bytes: number) =>
  mail({
    from: `Big ${i} <big${i}@memory.example>`,
    subject: `Large mail ${i}`,
    body: LINE.repeat(Math.ceil(bytes / LINE.length)),
  });

/** Records which hook form carried each new case: the batch form or the one-case form. */
function recordingHooks(seen: { batch: string[]; single: string[] }): InboundHooks {
  return {
    onNewCasesFromEmail: async (_trx, ctxs: EmailHookContext[]) =>
      void seen.batch.push(...ctxs.map((c) => c.parsed.subject)),
    onNewCaseFromEmail: async (_trx, ctx) => void seen.single.push(ctx.parsed.subject),
  };
}

describe('a worker holding at most 1 MiB of mail', () => {
  let c: InboundContext;
  const seen = { batch: [] as string[], single: [] as string[] };
  beforeAll(async () => {
    c = await createInboundContext('inboundmemory', {
      env: { WORKER_BATCH_SIZE: '50', WORKER_MAX_BYTES_IN_FLIGHT: String(MiB) },
      concurrency: 32,
      hooks: recordingHooks(seen),
    });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('processes a backlog of 700 KB mails one at a time, and every one becomes a case', async () => {
    // First a 700 KB message that fails: the bytes it held come back, or the others would wait forever.
    const noise = Buffer.alloc(700 * 1024, 0);
    const [failedId] = await c.backlog([noise]);
    expect((await c.settled(failedId!)).status).toBe('failed');
    const ids = await c.backlog(Array.from({ length: 4 }, (_, i) => bigMail(i, 700 * 1024)));
    // While they drain, never two of them are being processed (claimed, not finished) at once.
    let most = 0;
    for (;;) {
      const rows = await c.t.ctx.db.selectFrom('messages').select('status').where('id', 'in', ids).execute();
      most = Math.max(most, rows.filter((r) => r.status === 'processing').length);
      if (rows.every((r) => r.status === 'processed' || r.status === 'failed')) break;
      await sleep(5);
    }
    const rows = await Promise.all(ids.map((id) => c.settled(id)));
    expect(rows.map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect(most).toBeLessThanOrEqual(1);
    expect(await c.countCases()).toBe(4);
  }, 60_000);
});

describe('mail larger than a batch takes', () => {
  let c: InboundContext;
  const seen = { batch: [] as string[], single: [] as string[] };
  beforeAll(async () => {
    c = await createInboundContext('inboundlarge', {
      env: { WORKER_BATCH_SIZE: '50' },
      concurrency: 32,
      hooks: recordingHooks(seen),
    });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('goes one by one while the small mail of the same backlog is batched; all become cases', async () => {
    const small = Array.from({ length: 6 }, (_, i) =>
      mail({ from: `s${i}@memory.example`, subject: `Small mail ${i}` }),
    );
    const large = [0, 1].map((i) => bigMail(i, BATCH_MESSAGE_MAX_BYTES + 100 * 1024));
    const ids = await c.backlog([...small, ...large]);
    const rows = await Promise.all(ids.map((id) => c.settled(id, 60_000)));
    expect(rows.every((r) => r.status === 'processed' && r.case_id)).toBe(true);
    expect(seen.single.sort()).toEqual(['Large mail 0', 'Large mail 1']);
    expect(seen.batch.sort()).toEqual(small.map((_, i) => `Small mail ${i}`));
    const body = (await c.caseJson(rows[6]!.case_id!)).Description as string;
    expect(body.length).toBeGreaterThan(BATCH_MESSAGE_MAX_BYTES);
  }, 90_000);
});
