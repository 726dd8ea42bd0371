import { randomUUID } from 'node:crypto';
import type { Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CasesTable } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { ConflictError, NotFoundError, StaleCaseSettingsError, ValidationError } from '../errors.js';
import { assertStatus, type CaseSettings } from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';
import {
  getCaseSettings,
  lockCaseNumbersShared,
  readCaseSettings,
  type VersionedCaseSettings,
} from '../settings/settings.repository.js';
import { loadCaseWithDetails } from './case-loader.js';
import { caseToJson, type AttachmentMetaRow, type CaseRow, type NoteRow, type StatusLogRow } from './case.mapper.js';
import {
  findCaseRow,
  findCaseRowByNumber,
  insertNoteAndUpdateCase,
  insertStatusLog,
  newReplyToken,
  updateCaseRow,
  UUID,
  type NewNoteRow,
} from './case.repository.js';
import {
  CASE_TYPES,
  type CaseJson,
  type ChangedBy,
  type EditableCaseFields,
  type NewAttachment,
  type NewCaseFields,
} from './case.types.js';
import { openLines } from './case-lines.repository.js';
import { editableToColumns } from './case-fields.js';
import { insertNewCases, type NewCaseValues } from './new-cases.js';
import { initialStatus, transitionStatus, type StatusLogEntry } from './status.js';

/** Importers of the case service find these here: the error is a coded error of src/errors.ts. */
export { StaleCaseSettingsError };
export { mergeParticipants } from './case-fields.js';

export interface CreateCaseOptions {
  now?: Date;
  /** Status other than *Status New*: only the server uses this (never a client). */
  source?: string;
  /**
   * Inside a caller's transaction: case settings the caller already holds (a cache: the inbound worker's).
   * The case is then created in one statement that confirms they are still the stored version, as outside
   * a transaction. When they are not (or they refuse the case, which fresh ones might not), createCase
   * throws StaleCaseSettingsError: the caller's transaction is aborted, and the caller runs it again
   * without `settings` (the lock-and-read path). Ignored outside a transaction (`settingsCache` is used).
   */
  settings?: VersionedCaseSettings;
  /** Outside a transaction: the app context's copy of the settings to try first (without it they are read). */
  settingsCache?: CaseSettingsCache;
  /** Who creates the case (a staff user, an API key), named in its first status-log entry. */
  by?: ChangedBy;
}

/** Creates a case. Status is always the configured *Status New*; Priority defaults to the configured default. */
export async function createCase(db: DbOrTrx, input: NewCaseFields, options: CreateCaseOptions = {}): Promise<CaseRow> {
  return (await insertNewCase(db, input, options)).row;
}

/** createCase, answered with the case's API JSON built from what was just written (no second read). */
export async function createCaseJson(
  db: DbOrTrx,
  input: NewCaseFields,
  options: CreateCaseOptions = {},
): Promise<CaseJson> {
  const { row, log, settings } = await insertNewCase(db, input, options);
  return caseToJson(row, settings, { statusLog: [log] });
}

/**
 * Outside a transaction: validates against this process's cached settings (settings-cache.ts) and creates
 * the case in one statement that confirms, under a lock, that those settings are still the stored ones
 * (insertNewCases). When another process changed them within the cache TTL, nothing is written
 * and the case is created again with fresh settings; a refusal is likewise confirmed with fresh settings.
 * Inside a caller's transaction: the same with the caller's `settings` (StaleCaseSettingsError when they
 * are stale); without them (or before any settings were saved) it takes the case-number lock first, which
 * a settings change holds exclusively, and reads the settings fresh.
 */
async function insertNewCase(db: DbOrTrx, input: NewCaseFields, options: CreateCaseOptions): Promise<NewCase> {
  const known = options.settings;
  if (db.isTransaction && known?.version != null) {
    const created = await createWithSettings(db, known, input, options).catch((err: unknown) => {
      // Fresh settings might allow the case (a new tag, cases re-enabled): the caller's second run reads them.
      if (err instanceof ValidationError)
        throw new StaleCaseSettingsError('the case settings refuse the case: run the transaction again', err);
      throw err;
    });
    if (!created)
      throw new StaleCaseSettingsError('the case settings changed since they were read: run the transaction again');
    return created;
  }
  if (!db.isTransaction) {
    const cached = await cachedCaseSettings(db, options.settingsCache);
    if (cached.version !== null) {
      try {
        const created = await createWithSettings(db, cached, input, options);
        if (created) return created;
        options.settingsCache?.invalidate();
      } catch (err) {
        // A refusal is checked again below with fresh settings: the cached copy may predate the change
        // (made in another process) that allows this case, e.g. a new tag or cases re-enabled.
        if (!(err instanceof ValidationError)) throw err;
      }
    }
  }
  return inTransaction(db, async (trx) => {
    await lockCaseNumbersShared(trx);
    const { settings } = await readCaseSettings(trx);
    // Read under the lock a settings change takes exclusively: nothing to confirm, so never stale.
    return (await createWithSettings(trx, { settings, version: null }, input, options))!;
  });
}

/**
 * The case validated against `known.settings` and written by insertNewCases, which confirms that they are still
 * version `known.version` (null: the caller holds the case-number lock). Undefined when they are not: nothing
 * was written.
 */
async function createWithSettings(
  db: DbOrTrx,
  known: VersionedCaseSettings,
  input: NewCaseFields,
  options: CreateCaseOptions,
): Promise<NewCase | undefined> {
  const { settings } = known;
  const { values, log } = await newCaseValues(db, settings, input, options);
  const done = await insertNewCases(db, [{ values }], {
    settingsVersion: known.version,
    numberPrefix: settings.NumberPrefix,
    changedBy: options.by,
  });
  if (done.stale) return undefined;
  const { row, logId } = done.cases[0]!;
  return { row, log: statusLogRow(row.id, logId, log, options.by), settings };
}

interface NewCase {
  row: CaseRow;
  log: StatusLogRow;
  settings: CaseSettings;
}

/**
 * The columns of a new case but its number, validated against `settings`, for insertNewCases. Without a
 * CustomerId the link to the known customer of the email is left to insertNewCases (one query less).
 */
export async function newCaseValues(
  db: DbOrTrx,
  settings: CaseSettings,
  input: NewCaseFields,
  options: CreateCaseOptions,
): Promise<{ values: NewCaseValues; log: StatusLogEntry }> {
  if (!settings.Enabled) throw new ValidationError('Cases are disabled in the case settings');
  const { CaseType: caseType, ...editable } = input;
  if (caseType && !(CASE_TYPES as readonly string[]).includes(caseType))
    throw new ValidationError(`Unknown CaseType "${caseType}"; allowed: ${CASE_TYPES.join(', ')}`);
  const cols = await editableToColumns(db, settings, editable, 'create', undefined, {
    linkCustomerByEmail: !!input.CustomerId?.trim(),
  });
  const now = options.now ?? new Date();
  const start = initialStatus(settings.StatusNew, now);
  const values: NewCaseValues = {
    ...(cols as Omit<NewCaseValues, 'id'>),
    id: randomUUID(),
    status: start.fields.status,
    priority: cols.priority ?? settings.DefaultPriority,
    source: options.source ?? cols.source ?? 'Web',
    status_changed_at: now,
    reply_token: newReplyToken(),
    created: now,
    changed: now,
    // Always given: in a batch of new cases (new-cases.ts) a column one case sets is sent as null for the others.
    case_type: caseType ?? 'Standard',
  };
  return { values, log: start.log };
}

function statusLogRow(caseId: string, id: string, entry: StatusLogEntry, by?: ChangedBy): StatusLogRow {
  return {
    id,
    case_id: caseId,
    status: entry.status,
    timestamp: entry.timestamp,
    duration_since_previous_ms:
      entry.duration_since_previous_ms === null ? null : String(entry.duration_since_previous_ms),
    changed_by: by?.name ?? null,
    changed_by_user_id: by?.userId ?? null,
  };
}

/**
 * The case's status change, the one way any caller changes a status; the log names `by` (null: the server's own
 * change, mail). Caller holds the row lock.
 */
async function applyStatus(
  trx: DbOrTrx,
  settings: CaseSettings,
  row: CaseRow,
  next: string,
  now: Date,
  by?: ChangedBy,
): Promise<Updateable<CasesTable>> {
  assertStatus(settings, next);
  const t = transitionStatus(settings, row, next, now);
  if (!t) return {};
  if (row.case_type === 'Order' && next === settings.StatusClosed) await assertLinesClosed(trx, row);
  await insertStatusLog(trx, row.id, {
    ...t.log,
    changed_by: by?.name ?? null,
    changed_by_user_id: by?.userId ?? null,
  });
  return t.fields;
}

/** An order case is closed only when every line is resolved or cancelled: a 409 that names the open ones. */
async function assertLinesClosed(trx: DbOrTrx, row: CaseRow): Promise<void> {
  const open = await openLines(trx, row.id);
  if (open.length === 0) return;
  const named = open.map((l) => `${l.line_number} (${l.state})`).join(', ');
  throw new ConflictError(
    `Case ${row.case_number} cannot be closed while line${open.length > 1 ? 's' : ''} ${named} ${open.length > 1 ? 'are' : 'is'} open: ` +
      'resolve (ResolvedAccepted, ResolvedDenied) or cancel every line first' +
      (open.some((l) => l.state === 'Draft')
        ? '; a draft order case is cancelled with POST /api/cases/{id}/cancel'
        : ''),
    { openLines: open.map((l) => ({ LineNumber: l.line_number, State: l.state })) },
  );
}

/**
 * The case locked for a change, with the settings the change must follow held shared (a settings change waits
 * for it, and it for a settings change).
 */
async function lockCaseForChange(trx: DbOrTrx, id: string): Promise<{ row: CaseRow; settings: CaseSettings }> {
  const row = await findCaseRow(trx, id, { forUpdate: true });
  if (!row) throw new NotFoundError('Case', id);
  return { row, settings: await getCaseSettings(trx, { forShare: true }) };
}

export async function updateCase(
  db: DbOrTrx,
  id: string,
  input: EditableCaseFields,
  mode: 'put' | 'patch',
  options: { now?: Date; by?: ChangedBy } = {},
): Promise<CaseRow> {
  return inTransaction(db, async (trx) => {
    const { row, settings } = await lockCaseForChange(trx, id);
    const now = options.now ?? new Date();
    const cols = await editableToColumns(trx, settings, input, mode, row);
    if (mode === 'put' && !input.Priority) cols.priority = row.priority;
    const statusCols = input.Status ? await applyStatus(trx, settings, row, input.Status, now, options.by) : {};
    return updateCaseRow(trx, id, { ...cols, ...statusCols, changed: now });
  });
}

export async function changeCaseStatus(
  db: DbOrTrx,
  id: string,
  status: string,
  options: { now?: Date; by?: ChangedBy } = {},
): Promise<CaseRow> {
  return inTransaction(db, async (trx) => {
    const { row, settings } = await lockCaseForChange(trx, id);
    const now = options.now ?? new Date();
    const statusCols = await applyStatus(trx, settings, row, status, now, options.by);
    if (Object.keys(statusCols).length === 0) return row;
    return updateCaseRow(trx, id, { ...statusCols, changed: now });
  });
}

/**
 * changeCaseStatus for a caller that holds the case row's lock and has the row: the same rule (settings read
 * in the transaction, status log written), but the case columns to set are returned (empty when nothing
 * changes) for the caller's own update of the row (addNoteToLockedCase's `changes`).
 */
export async function statusChangeOfLockedCase(
  trx: DbOrTrx,
  row: CaseRow,
  status: string,
  options: { now?: Date } = {},
): Promise<Updateable<CasesTable>> {
  return applyStatus(trx, await getCaseSettings(trx, { forShare: true }), row, status, options.now ?? new Date());
}

/**
 * Assigns a case. AssignedToUserId is a staff user's id (any string is still accepted, for systems with users of
 * their own); when it names a staff user and no name is given, the user's name is recorded as AssignedToName.
 */
export async function assignCase(
  db: DbOrTrx,
  id: string,
  userId: string | null,
  userName: string | null,
): Promise<CaseRow> {
  return inTransaction(db, async (trx) => {
    const row = await findCaseRow(trx, id, { forUpdate: true });
    if (!row) throw new NotFoundError('Case', id);
    const assignee = userId?.trim() || null;
    let name = userName?.trim() || null;
    if (assignee && !name && UUID.test(assignee)) {
      const user = await trx.selectFrom('staff_users').select('name').where('id', '=', assignee).executeTakeFirst();
      name = user?.name ?? null;
    }
    return updateCaseRow(trx, id, { assigned_to_user_id: assignee, assigned_to_name: name, changed: new Date() });
  });
}

/** Soft delete: the row stays (search with IncludeDeleted finds it), GET answers 404. */
export async function softDeleteCase(db: DbOrTrx, id: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await findCaseRow(trx, id, { forUpdate: true });
    if (!row) throw new NotFoundError('Case', id);
    const now = new Date();
    await updateCaseRow(trx, id, { deleted_at: now, changed: now });
  });
}

export interface AddNoteInput extends NewNoteRow {
  attachments?: readonly NewAttachment[];
}

/** Adds a note and updates the comment fields of its case. Caller passes the case id of a live case. */
export async function addNote(
  db: DbOrTrx,
  caseId: string,
  input: AddNoteInput,
): Promise<{ note: NoteRow; attachments: AttachmentMetaRow[]; caseRow: CaseRow }> {
  return inTransaction(db, async (trx) => {
    const row = await findCaseRow(trx, caseId, { forUpdate: true });
    if (!row) throw new NotFoundError('Case', caseId);
    return addNoteToLockedCase(trx, row, input);
  });
}

/**
 * addNote for a caller that holds the case row's lock and has the row (or inserted it in this transaction):
 * the note, its attachments, the comment fields and `changes` to the case (participants, a status change
 * from statusChangeOfLockedCase, ...) in one statement, without locking or reading the case again.
 */
export async function addNoteToLockedCase(
  trx: DbOrTrx,
  row: CaseRow,
  input: AddNoteInput,
  changes: Updateable<CasesTable> = {},
): Promise<{ note: NoteRow; attachments: AttachmentMetaRow[]; caseRow: CaseRow }> {
  const { attachments = [], ...noteInput } = input;
  const now = noteInput.created ?? new Date();
  const done = await insertNoteAndUpdateCase(trx, row.id, { ...noteInput, created: now }, attachments, {
    ...changes,
    last_comment_date: now,
    last_commenter_name: noteInput.created_by || null,
    comment_count: row.comment_count + 1,
    changed: now,
  });
  if (!done) throw new NotFoundError('Case', row.id);
  return done;
}

/** The id of the case `idOrNumber` names: an id as it is, or a case number (`CS-1004`, in any letter case). */
export async function caseIdOf(db: DbOrTrx, idOrNumber: string): Promise<string> {
  if (UUID.test(idOrNumber)) return idOrNumber;
  const row = await findCaseRowByNumber(db, idOrNumber);
  if (!row) throw new NotFoundError('Case', idOrNumber);
  return row.id;
}

/**
 * The full API view of a case: row, notes, attachments, log and deliveries (one statement, shared with the
 * concurrent GETs of other cases: src/cases/case-loader.ts; cached settings).
 */
export async function getCaseJson(
  db: DbOrTrx,
  id: string,
  options: { includeDeleted?: boolean; settingsCache?: CaseSettingsCache } = {},
): Promise<CaseJson> {
  const [found, { settings }] = await Promise.all([
    loadCaseWithDetails(db, id, options),
    cachedCaseSettings(db, options.settingsCache),
  ]);
  if (!found) throw new NotFoundError('Case', id);
  return caseToJson(found.row, settings, found.details);
}
