import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. A narrow copy of what a text search sorted by date tests per case:
// (id, created, deleted_at, search_vector). Such a search walks the `created` index newest first and tests each
// case until a page is full (src/cases/search.ts, the `walk` plan); for two words that rarely meet ("damaged
// laptop") that is thousands of cases per page. Read from `cases`, whose rows are wide and rewritten on every status
// change, the walk touched about one page per case (3,479 buffers, 3.9 ms at 1,000,000 cases); from this table,
// whose rows change only with the searchable text, 1.1-1.5 ms for the same cases.
//
// Kept in step by triggers in the same transaction as the write to `cases`, so a search sees exactly what it would
// see in `cases`: new cases per statement (one INSERT … SELECT for a whole batch), an update only when the search
// vector, deleted_at or created changed (the WHEN clause is tested without calling the function), deletes per
// statement, and TRUNCATE. No foreign key: that would be one more index lookup per new case.
// The update and delete are EXECUTEd, i.e. planned on every call: PL/pgSQL would otherwise keep the plan it made
// on a connection's first calls, and a plan made while the table was small is a seq scan (seen in a test: an update
// of 42,000 cases, each reading the whole table, ran for minutes). Updates are rare (a new subject, a soft delete).
//
// The copy of the existing cases is written in date order; on 1,000,000 cases it takes about 5 s, during which
// writes to cases wait (the lock below, held to the end of the migrations' transaction): a case written by a worker
// between the copy and the triggers would otherwise be in neither.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`
    CREATE TABLE case_search (
      id uuid PRIMARY KEY,
      created timestamptz NOT NULL,
      deleted_at timestamptz,
      search_vector tsvector
    )`.execute(db);
  await sql`
    INSERT INTO case_search (id, created, deleted_at, search_vector)
    SELECT id, created, deleted_at, search_vector FROM cases ORDER BY created, id`.execute(db);
  await sql`CREATE INDEX case_search_created_idx ON case_search (created, id)`.execute(db);

  await syncTrigger(
    db,
    'insert',
    `INSERT INTO case_search (id, created, deleted_at, search_vector)
     SELECT id, created, deleted_at, search_vector FROM inserted_cases`,
    'AFTER INSERT ON cases REFERENCING NEW TABLE AS inserted_cases FOR EACH STATEMENT',
  );
  await syncTrigger(
    db,
    'update',
    `EXECUTE 'UPDATE case_search SET id = $1, created = $2, deleted_at = $3, search_vector = $4 WHERE id = $5'
       USING NEW.id, NEW.created, NEW.deleted_at, NEW.search_vector, OLD.id`,
    `AFTER UPDATE ON cases FOR EACH ROW
     WHEN (OLD.search_vector IS DISTINCT FROM NEW.search_vector OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
           OR OLD.created IS DISTINCT FROM NEW.created OR OLD.id IS DISTINCT FROM NEW.id)`,
  );
  await syncTrigger(
    db,
    'delete',
    `EXECUTE 'DELETE FROM case_search s USING deleted_cases d WHERE s.id = d.id'`,
    'AFTER DELETE ON cases REFERENCING OLD TABLE AS deleted_cases FOR EACH STATEMENT',
  );
  await syncTrigger(db, 'truncate', 'TRUNCATE case_search', 'AFTER TRUNCATE ON cases FOR EACH STATEMENT');
  await sql`ANALYZE case_search`.execute(db);
}

/** The PL/pgSQL function case_search_<op>, which runs `statement`, and its trigger `case_search_<op>` (`when`). */
async function syncTrigger(db: Kysely<any>, op: string, statement: string, when: string): Promise<void> {
  await sql
    .raw(
      `CREATE FUNCTION case_search_${op}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${statement}; RETURN NULL; END $$`,
    )
    .execute(db);
  await sql.raw(`CREATE TRIGGER case_search_${op} ${when} EXECUTE FUNCTION case_search_${op}()`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const op of ['insert', 'update', 'delete', 'truncate']) {
    await sql`DROP TRIGGER IF EXISTS ${sql.id(`case_search_${op}`)} ON cases`.execute(db);
    await sql`DROP FUNCTION IF EXISTS ${sql.id(`case_search_${op}`)}()`.execute(db);
  }
  await sql`DROP TABLE IF EXISTS case_search`.execute(db);
}
