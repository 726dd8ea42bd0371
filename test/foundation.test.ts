import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase, changeCaseStatus, addNote, getCaseJson } from '../src/cases/case.service.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('foundation');
});
afterAll(async () => {
  await t?.drop();
});

describe('case core', () => {
  it('a new case gets Status New, the next number and a first log entry', async () => {
    const row = await createCase(t.db, { Subject: 'Where is my parcel?', CustomerEmail: 'ann@example.com' });
    const json = await getCaseJson(t.db, row.id);
    expect(json.CaseNumber).toBe('CS-1001');
    expect(json.Status).toBe('New');
    expect(json.Priority).toBe('Medium');
    expect(json.CaseStatusLog).toEqual([
      { Status: 'New', Timestamp: json.Created, DurationSincePreviousMs: null, ChangedBy: null, ChangedByUserId: null },
    ]);
  });

  it('closing and reopening keeps the log and clears ClosedDate', async () => {
    const row = await createCase(t.db, { Subject: 'Refund' });
    await changeCaseStatus(t.db, row.id, 'Closed');
    expect((await getCaseJson(t.db, row.id)).ClosedDate).not.toBeNull();
    await changeCaseStatus(t.db, row.id, 'Reopened');
    const json = await getCaseJson(t.db, row.id);
    expect(json.ClosedDate).toBeNull();
    expect(json.CaseStatusLog.map((l) => l.Status)).toEqual(['New', 'Closed', 'Reopened']);
  });

  it('a note updates the comment fields', async () => {
    const row = await createCase(t.db, { Subject: 'Broken item' });
    await addNote(t.db, row.id, { comment: 'We are on it', is_public: true, created_by: 'Bo' });
    const json = await getCaseJson(t.db, row.id);
    expect(json.CommentCount).toBe(1);
    expect(json.LastCommenterName).toBe('Bo');
    expect(json.CaseNotes[0]?.Comment).toBe('We are on it');
  });
});

describe('http skeleton', async () => {
  const { createTestApp } = await import('./helpers/app.js');
  it('creates and reads a case with an admin key, and refuses without one', async () => {
    const t2 = await createTestApp('skeleton');
    try {
      const created = await t2.call('POST', '/api/cases', { Subject: 'Hello' });
      expect(created.status).toBe(201);
      const got = await t2.call('GET', `/api/cases/${created.json.Id}`, undefined, t2.readKey);
      expect(got.json.Subject).toBe('Hello');
      expect((await t2.call('GET', `/api/cases/${created.json.Id}`, undefined, null)).status).toBe(401);
      expect((await t2.call('POST', '/api/cases', { Subject: 'x' }, t2.readKey)).status).toBe(403);
      expect((await t2.call('POST', '/api/cases', '{bad json')).status).toBe(400);
      expect((await t2.call('GET', '/api/cases/not-a-uuid')).status).toBe(404);
    } finally {
      await t2.close();
    }
  });
});
