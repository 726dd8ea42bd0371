import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Transaction } from 'kysely';
import { executePrepared } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import {
  CASE_NUMBER_LOCK_KEY,
  CASE_SETTINGS_KEY,
  type VersionedCaseSettings,
} from '../settings/settings.repository.js';
import type { CaseRow, NoteRow } from './case.mapper.js';
import {
  attachmentValues,
  CASE_COLUMNS,
  STALE_SETTINGS_MARK,
  isStaleSettingsError,
  type NewNoteRow,
} from './case.repository.js';
import { newCaseValues, StaleCaseSettingsError } from './case.service.js';
import type { EditableCaseFields, NewAttachment } from './case.types.js';

/** One case of createCasesWithFirstNote: the case's fields and its first note. */
export interface NewCaseWithNote {
  input: EditableCaseFields;
  note: Omit<NewNoteRow, 'created' | 'send_email_notification' | 'email_to' | 'email_cc' | 'email_bcc'>;
  attachments?: readonly NewAttachment[];
}

/** Columns of the JSON document the statement reads, with their types: the order of every list below. */
const CASE_FIELDS = [
  ['subject', 'text'],
  ['description', 'text'],
  ['status', 'text'],
  ['priority', 'text'],
  ['source', 'text'],
  ['assigned_to_user_id', 'text'],
  ['assigned_to_name', 'text'],
  ['customer_id', 'uuid'],
  ['customer_name', 'text'],
  ['customer_email', 'text'],
  ['tags', 'text[]'],
  ['related_orders', 'text[]'],
  ['related_customers', 'text[]'],
  ['related_projects', 'text[]'],
  ['related_carts', 'text[]'],
  ['related_sku_ids', 'text[]'],
  ['related_product_ids', 'text[]'],
  ['participants', 'text'],
  ['properties', 'text'],
  ['follow_up_date', 'timestamptz'],
  ['market_id', 'text'],
  ['market_group_id', 'text'],
  ['reply_token', 'text'],
  ['status_changed_at', 'timestamptz'],
  ['created', 'timestamptz'],
  ['changed', 'timestamptz'],
  ['last_comment_date', 'timestamptz'],
  ['last_commenter_name', 'text'],
] as const;
const NOTE_FIELDS = [
  ['comment', 'text'],
  ['full_text', 'text'],
  ['html', 'text'],
  ['is_public', 'boolean'],
  ['created_by', 'text'],
  ['created_by_email', 'text'],
  ['source', 'text'],
  ['message_id', 'bigint'],
  ['created', 'timestamptz'],
] as const;

const JSON_COLUMNS = new Set(['participants', 'properties']);
// A note's text is often the case's description (the first note of a case from email): sent once, flagged.
const SAME_AS_DESCRIPTION = ['comment', 'full_text'] as const;
const noteValue = (name: string) =>
  (SAME_AS_DESCRIPTION as readonly string[]).includes(name)
    ? `CASE WHEN v.note_${name}_is_description THEN v.description ELSE v.note_${name} END`
    : `v.note_${name}`;
const recordColumns = [
  'ord int',
  'id uuid',
  'note_id uuid',
  ...SAME_AS_DESCRIPTION.map((name) => `note_${name}_is_description boolean`),
  ...CASE_FIELDS.map(([name, type]) => `${name} ${type}`),
  ...NOTE_FIELDS.map(([name, type]) => `note_${name} ${type}`),
].join(', ');
const caseColumnList = CASE_FIELDS.map(([name]) => name).filter((n) => n !== 'customer_id' && n !== 'customer_name');
const caseSelectList = caseColumnList.map((n) => (JSON_COLUMNS.has(n) ? `v.${n}::jsonb` : `v.${n}`));

/**
 * Every case of the batch, its first status-log entry and its first note in ONE statement with a fixed text
 * (sent prepared): the cases as one JSON document ($1), so the text does not depend on their number.
 * As insertNewCaseStatement does for one case: the case-number lock shared, then the numbers in input order;
 * the settings confirmed to be version $2 under FOR KEY SHARE (a cast error carrying STALE_SETTINGS_MARK
 * aborts everything when they changed); a case without a CustomerId linked to the known customer of its
 * email (case-insensitive), which also fills an empty CustomerName.
 */
const INSERT_CASES_WITH_NOTES = `
WITH lock AS (SELECT pg_advisory_xact_lock_shared(${CASE_NUMBER_LOCK_KEY}) AS locked),
s AS (
  SELECT CASE WHEN changed::text = $2 THEN 1 ELSE ('${STALE_SETTINGS_MARK} ' || changed::text)::int END AS ok
    FROM settings WHERE key = '${CASE_SETTINGS_KEY}' FOR KEY SHARE
),
v AS (
  SELECT v.*, nextval('case_number_seq') AS n
    FROM jsonb_to_recordset($1::jsonb) AS v(${recordColumns}) CROSS JOIN lock
   ORDER BY v.ord
),
c AS (
  INSERT INTO cases (id, number, case_number, customer_id, customer_name, comment_count, ${caseColumnList.join(', ')})
  SELECT v.id, v.n * (SELECT ok FROM s), $3::text || v.n,
         coalesce(v.customer_id, cu.id), coalesce(v.customer_name, CASE WHEN v.customer_id IS NULL THEN nullif(cu.name, '') END),
         1, ${caseSelectList.join(', ')}
    FROM v LEFT JOIN customers cu ON v.customer_id IS NULL AND lower(cu.email) = lower(trim(v.customer_email))
   ORDER BY v.ord
  RETURNING ${CASE_COLUMNS.join(', ')}
),
l AS (
  INSERT INTO case_status_log (case_id, status, "timestamp", duration_since_previous_ms)
  SELECT id, status, status_changed_at, NULL FROM c
  RETURNING id, case_id
),
n AS (
  INSERT INTO case_notes (id, case_id, ${NOTE_FIELDS.map(([name]) => name).join(', ')})
  SELECT v.note_id, v.id, ${NOTE_FIELDS.map(([name]) => noteValue(name)).join(', ')} FROM v ORDER BY v.ord
)
SELECT c.*, l.id AS log_id FROM c JOIN l ON l.case_id = c.id`;

export interface CreatedCaseWithNote {
  caseRow: CaseRow;
  note: NoteRow;
  logId: string;
}

/**
 * Creates several cases, each with its first note (and the note's attachments), in two statements whatever
 * their number: the throughput path of an inbound backlog (src/inbound/process-batch.ts), where one
 * statement per case cost more CPU than everything else the worker does. The same rules as createCase
 * followed by addNoteToLockedCase: the columns come from newCaseValues (validation, Status New, defaults,
 * de-duplication), the first note sets the comment fields. Inside the caller's transaction, with the
 * settings the caller holds: when they are not the stored version, or they refuse a case, it throws
 * StaleCaseSettingsError and the caller's transaction must be run again another way.
 */
export async function createCasesWithFirstNote(
  trx: Transaction<Database>,
  known: VersionedCaseSettings,
  items: readonly NewCaseWithNote[],
  options: { source?: string; now?: Date } = {},
): Promise<CreatedCaseWithNote[]> {
  if (items.length === 0) return [];
  if (known.version === null)
    throw new StaleCaseSettingsError('no stored case settings to confirm: run the transaction again');
  const now = options.now ?? new Date();
  const records: Record<string, unknown>[] = [];
  const notes: NoteRow[] = [];
  for (const [ord, item] of items.entries()) {
    let values: Record<string, unknown>;
    try {
      // linkCustomerByEmail false: the statement links by email itself (one query less per case).
      ({ values } = await newCaseValues(
        trx,
        known.settings,
        item.input,
        { source: options.source, now },
        { linkCustomerByEmail: false },
      ));
    } catch (err) {
      if (err instanceof ValidationError)
        throw new StaleCaseSettingsError('the case settings refuse a case of the batch', { cause: err });
      throw err;
    }
    const id = randomUUID();
    const note: NoteRow = {
      id: randomUUID(),
      case_id: id,
      comment: item.note.comment,
      full_text: item.note.full_text ?? null,
      html: item.note.html ?? null,
      is_public: item.note.is_public,
      created_by: item.note.created_by,
      created_by_email: item.note.created_by_email ?? null,
      source: item.note.source ?? 'api',
      message_id: item.note.message_id == null ? null : String(item.note.message_id),
      send_email_notification: false,
      email_to: [],
      email_cc: [],
      email_bcc: [],
      created: now,
    };
    notes.push(note);
    const record: Record<string, unknown> = {
      ord,
      id,
      note_id: note.id,
      last_comment_date: now,
      last_commenter_name: note.created_by || null,
    };
    for (const [name] of CASE_FIELDS) if (name in values) record[name] = values[name];
    for (const [name] of NOTE_FIELDS) record[`note_${name}`] = note[name];
    for (const name of SAME_AS_DESCRIPTION) {
      if (note[name] !== values.description) continue;
      record[`note_${name}_is_description`] = true;
      record[`note_${name}`] = null;
    }
    records.push(record);
  }
  let rows: (CaseRow & { log_id: string })[];
  try {
    rows = await executePrepared(
      trx,
      CompiledQuery.raw(INSERT_CASES_WITH_NOTES, [
        JSON.stringify(records),
        known.version,
        known.settings.NumberPrefix,
      ]) as CompiledQuery<CaseRow & { log_id: string }>,
    );
  } catch (err) {
    if (isStaleSettingsError(err))
      throw new StaleCaseSettingsError('the case settings changed since they were read: run the transaction again', {
        cause: err,
      });
    throw err;
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  const files = items.flatMap((item, i) =>
    (item.attachments ?? []).map((a) =>
      attachmentValues(notes[i]!.case_id, { noteId: notes[i]!.id, messageId: notes[i]!.message_id }, a),
    ),
  );
  if (files.length > 0) await trx.insertInto('attachments').values(files).execute();
  return notes.map((note) => {
    const { log_id, ...caseRow } = byId.get(note.case_id)!;
    return { caseRow, note, logId: log_id };
  });
}
