import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. Creating a case checks, in its one insert statement, that the
// case settings it validated against are still the stored version (the settings row's `changed`). Without a
// stored row there is no version, and every case took the slower lock-then-read path until someone saved the
// settings. An empty document is the defaults (the app completes a partial document from its defaults), so
// storing '{}' changes no setting; it only gives every installation a version from the start.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`INSERT INTO settings (key, value) VALUES ('cases', '{}'::jsonb) ON CONFLICT (key) DO NOTHING`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM settings WHERE key = 'cases' AND value = '{}'::jsonb`.execute(db);
}
