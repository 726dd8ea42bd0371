import { sql, type Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app and speaks raw SQL.
// The staff inbox: reply templates, and NOTIFY on every change of a case or its thread, whoever writes it (the web
// process, the worker, a script), so every web process can push it to the browsers (src/live/).

/** Per statement, at most this many rows are announced: a bulk change of a million cases is not a million events. */
const MAX_EVENTS_PER_STATEMENT = 1000;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE reply_templates (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      body text NOT NULL,
      is_public boolean NOT NULL DEFAULT true,
      created timestamptz NOT NULL DEFAULT now(),
      changed timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX reply_templates_name_key ON reply_templates (lower(name))`.execute(db);

  // Statement-level triggers with transition tables: one trigger call per statement, not per row.
  // TG_ARGV[0] is the change ("created", "updated", "thread"); the case rows carry case_number themselves.
  await sql`
    CREATE FUNCTION intake_notify_case_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('intake_case_events',
        json_build_object('CaseId', r.id, 'CaseNumber', r.case_number, 'Change', TG_ARGV[0])::text)
      FROM (SELECT id, case_number FROM changed_rows LIMIT ${sql.lit(MAX_EVENTS_PER_STATEMENT)}) r;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION intake_notify_thread_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('intake_case_events',
        json_build_object('CaseId', c.id, 'CaseNumber', c.case_number, 'Change', 'thread')::text)
      FROM (SELECT DISTINCT case_id FROM changed_rows LIMIT ${sql.lit(MAX_EVENTS_PER_STATEMENT)}) r
      JOIN cases c ON c.id = r.case_id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER cases_notify_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION intake_notify_case_rows('created')`.execute(db);
  await sql`
    CREATE TRIGGER cases_notify_update AFTER UPDATE ON cases REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION intake_notify_case_rows('updated')`.execute(db);
  for (const table of ['case_notes', 'case_status_log', 'outbox']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_notify_insert`)} AFTER INSERT ON ${sql.table(table)}
      REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION intake_notify_thread_rows()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['case_notes', 'case_status_log', 'outbox']) {
    await sql`DROP TRIGGER IF EXISTS ${sql.raw(`${table}_notify_insert`)} ON ${sql.table(table)}`.execute(db);
  }
  await sql`DROP TRIGGER IF EXISTS cases_notify_update ON cases`.execute(db);
  await sql`DROP TRIGGER IF EXISTS cases_notify_insert ON cases`.execute(db);
  await sql`DROP FUNCTION IF EXISTS intake_notify_thread_rows()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS intake_notify_case_rows()`.execute(db);
  await sql`DROP TABLE IF EXISTS reply_templates`.execute(db);
}
