import type { DbOrTrx } from '../db/database.js';
import type { AttachmentMetaRow, CaseRow, DeliveryRow, NoteRow } from './case.mapper.js';

/** What a hook learns about a note added through addCaseNote (note.service.ts). */
export interface NoteHookContext {
  /** The case as it is after the note (comment count, last comment). */
  caseRow: CaseRow;
  note: NoteRow;
  /** The note's saved attachments. */
  attachments: readonly AttachmentMetaRow[];
}

/**
 * Side effects of case changes, owned by the code that has them (outbound mail: src/outbound/note-hooks.ts) and
 * wired in at the edges (the web process's AppContext), so src/cases depends on none of them. A hook runs inside
 * the case's transaction: what it writes commits or rolls back with the change, and a hook that throws refuses
 * the change (a ValidationError answers 400).
 */
export interface CaseHooks {
  /**
   * After a note was added through the API (staff or another system). Returns the delivery to show on the note
   * (an outbox row when the note is mailed), or null.
   */
  onNoteAdded?: (trx: DbOrTrx, ctx: NoteHookContext) => Promise<DeliveryRow | null>;
}
