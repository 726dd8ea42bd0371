import { CompiledQuery, type Insertable } from 'kysely';
import { executePrepared, type DbOrTrx } from '../db/database.js';
import type { CasesTable } from '../db/schema.js';
import { CASE_NUMBER_LOCK_KEY, CASE_SETTINGS_KEY } from '../settings/settings.repository.js';
import {
  CASE_COLUMN_TYPES,
  CASE_COLUMNS,
  NOTE_COLUMN_TYPES,
  type CaseColumn,
  type CaseRow,
  type NoteRow,
} from './case.mapper.js';

/** The columns of a new case but its number, which insertNewCases takes. A column no case of the call sets gets its default. */
export type NewCaseValues = Omit<Insertable<CasesTable>, 'number' | 'case_number' | 'id'> & { id: string };

export interface NewCase {
  values: NewCaseValues;
  /** Its first note, written by the same statement (the caller sets the case's comment fields for it). */
  note?: NoteRow;
}

export interface InsertedCase {
  row: CaseRow;
  /** The id of the case's first status-log entry (its status at status_changed_at). */
  logId: string;
}

/** What insertNewCases wrote; `stale`: the settings were not the given version, and nothing was written. */
export type InsertNewCasesResult = { stale: false; cases: InsertedCase[] } | { stale: true };

/** Set in SQL, never taken from the values: the number from the sequence, the case number made of it. */
const NUMBERED = new Set<CaseColumn>(['number', 'case_number']);
/** Always in the statement: a case without a CustomerId is linked to the known customer of its email in SQL. */
const LINKED = ['customer_id', 'customer_name'] as const;
// A note's text is often the case's description (the first note of a case from email): sent once, flagged.
const SAME_AS_DESCRIPTION = ['comment', 'full_text'] as const;
const NOTE_COLUMNS = Object.keys(NOTE_COLUMN_TYPES) as (keyof typeof NOTE_COLUMN_TYPES)[];

/** jsonb travels as its JSON text, as pg sends it (Insertable<CasesTable> has it as a string), and is cast. */
const recordType = (type: string) => (type === 'jsonb' ? 'text' : type);
const caseValue = (column: CaseColumn) =>
  CASE_COLUMN_TYPES[column] === 'jsonb' ? `v.${column}::jsonb` : `v.${column}`;
const noteValue = (column: keyof typeof NOTE_COLUMN_TYPES) =>
  (SAME_AS_DESCRIPTION as readonly string[]).includes(column)
    ? `CASE WHEN v.note_${column}_is_description THEN v.description ELSE v.note_${column} END`
    : `v.note_${column}`;

/**
 * The statement of insertNewCases for cases that set `columns`. Its text depends only on that set (a few shapes in
 * practice), so it is sent prepared; the cases are ONE JSON document ($1), whatever their number.
 * The order of the locks is a settings change's (settings.service.ts): the case-number lock (shared), then the
 * settings row. The row is read FOR KEY SHARE: under READ COMMITTED a locking read returns the newest committed
 * version even when the statement's snapshot is older, and a settings change (FOR UPDATE) waits until this commits,
 * so its orphan check counts these cases. When the row is not version $2 (and $2 is given), `go` is empty: no number
 * is taken, nothing is written, no row is returned.
 */
function newCasesStatement(columns: readonly CaseColumn[]): string {
  const recordColumns = [
    'ord int',
    'note_id uuid',
    ...SAME_AS_DESCRIPTION.map((name) => `note_${name}_is_description boolean`),
    ...columns.map((name) => `${name} ${recordType(CASE_COLUMN_TYPES[name])}`),
    ...NOTE_COLUMNS.map((name) => `note_${name} ${NOTE_COLUMN_TYPES[name]}`),
  ].join(', ');
  const plain = columns.filter((name) => !(LINKED as readonly string[]).includes(name));
  return `
WITH lock AS (SELECT pg_advisory_xact_lock_shared(${CASE_NUMBER_LOCK_KEY}) AS locked),
-- The settings row is read in a subquery of the lock's row (lock.locked), so it is locked after the lock.
go AS (
  SELECT FROM lock
   WHERE $2::text IS NULL
      OR (SELECT changed::text FROM settings
           WHERE key = '${CASE_SETTINGS_KEY}' AND lock.locked IS NOT NULL FOR KEY SHARE) = $2::text
),
v AS (
  SELECT v.*, nextval('case_number_seq') AS n
    FROM jsonb_to_recordset($1::jsonb) AS v(${recordColumns}) CROSS JOIN go
   ORDER BY v.ord
),
c AS (
  INSERT INTO cases (number, case_number, ${[...LINKED, ...plain].join(', ')})
  SELECT v.n, $3::text || v.n,
         coalesce(v.customer_id, cu.id),
         coalesce(v.customer_name, CASE WHEN v.customer_id IS NULL THEN nullif(cu.name, '') END),
         ${plain.map(caseValue).join(', ')}
    FROM v LEFT JOIN customers cu ON v.customer_id IS NULL AND lower(cu.email) = lower(trim(v.customer_email))
   ORDER BY v.ord
  RETURNING ${CASE_COLUMNS.join(', ')}
),
l AS (
  INSERT INTO case_status_log (case_id, status, "timestamp", duration_since_previous_ms, changed_by, changed_by_user_id)
  SELECT id, status, status_changed_at, NULL, $4::text, $5::uuid FROM c
  RETURNING id, case_id
),
n AS (
  INSERT INTO case_notes (id, case_id, ${NOTE_COLUMNS.join(', ')})
  SELECT v.note_id, v.id, ${NOTE_COLUMNS.map(noteValue).join(', ')} FROM v WHERE v.note_id IS NOT NULL ORDER BY v.ord
)
SELECT c.*, l.id AS log_id FROM c JOIN l ON l.case_id = c.id`;
}

const statements = new Map<string, string>();

/** One case of the JSON document: its values, and its first note's columns prefixed `note_`. */
function caseRecord(ord: number, { values, note }: NewCase, columns: readonly CaseColumn[]): Record<string, unknown> {
  const record: Record<string, unknown> = { ord };
  for (const name of columns) record[name] = values[name as keyof NewCaseValues] ?? null;
  if (!note) return record;
  record.note_id = note.id;
  for (const name of NOTE_COLUMNS) record[`note_${name}`] = note[name];
  for (const name of SAME_AS_DESCRIPTION) {
    if (note[name] !== values.description) continue;
    record[`note_${name}_is_description`] = true;
    record[`note_${name}`] = null;
  }
  return record;
}

/**
 * Writes new cases, each with its first status-log entry and (when given) its first note, in ONE statement: the
 * one way a case is created, for one case of the API and for an inbound backlog's batch alike (one statement per
 * case cost more CPU than everything else the worker does). Numbers are taken in input order under the
 * case-number lock (shared). A case without a customer_id is linked to the known customer of its email
 * (case-insensitive), which also fills an empty customer_name.
 *
 * `settingsVersion`: the version of the case settings the values were checked against, confirmed under a lock by
 * the statement; `{ stale: true }` when they are no longer the stored ones (nothing written). Null when the caller
 * holds the case-number lock itself and read the settings after taking it (a settings change takes it exclusively).
 * `changedBy`: who creates the cases, named in their first status-log entries (none: mail, the server).
 */
export async function insertNewCases(
  db: DbOrTrx,
  cases: readonly NewCase[],
  guard: { settingsVersion: string | null; numberPrefix: string; changedBy?: { name: string; userId: string | null } },
): Promise<InsertNewCasesResult> {
  if (cases.length === 0) return { stale: false, cases: [] };
  const columns = CASE_COLUMNS.filter(
    (name) =>
      !NUMBERED.has(name) &&
      ((LINKED as readonly string[]).includes(name) ||
        cases.some((c) => c.values[name as keyof NewCaseValues] !== undefined)),
  );
  const key = columns.join(',');
  let text = statements.get(key);
  if (!text) statements.set(key, (text = newCasesStatement(columns)));
  const records = cases.map((c, ord) => caseRecord(ord, c, columns));
  const rows = await executePrepared(
    db,
    CompiledQuery.raw(text, [
      JSON.stringify(records),
      guard.settingsVersion,
      guard.numberPrefix,
      guard.changedBy?.name ?? null,
      guard.changedBy?.userId ?? null,
    ]) as CompiledQuery<CaseRow & { log_id: string }>,
  );
  if (rows.length === 0) return { stale: true };
  const byId = new Map(rows.map(({ log_id, ...row }) => [row.id, { row, logId: log_id }]));
  return { stale: false, cases: cases.map((c) => byId.get(c.values.id)!) };
}
