import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { QUERY_CANCELED } from '../src/db/database.js';
import { createTestApp, type TestApp } from './helpers/app.js';

// The web process's statement timeout (DATABASE_STATEMENT_TIMEOUT_MS): a statement that runs past it is cancelled
// by PostgreSQL and the request answered 503, with nothing changed. A row lock held elsewhere makes the statement
// wait, which counts toward the timeout like work does: a deterministic slow statement.
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp('stmttimeout', { DATABASE_STATEMENT_TIMEOUT_MS: '300' });
});

afterAll(async () => {
  await t.close();
});

describe('statement timeout', () => {
  it('cancels a statement that runs past it, at the database', async () => {
    await expect(sql`SELECT pg_sleep(2)`.execute(t.ctx.db)).rejects.toMatchObject({ code: QUERY_CANCELED });
    // The connection is fine afterwards.
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(t.ctx.db)).rows[0]!.one).toBe(1);
  });

  it('answers a request whose statement waits too long with 503 and changes nothing', async () => {
    const created = await t.call('POST', '/api/cases', {
      Subject: 'Locked elsewhere',
      CustomerEmail: 'lock@example.com',
    });
    expect(created.status).toBe(201);
    const id = created.json.Id as string;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Another session holds the case's row lock (no timeout there) until the request has failed.
    const holder = t.database.db.transaction().execute(async (trx) => {
      await sql`SELECT id FROM cases WHERE id = ${id} FOR UPDATE`.execute(trx);
      locked();
      await released;
    });
    await isLocked;
    const r = await t.call('PATCH', '/api/cases', { Id: id, Subject: 'Changed while locked' });
    release();
    await holder;
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: 'QUERY_TIMEOUT', statusCode: 503 });
    expect(r.json.message).toMatch(/statement timeout/);
    expect((await t.call('GET', `/api/cases/${id}`)).json.Subject).toBe('Locked elsewhere');
    // Once the lock is gone the same request goes through.
    const again = await t.call('PATCH', '/api/cases', { Id: id, Subject: 'Changed later' });
    expect(again.status).toBe(200);
    expect(again.json.Subject).toBe('Changed later');
  });
});
