import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { addNote, getCaseJson, softDeleteCase, updateCase } from '../src/cases/case.service.js';
import { NotFoundError } from '../src/errors.js';
import type { DbOrTrx } from '../src/db/database.js';
import { createTestApp, type TestApp } from './helpers/app.js';

// Concurrent GET /api/cases/{id} share one statement (src/cases/case-loader.ts); each must still get its own case.
let t: TestApp;
/** Live cases, each with its own subject and notes, by id. */
const live: Array<{ id: string; subject: string; notes: string[] }> = [];
let deletedId: string;

beforeAll(async () => {
  t = await createTestApp('getbatch');
  for (let i = 0; i < 12; i++) {
    const subject = `Batch case ${i}`;
    const c = (await t.call('POST', '/api/cases', { Subject: subject })).json;
    const notes: string[] = [];
    // 0 to 2 notes, so cases in one batch differ in their details too.
    for (let n = 0; n < i % 3; n++) {
      notes.push(`note ${n} of case ${i}`);
      await addNote(t.ctx.db, c.Id, { comment: notes[n]!, is_public: true, created_by: 'Agent' });
    }
    live.push({ id: c.Id, subject, notes });
  }
  const d = (await t.call('POST', '/api/cases', { Subject: 'Batch case deleted' })).json;
  await softDeleteCase(t.ctx.db, d.Id);
  deletedId = d.Id;
});
afterAll(async () => {
  await t?.close();
});

/** The same database handle, counting the statements that reach PostgreSQL through it. */
function countingDb(db: DbOrTrx): { db: DbOrTrx; statements: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n += 1;
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), statements: () => n };
}

describe('concurrent GET /api/cases/{id}', () => {
  it('each request gets exactly its own case; missing, soft-deleted and malformed ids are 404', async () => {
    const missing = randomUUID();
    const requests = [
      ...live.map((c) => ({ url: `/api/cases/${c.id}`, want: c })),
      // The same case twice in one batch, once with its id in upper case.
      { url: `/api/cases/${live[1]!.id.toUpperCase()}`, want: live[1]! },
      { url: `/api/cases/${live[1]!.id}`, want: live[1]! },
      { url: `/api/cases/${missing}`, want: null },
      { url: `/api/cases/${deletedId}`, want: null },
      { url: '/api/cases/not-a-uuid', want: null },
    ];
    const answers = await Promise.all(requests.map((r) => t.call('GET', r.url)));
    answers.forEach((a, i) => {
      const want = requests[i]!.want;
      if (!want) {
        expect(a.status, requests[i]!.url).toBe(404);
        return;
      }
      expect(a.status, requests[i]!.url).toBe(200);
      expect(a.json.Id).toBe(want.id);
      expect(a.json.Subject).toBe(want.subject);
      expect(a.json.CaseNotes.map((n: { Comment: string }) => n.Comment)).toEqual(want.notes);
      expect(a.json.CommentCount).toBe(want.notes.length);
      expect(a.json.Deleted).toBeNull();
    });
  });

  it('concurrent reads in one turn of the event loop are one statement; includeDeleted reads are a second one', async () => {
    const counted = countingDb(t.ctx.db);
    const settingsCache = t.ctx.caseSettings;
    await settingsCache.get(counted.db);
    const before = counted.statements();
    const liveReads = live.map((c) => getCaseJson(counted.db, c.id, { settingsCache }));
    const deletedLive = getCaseJson(counted.db, deletedId, { settingsCache }).then(
      () => 'found',
      (err: unknown) => (err instanceof NotFoundError ? 'not found' : err),
    );
    const deletedAny = getCaseJson(counted.db, deletedId, { includeDeleted: true, settingsCache });
    const liveAny = getCaseJson(counted.db, live[2]!.id, { includeDeleted: true, settingsCache });
    const got = await Promise.all(liveReads);
    expect(got.map((c) => c.Id)).toEqual(live.map((c) => c.id));
    expect(got.map((c) => c.Subject)).toEqual(live.map((c) => c.subject));
    expect(await deletedLive).toBe('not found');
    expect((await deletedAny).Id).toBe(deletedId);
    expect((await deletedAny).Deleted).not.toBeNull();
    expect((await liveAny).CaseNotes.map((n) => n.Comment)).toEqual(live[2]!.notes);
    expect(counted.statements() - before).toBe(2);
  });

  it('a malformed id is a 404 without a statement', async () => {
    const counted = countingDb(t.ctx.db);
    const settingsCache = t.ctx.caseSettings;
    await settingsCache.get(counted.db);
    const before = counted.statements();
    await expect(getCaseJson(counted.db, 'not-a-uuid', { settingsCache })).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      getCaseJson(counted.db, "'; drop table cases; --", { includeDeleted: true, settingsCache }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(counted.statements() - before).toBe(0);
  });

  it('nothing is cached between requests: a GET after a change sees the change', async () => {
    const c = live[0]!;
    expect((await t.call('GET', `/api/cases/${c.id}`)).json.Subject).toBe(c.subject);
    await updateCase(t.ctx.db, c.id, { Subject: 'Batch case 0, renamed' }, 'patch');
    await addNote(t.ctx.db, c.id, { comment: 'a later note', is_public: false, created_by: 'Agent' });
    const after = (await t.call('GET', `/api/cases/${c.id}`)).json;
    expect(after.Subject).toBe('Batch case 0, renamed');
    expect(after.InternalNotes.map((n: { Comment: string }) => n.Comment)).toEqual(['a later note']);
    c.subject = after.Subject;
  });

  it('a GET inside a transaction reads on that transaction and sees its uncommitted change', async () => {
    const c = live[3]!;
    await t.ctx.db
      .transaction()
      .execute(async (trx) => {
        await updateCase(trx, c.id, { Subject: 'renamed, not committed' }, 'patch');
        expect((await getCaseJson(trx, c.id)).Subject).toBe('renamed, not committed');
        throw new Error('roll back');
      })
      .catch((err: Error) => expect(err.message).toBe('roll back'));
    expect((await t.call('GET', `/api/cases/${c.id}`)).json.Subject).toBe(c.subject);
  });
});
