import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as migration from '../migrations/20261201160000_lz4_compression.js';
import { createCase } from '../src/cases/case.service.js';
import { storeRawMessage } from '../src/inbound/store.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// Migration 20261201160000: the columns that hold messages and bodies are compressed with lz4 where the server has it.
const COLUMNS = [
  'messages.raw',
  'cases.description',
  'cases.search_vector',
  'case_search.search_vector',
  'case_notes.comment',
  'case_notes.full_text',
  'case_notes.html',
  'attachments.content',
  'outbox.text_body',
  'outbox.html_body',
];

let t: TestDatabase;
let serverHasLz4: boolean;
beforeAll(async () => {
  t = await createTestDatabase('compression');
  const { rows } = await sql<{ lz4: boolean }>`
    SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`.execute(t.db);
  serverHasLz4 = rows[0]?.lz4 === true;
});
afterAll(async () => {
  await t?.drop();
});

/** Each listed column's compression setting: 'l' for lz4, '' for the server's default. */
async function settings(): Promise<Record<string, string>> {
  const { rows } = await sql<{ col: string; c: string }>`
    SELECT c.relname || '.' || a.attname AS col, a.attcompression::text AS c
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relname || '.' || a.attname = ANY(${COLUMNS}::text[]) AND c.relnamespace = 'public'::regnamespace`.execute(
    t.db,
  );
  return Object.fromEntries(rows.map((r) => [r.col, r.c]));
}

describe('lz4 for message-sized columns', () => {
  it('sets lz4 on every column that holds a message or a body, and down() gives them back the default', async () => {
    const expected = serverHasLz4 ? 'l' : '';
    expect(await settings()).toEqual(Object.fromEntries(COLUMNS.map((c) => [c, expected])));
    await t.db.transaction().execute((trx) => migration.down(trx));
    expect(await settings()).toEqual(Object.fromEntries(COLUMNS.map((c) => [c, ''])));
    await t.db.transaction().execute((trx) => migration.up(trx));
    expect(await settings()).toEqual(Object.fromEntries(COLUMNS.map((c) => [c, expected])));
  });

  it('a stored mail and a long case body are written compressed and read back exactly', async () => {
    const raw = readFileSync(new URL('../fixtures/outlook-reply.eml', import.meta.url));
    const mail = Buffer.concat([raw, Buffer.from('\r\n' + 'Quoted history line that repeats.\r\n'.repeat(300))]);
    const stored = await storeRawMessage(t.db, { mailbox: 'test', uid: 1, uidvalidity: 1, raw: mail });
    const body = 'The parcel arrived damaged and the box was open. '.repeat(200);
    const row = await createCase(t.db, { Subject: 'Damaged parcel', Description: body });

    const message = await t.db
      .selectFrom('messages')
      .select(['raw', sql<string | null>`pg_column_compression(raw)`.as('method')])
      .where('id', '=', stored.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.compare(message.raw, mail)).toBe(0);
    const kase = await t.db
      .selectFrom('cases')
      .select(['description', sql<string | null>`pg_column_compression(description)`.as('method')])
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(kase.description).toBe(body);
    const method = serverHasLz4 ? 'lz4' : 'pglz';
    expect([message.method, kase.method]).toEqual([method, method]);
  });
});
