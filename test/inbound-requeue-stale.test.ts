import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requeueStaleMessages } from '../src/inbound/requeue-stale.js';
import { inboundJobForRow, storeRawMessages } from '../src/inbound/store.js';
import { inboundJobId } from '../src/queue/queues.js';
import { createInboundContext, fixture, mail, type InboundContext } from './helpers/inbound.js';

let c: InboundContext;

beforeAll(async () => {
  c = await createInboundContext('requeue_stale');
});
afterAll(async () => {
  await c?.close();
});

const age = (ids: string[], status: string, minutes: number) =>
  sql`UPDATE messages SET status = ${status}, received_at = now() - make_interval(mins => ${minutes}) WHERE id = ANY(${ids}::bigint[])`.execute(
    c.t.ctx.db,
  );

/** The first job id of a stored row, from its received_at as stored now. */
async function firstJobIdOf(rowId: string): Promise<string> {
  const row = await c.t.ctx.db.selectFrom('messages').selectAll().where('id', '=', rowId).executeTakeFirstOrThrow();
  return inboundJobId(inboundJobForRow(row));
}

async function jobIdsOf(rowId: string): Promise<string[]> {
  const jobs = await c.queues.inbound.getJobs(
    ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'],
    0,
    -1,
  );
  return jobs.filter((j) => j.data.messageRowId === rowId).map((j) => j.id!);
}

describe('storeRawMessages', () => {
  it('stores a batch in input order, reports known and repeated messages as not inserted, and keeps oversize ones as failed', async () => {
    const a = Buffer.from(mail({ subject: 'batch a' }));
    const b = Buffer.from(mail({ subject: 'batch b' }));
    const first = await storeRawMessages(c.t.ctx.db, [{ mailbox: 'batch', raw: a }]);
    const stored = await storeRawMessages(c.t.ctx.db, [
      { mailbox: 'batch', raw: b },
      { mailbox: 'batch', raw: a },
      { mailbox: 'batch', raw: b },
      {
        mailbox: 'batch',
        raw: Buffer.from(mail({ subject: 'too big' }).split('\r\n\r\n')[0]!),
        failed: { error: 'over the limit', size: 9_999_999 },
      },
    ]);
    expect(stored.map((s) => s.inserted)).toEqual([true, false, false, true]);
    expect(stored[1]!.id).toBe(first[0]!.id);
    expect(stored[2]!.id).toBe(stored[0]!.id);
    expect(stored[0]!.job).toMatchObject({
      messageRowId: stored[0]!.id,
      mailbox: 'batch',
      subject: 'batch b',
      size: b.length,
    });
    const big = await c.t.ctx.db
      .selectFrom('messages')
      .select(['status', 'error', 'size'])
      .where('id', '=', stored[3]!.id)
      .executeTakeFirstOrThrow();
    expect(big).toEqual({ status: 'failed', error: 'over the limit', size: 9_999_999 });
    // Not queued: these rows were stored without jobs on purpose; keep them out of the sweep below.
    await sql`UPDATE messages SET status = 'ignored' WHERE mailbox = 'batch' AND status = 'queued'`.execute(c.t.ctx.db);
  });

  it('a message the database refuses is kept as failed with its raw bytes, and the rest of its batch is stored', async () => {
    // A stand-in for any refusal the content causes (class 23 here; 22 and 54 likewise): PostgreSQL refuses one row.
    await sql`ALTER TABLE messages ADD CONSTRAINT test_refuses_poison CHECK (envelope->>'subject' IS DISTINCT FROM 'poison') NOT VALID`.execute(
      c.t.ctx.db,
    );
    try {
      const raws = ['refusal before', 'poison', 'refusal after'].map((subject) => Buffer.from(mail({ subject })));
      const stored = await storeRawMessages(
        c.t.ctx.db,
        raws.map((raw) => ({ mailbox: 'refusal', raw })),
      );
      expect(stored.map((m) => [m.inserted, m.status])).toEqual([
        [true, 'queued'],
        [true, 'failed'],
        [true, 'queued'],
      ]);
      const poison = await c.t.ctx.db
        .selectFrom('messages')
        .select(['raw', 'error', 'message_id', 'envelope'])
        .where('id', '=', stored[1]!.id)
        .executeTakeFirstOrThrow();
      expect(poison.raw.equals(raws[1]!)).toBe(true);
      expect(poison.error).toMatch(
        /^the database refused the message as received \(23514: .*test_refuses_poison.*\); its raw bytes are kept$/,
      );
      expect(poison).toMatchObject({
        message_id: null,
        envelope: { messageId: null, from: null, subject: null, date: null },
      });
      // Fetched again (the poller died before flagging): the same three rows, nothing doubled.
      const again = await storeRawMessages(
        c.t.ctx.db,
        raws.map((raw) => ({ mailbox: 'refusal', raw })),
      );
      expect(again.map((m) => [m.id, m.inserted])).toEqual(stored.map((m) => [m.id, false]));
    } finally {
      await sql`ALTER TABLE messages DROP CONSTRAINT test_refuses_poison`.execute(c.t.ctx.db);
      await sql`UPDATE messages SET status = 'ignored' WHERE mailbox = 'refusal' AND status = 'queued'`.execute(
        c.t.ctx.db,
      );
    }
  });
});

describe('requeueStaleMessages (jobs lost by Redis)', () => {
  it('queues again every stale message without a pending job, once, and the worker makes each a case exactly once', async () => {
    await c.worker.pause();
    const lost: string[] = [];
    for (let i = 0; i < 12; i++) lost.push((await c.deliver(mail({ subject: `lost ${i}` }))).id);
    const inFlight = (await c.deliver(mail({ subject: 'worker died with it' }))).id;
    const recentlyClaimed = (await c.deliver(mail({ subject: 'claimed a moment ago' }))).id;
    const fresh = (await c.deliver(mail({ subject: 'just stored' }))).id;
    // Redis loses every job (a restart without persistence, FLUSHALL).
    await c.queues.inbound.obliterate({ force: true });
    // A stale message whose job is still waiting is not lost.
    const waiting = (await c.deliver(mail({ subject: 'old but queued' }))).id;

    await age([...lost, waiting], 'queued', 10);
    await age([inFlight], 'processing', 30);
    // Stored a moment ago and already claimed, and the fresh message: either could be between store and enqueue
    // (its job not queued yet), so both are left alone. An older 'processing' row without a job is lost.
    await age([recentlyClaimed], 'processing', 0);

    const result = await requeueStaleMessages(c.t.ctx.db, c.queues);
    expect([...result.requeued].sort()).toEqual([...lost, inFlight].sort());
    expect(result.requeued).not.toContain(waiting);
    expect(result.requeued).not.toContain(recentlyClaimed);
    expect(result.requeued).not.toContain(fresh);
    // No earlier job exists: the message gets its first job id again.
    expect(await jobIdsOf(lost[0]!)).toEqual([await firstJobIdOf(lost[0]!)]);
    // A second run finds their jobs pending and queues nothing twice.
    expect((await requeueStaleMessages(c.t.ctx.db, c.queues)).requeued).toEqual([]);

    await c.worker.resume();
    for (const id of [...lost, inFlight, waiting]) expect((await c.settled(id)).status).toBe('processed');
    const rows = await c.t.ctx.db
      .selectFrom('messages')
      .select(['id', 'case_id'])
      .where('id', 'in', [...lost, inFlight, waiting])
      .execute();
    expect(rows.every((r) => r.case_id)).toBe(true);
    expect(new Set(rows.map((r) => r.case_id)).size).toBe(lost.length + 2);
    const subjects = await c.t.ctx.db
      .selectFrom('cases')
      .select('subject')
      .where('subject', 'like', 'lost %')
      .execute();
    expect(subjects).toHaveLength(lost.length);
  });

  it('a message whose first job still exists finished is queued again under a retry job id', async () => {
    const bad = await c.receive(fixture('malformed.eml'));
    expect(bad.status).toBe('failed');
    // Set back to queued (a re-queue after a fix) and then its retry job was lost: its first job stays failed in
    // Redis. The sweep runs 10 minutes later (received_at is left alone: the first job id is made from it).
    const first = await firstJobIdOf(bad.id);
    await sql`UPDATE messages SET status = 'queued' WHERE id = ${bad.id}`.execute(c.t.ctx.db);
    // Messages the test above left without jobs on purpose are not this test's: keep them out of the sweep.
    await sql`UPDATE messages SET status = 'ignored' WHERE status IN ('queued', 'processing') AND id <> ${bad.id}`.execute(
      c.t.ctx.db,
    );
    const result = await requeueStaleMessages(c.t.ctx.db, c.queues, { now: new Date(Date.now() + 10 * 60_000) });
    expect(result.requeued).toEqual([bad.id]);
    const ids = await jobIdsOf(bad.id);
    expect(ids).toContain(first);
    expect(ids.some((id) => id.startsWith(`msg-${bad.id}-retry-`))).toBe(true);
    // The worker ran it again (it fails again: it is malformed), one more attempt recorded.
    const again = await c.settled(bad.id);
    expect(again.status).toBe('failed');
    expect(again.attempts).toBeGreaterThan(bad.attempts);
  });
});
