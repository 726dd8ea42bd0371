import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { StaleCaseSettingsError, ValidationError } from '../errors.js';
import type { VersionedCaseSettings } from '../settings/settings.repository.js';
import type { CaseRow, NoteRow } from './case.mapper.js';
import { attachmentValues, type NewNoteRow } from './case.repository.js';
import { newCaseValues } from './case.service.js';
import type { NewAttachment, NewCaseFields } from './case.types.js';
import { insertNewCases, type NewCase, type NewCaseValues } from './new-cases.js';

/** One case of createCasesWithFirstNote: the case's fields and its first note. */
export interface NewCaseWithNote {
  input: NewCaseFields;
  note: Omit<NewNoteRow, 'created' | 'send_email_notification' | 'email_to' | 'email_cc' | 'email_bcc'>;
  attachments?: readonly NewAttachment[];
}

export interface CreatedCaseWithNote {
  caseRow: CaseRow;
  note: NoteRow;
  logId: string;
}

/**
 * Creates several cases, each with its first note (and the note's attachments), in two statements whatever
 * their number (insertNewCases, then the attachments): the throughput path of an inbound backlog
 * (src/inbound/process-batch.ts). The same rules as createCase followed by addNoteToLockedCase: the columns
 * come from newCaseValues (validation, Status New, defaults, de-duplication), the first note sets the comment
 * fields. Inside the caller's transaction, with the settings the caller holds: when they are not the stored
 * version, or they refuse a case, nothing is written and it throws StaleCaseSettingsError: the caller's
 * transaction must be run again another way.
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
  const cases: NewCase[] = [];
  for (const item of items) {
    let values: NewCaseValues;
    try {
      ({ values } = await newCaseValues(trx, known.settings, item.input, { source: options.source, now }));
    } catch (err) {
      if (err instanceof ValidationError)
        throw new StaleCaseSettingsError('the case settings refuse a case of the batch', err);
      throw err;
    }
    const note = firstNote(values.id, item.note, now);
    cases.push({
      values: { ...values, comment_count: 1, last_comment_date: now, last_commenter_name: note.created_by || null },
      note,
    });
  }
  const done = await insertNewCases(trx, cases, {
    settingsVersion: known.version,
    numberPrefix: known.settings.NumberPrefix,
  });
  if (done.stale)
    throw new StaleCaseSettingsError('the case settings changed since they were read: run the transaction again');
  const files = items.flatMap((item, i) => {
    const { note } = cases[i]!;
    return (item.attachments ?? []).map((a) =>
      attachmentValues(note!.case_id, { noteId: note!.id, messageId: note!.message_id }, a),
    );
  });
  if (files.length > 0) await trx.insertInto('attachments').values(files).execute();
  return done.cases.map(({ row, logId }, i) => ({ caseRow: row, note: cases[i]!.note!, logId }));
}

function firstNote(caseId: string, note: NewCaseWithNote['note'], now: Date): NoteRow {
  return {
    id: randomUUID(),
    case_id: caseId,
    comment: note.comment,
    full_text: note.full_text ?? null,
    html: note.html ?? null,
    is_public: note.is_public,
    created_by: note.created_by,
    created_by_email: note.created_by_email ?? null,
    source: note.source ?? 'api',
    message_id: note.message_id == null ? null : String(note.message_id),
    send_email_notification: false,
    email_to: [],
    email_cc: [],
    email_bcc: [],
    created: now,
  };
}
