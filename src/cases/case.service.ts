import type { Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CasesTable } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { findCustomerByEmail, findCustomerById } from '../customers/customer.repository.js';
import { assertPriority, assertStatus, assertTags, type CaseSettings } from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';
import {
  getCaseSettings,
  lockCaseNumbersShared,
  readCaseSettings,
  takeCaseNumber,
  type VersionedCaseSettings,
} from '../settings/settings.repository.js';
import { loadCaseWithDetails } from './case-loader.js';
import { caseToJson, type AttachmentMetaRow, type CaseRow, type NoteRow, type StatusLogRow } from './case.mapper.js';
import {
  findCaseRow,
  insertCaseRowWithLog,
  insertNewCaseStatement,
  isStaleSettingsError,
  insertNoteAndUpdateCase,
  insertStatusLog,
  newReplyToken,
  updateCaseRow,
  UUID,
  type NewNoteRow,
} from './case.repository.js';
import type { CaseJson, EditableCaseFields, NewAttachment, Participant } from './case.types.js';
import { initialStatus, transitionStatus, type StatusLogEntry } from './status.js';

const ARRAY_FIELDS = {
  Tags: 'tags',
  RelatedOrders: 'related_orders',
  RelatedCustomers: 'related_customers',
  RelatedProjects: 'related_projects',
  RelatedCarts: 'related_carts',
  RelatedSkuIds: 'related_sku_ids',
  RelatedProductIds: 'related_product_ids',
} as const;

const TEXT_FIELDS = {
  AssignedToUserId: 'assigned_to_user_id',
  AssignedToName: 'assigned_to_name',
  CustomerName: 'customer_name',
  CustomerEmail: 'customer_email',
  MarketId: 'market_id',
  MarketGroupId: 'market_group_id',
} as const;

const dedupe = (list: readonly string[]): string[] => [...new Set(list.map((s) => s.trim()).filter(Boolean))];

/** Participants are de-duplicated by email (case-insensitive), keeping the first. */
export function mergeParticipants(existing: readonly Participant[], added: readonly Participant[]): Participant[] {
  const seen = new Set<string>();
  const out: Participant[] = [];
  for (const p of [...existing, ...added]) {
    const key = p.Email ? p.Email.toLowerCase() : `name:${p.Name ?? ''}:${p.CustomerId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function parseDate(field: string, value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new ValidationError(`${field} is not a valid date: "${value}"`);
  return d;
}

type Mode = 'create' | 'put' | 'patch';

/**
 * Turns client fields into column values. In `patch` mode only non-null fields apply; in `put` and
 * `create` mode an absent field is cleared (or defaulted). Status is handled by the caller.
 */
async function editableToColumns(
  db: DbOrTrx,
  settings: CaseSettings,
  input: EditableCaseFields,
  mode: Mode,
  current?: CaseRow,
  options: { linkCustomerByEmail?: boolean } = {},
): Promise<Updateable<CasesTable>> {
  const cols: Updateable<CasesTable> = {};
  const has = (k: keyof EditableCaseFields) => (mode === 'patch' ? input[k] !== undefined && input[k] !== null : true);

  if (has('Subject')) cols.subject = (input.Subject ?? '').trim();
  if (has('Description')) cols.description = input.Description ?? '';
  if (has('Priority')) {
    const priority = input.Priority ?? settings.DefaultPriority;
    assertPriority(settings, priority);
    cols.priority = priority;
  }
  if (has('Source')) cols.source = input.Source?.trim() || (mode === 'create' ? 'Web' : 'Web');
  for (const [field, col] of Object.entries(TEXT_FIELDS) as [
    keyof typeof TEXT_FIELDS,
    (typeof TEXT_FIELDS)[keyof typeof TEXT_FIELDS],
  ][]) {
    if (has(field)) cols[col] = (input[field] as string | null | undefined)?.trim() || null;
  }
  for (const [field, col] of Object.entries(ARRAY_FIELDS) as [
    keyof typeof ARRAY_FIELDS,
    (typeof ARRAY_FIELDS)[keyof typeof ARRAY_FIELDS],
  ][]) {
    if (has(field)) cols[col] = dedupe(input[field] ?? []);
  }
  if (cols.tags) assertTags(settings, cols.tags);
  if (has('Participants')) cols.participants = JSON.stringify(mergeParticipants([], input.Participants ?? []));
  if (has('Properties')) cols.properties = JSON.stringify(input.Properties ?? []);
  if (has('FollowUpDate'))
    cols.follow_up_date = input.FollowUpDate ? parseDate('FollowUpDate', input.FollowUpDate) : null;

  // In patch mode an absent field keeps the stored value, so "empty" means empty after the patch.
  const nameAfter = () => (cols.customer_name !== undefined ? cols.customer_name : (current?.customer_name ?? null));
  const emailAfter = () =>
    cols.customer_email !== undefined ? cols.customer_email : (current?.customer_email ?? null);
  if (has('CustomerId')) {
    cols.customer_id = input.CustomerId?.trim() || null;
    if (cols.customer_id) {
      // Not a uuid cannot be a customer (and would make PostgreSQL abort the transaction with a cast error).
      const customer = UUID.test(cols.customer_id) ? await findCustomerById(db, cols.customer_id) : undefined;
      if (!customer) throw new ValidationError(`CustomerId ${cols.customer_id} is not a known customer`);
      if (!nameAfter()) cols.customer_name = customer.name || null;
      if (!emailAfter()) cols.customer_email = customer.email;
    }
  }
  // A known customer's email links the case to that customer (and fills an empty name). A caller that
  // passes linkCustomerByEmail: false does it in its own SQL (insertNewCaseStatement).
  if (cols.customer_email && options.linkCustomerByEmail !== false) {
    const customer = await findCustomerByEmail(db, cols.customer_email);
    if (customer) {
      cols.customer_id = customer.id;
      if (!nameAfter()) cols.customer_name = customer.name || null;
    }
  }
  return cols;
}

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
}

/** createCase's `settings` were not the stored ones (see CreateCaseOptions.settings): roll back and run again without them. */
export class StaleCaseSettingsError extends Error {
  override name = 'StaleCaseSettingsError';
}

/** Creates a case. Status is always the configured *Status New*; Priority defaults to the configured default. */
export async function createCase(
  db: DbOrTrx,
  input: EditableCaseFields,
  options: CreateCaseOptions = {},
): Promise<CaseRow> {
  return (await insertNewCase(db, input, options)).row;
}

/** createCase, answered with the case's API JSON built from what was just written (no second read). */
export async function createCaseJson(
  db: DbOrTrx,
  input: EditableCaseFields,
  options: CreateCaseOptions = {},
): Promise<CaseJson> {
  const { row, log, settings } = await insertNewCase(db, input, options);
  return caseToJson(row, settings, { statusLog: [log] });
}

/**
 * Outside a transaction: validates against the cached settings (`settingsCache`, settings-cache.ts) and creates
 * the case in one statement that confirms, under a lock, that those settings are still the stored ones
 * (insertNewCaseStatement). When another process changed them within the cache TTL, nothing is written
 * and the case is created again with fresh settings; a refusal is likewise confirmed with fresh settings.
 * Inside a caller's transaction: the same with the caller's `settings` (StaleCaseSettingsError when they
 * are stale); without them (or before any settings were saved) it takes the case-number lock first, which
 * a settings change holds exclusively, and reads the settings fresh.
 */
async function insertNewCase(db: DbOrTrx, input: EditableCaseFields, options: CreateCaseOptions): Promise<NewCase> {
  const known = options.settings;
  if (db.isTransaction && known?.version != null) {
    try {
      return await insertWithKnownSettings(db, { settings: known.settings, version: known.version }, input, options);
    } catch (err) {
      if (isStaleSettingsError(err) || err instanceof ValidationError) {
        throw new StaleCaseSettingsError('the case settings changed since they were read: run the transaction again', {
          cause: err,
        });
      }
      throw err;
    }
  }
  if (!db.isTransaction) {
    const cached = await cachedCaseSettings(db, options.settingsCache);
    if (cached.version !== null) {
      try {
        return await insertWithKnownSettings(
          db,
          { settings: cached.settings, version: cached.version },
          input,
          options,
        );
      } catch (err) {
        // A refusal is checked again below with fresh settings: the cached copy may predate the change
        // (made in another process) that allows this case, e.g. a new tag or cases re-enabled.
        if (isStaleSettingsError(err)) options.settingsCache?.invalidate();
        else if (!(err instanceof ValidationError)) throw err;
      }
    }
  }
  return inTransaction(db, async (trx) => {
    await lockCaseNumbersShared(trx);
    const { settings } = await readCaseSettings(trx);
    const { values, log } = await newCaseValues(trx, settings, input, options);
    const number = await takeCaseNumber(trx);
    const { row, logId } = await insertCaseRowWithLog(
      trx,
      { ...values, number, case_number: `${settings.NumberPrefix}${number}` },
      log,
    );
    return { row, log: statusLogRow(row.id, logId, log), settings };
  });
}

/** The one-statement create (insertNewCaseStatement) against settings read earlier, which it confirms. */
async function insertWithKnownSettings(
  db: DbOrTrx,
  known: { settings: CaseSettings; version: string },
  input: EditableCaseFields,
  options: CreateCaseOptions,
): Promise<NewCase> {
  const { settings } = known;
  // Without a CustomerId the email link happens inside the insert statement: one round trip less.
  const linkInSql = !input.CustomerId?.trim();
  const { values, log } = await newCaseValues(db, settings, input, options, { linkCustomerByEmail: !linkInSql });
  const { row, logId } = await insertNewCaseStatement(db, values, log, {
    settingsVersion: known.version,
    numberPrefix: settings.NumberPrefix,
    linkCustomerByEmail: linkInSql,
  });
  return { row, log: statusLogRow(row.id, logId, log), settings };
}

interface NewCase {
  row: CaseRow;
  log: StatusLogRow;
  settings: CaseSettings;
}

/** The columns of a new case but its number, validated against `settings`. */
export async function newCaseValues(
  db: DbOrTrx,
  settings: CaseSettings,
  input: EditableCaseFields,
  options: CreateCaseOptions,
  link: { linkCustomerByEmail?: boolean } = {},
) {
  if (!settings.Enabled) throw new ValidationError('Cases are disabled in the case settings');
  const cols = await editableToColumns(db, settings, input, 'create', undefined, link);
  const now = options.now ?? new Date();
  const start = initialStatus(settings.StatusNew, now);
  const values = {
    ...(cols as Record<string, never>),
    status: start.fields.status,
    priority: (cols.priority as string | undefined) ?? settings.DefaultPriority,
    source: options.source ?? (cols.source as string | undefined) ?? 'Web',
    status_changed_at: now,
    reply_token: newReplyToken(),
    created: now,
    changed: now,
  };
  return { values, log: start.log };
}

function statusLogRow(caseId: string, id: string, entry: StatusLogEntry): StatusLogRow {
  return {
    id,
    case_id: caseId,
    status: entry.status,
    timestamp: entry.timestamp,
    duration_since_previous_ms:
      entry.duration_since_previous_ms === null ? null : String(entry.duration_since_previous_ms),
  };
}

/** The case's status change, the one way any caller changes a status. Caller holds the row lock. */
async function applyStatus(
  trx: DbOrTrx,
  settings: CaseSettings,
  row: CaseRow,
  next: string,
  now: Date,
): Promise<Updateable<CasesTable>> {
  assertStatus(settings, next);
  const t = transitionStatus(settings, row, next, now);
  if (!t) return {};
  await insertStatusLog(trx, row.id, t.log);
  return t.fields;
}

export async function updateCase(
  db: DbOrTrx,
  id: string,
  input: EditableCaseFields,
  mode: 'put' | 'patch',
  options: { now?: Date } = {},
): Promise<CaseRow> {
  return inTransaction(db, async (trx) => {
    const row = await findCaseRow(trx, id, { forUpdate: true });
    if (!row) throw new NotFoundError('Case', id);
    const settings = await getCaseSettings(trx, { forShare: true });
    const now = options.now ?? new Date();
    const cols = await editableToColumns(trx, settings, input, mode, row);
    if (mode === 'put' && !input.Priority) cols.priority = row.priority;
    const statusCols = input.Status ? await applyStatus(trx, settings, row, input.Status, now) : {};
    return updateCaseRow(trx, id, { ...cols, ...statusCols, changed: now });
  });
}

export async function changeCaseStatus(
  db: DbOrTrx,
  id: string,
  status: string,
  options: { now?: Date } = {},
): Promise<CaseRow> {
  return inTransaction(db, async (trx) => {
    const row = await findCaseRow(trx, id, { forUpdate: true });
    if (!row) throw new NotFoundError('Case', id);
    const settings = await getCaseSettings(trx, { forShare: true });
    const now = options.now ?? new Date();
    const statusCols = await applyStatus(trx, settings, row, status, now);
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

export async function assignCase(
  db: DbOrTrx,
  id: string,
  userId: string | null,
  userName: string | null,
): Promise<CaseRow> {
  return inTransaction(db, async (trx) => {
    const row = await findCaseRow(trx, id, { forUpdate: true });
    if (!row) throw new NotFoundError('Case', id);
    return updateCaseRow(trx, id, {
      assigned_to_user_id: userId?.trim() || null,
      assigned_to_name: userName?.trim() || null,
      changed: new Date(),
    });
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
