import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. Indexes for case search sort orders (src/cases/search.ts).
// Each lets ORDER BY … LIMIT read the first rows of an index instead of sorting every match.

export async function up(db: Kysely<any>): Promise<void> {
  // Filter by status, newest changed first: the queue view of a help desk.
  await sql`CREATE INDEX IF NOT EXISTS cases_status_changed_idx ON cases (status, changed, id)`.execute(db);
  // SubjectAscending/Descending (subject is never null, so one index serves both directions).
  await sql`CREATE INDEX IF NOT EXISTS cases_subject_idx ON cases (subject, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS cases_subject_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS cases_status_changed_idx`.execute(db);
}
