import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { findCaseRow } from './case.repository.js';
import { currentThreadVersion, StaleThreadError } from './thread-version.js';
import { addNote } from './case.service.js';
import { noteToJson, type CaseRow, type NoteRow } from './case.mapper.js';
import type { NewAttachment, NoteJson } from './case.types.js';
import type { CaseHooks } from './case-hooks.js';

/** A note as a client (staff, another system) adds it. */
export interface CaseNoteInput {
  Comment: string;
  /** Default false: a note is internal unless said otherwise, so nothing reaches a customer by accident. */
  IsPublic?: boolean;
  CreatedBy: string;
  /** The author's address (a signed-in staff user's). */
  CreatedByEmail?: string | null;
  /** Ask the outbound mailer (CaseHooks.onNoteAdded) to send this note by email. Only for public notes. */
  SendEmailNotification?: boolean;
  To?: string[];
  Cc?: string[];
  Bcc?: string[];
  attachments?: readonly NewAttachment[];
  /** The thread version (thread-version.ts) the note was written against: a newer thread is a StaleThreadError. */
  IfThreadVersion?: string | null;
}

export interface AddedCaseNote {
  note: NoteRow;
  caseRow: CaseRow;
  json: NoteJson;
}

const cleanList = (l: readonly string[] | undefined) => [...new Set((l ?? []).map((s) => s.trim()).filter(Boolean))];

/**
 * The one use case "add a note to a case", in one transaction: the note (with its email recipients),
 * its attachments, and the case's LastCommentDate, LastCommenterName, CommentCount and Changed.
 * `hooks.onNoteAdded` runs inside the same transaction (outbound mail queues the note's email there), so a note
 * and its outbox row commit together.
 */
export async function addCaseNote(
  db: DbOrTrx,
  caseId: string,
  input: CaseNoteInput,
  hooks: CaseHooks = {},
): Promise<AddedCaseNote> {
  const comment = input.Comment.trim();
  if (!comment) throw new ValidationError('Comment must not be empty');
  const isPublic = input.IsPublic ?? false;
  const send = input.SendEmailNotification ?? false;
  // An internal note sent by email would show staff-only text to whoever receives it.
  if (send && !isPublic)
    throw new ValidationError('SendEmailNotification needs IsPublic: true (internal notes are never emailed)');
  return inTransaction(db, async (trx) => {
    if (input.IfThreadVersion) {
      // The case's lock orders this check with every other change of its thread (they all lock it first).
      const locked = await findCaseRow(trx, caseId, { forUpdate: true });
      if (!locked) throw new NotFoundError('Case', caseId);
      const now = await currentThreadVersion(trx, caseId);
      if (now !== input.IfThreadVersion) throw new StaleThreadError(now);
    }
    const { note, attachments, caseRow } = await addNote(trx, caseId, {
      comment,
      is_public: isPublic,
      created_by: input.CreatedBy.trim(),
      created_by_email: input.CreatedByEmail ?? null,
      source: 'api',
      send_email_notification: send,
      email_to: cleanList(input.To),
      email_cc: cleanList(input.Cc),
      email_bcc: cleanList(input.Bcc),
      attachments: input.attachments,
    });
    const delivery = (await hooks.onNoteAdded?.(trx, { caseRow, note, attachments })) ?? null;
    return { note, caseRow, json: noteToJson(note, attachments, delivery ? [delivery] : []) };
  });
}
