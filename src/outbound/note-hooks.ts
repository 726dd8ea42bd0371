import type { CaseHooks } from '../cases/case-hooks.js';
import { queueNoteEmail, type OutboundDeps } from './outbox.js';

/**
 * The case hooks that mail a note whose author asked for it (SendEmailNotification), wired into the web process
 * (AppContext.caseHooks): the mail is written to the outbox in the note's transaction, so it commits with the
 * note and never without it. A bad recipient refuses the note and its mail together (400).
 */
export function noteEmailHooks(deps: OutboundDeps): CaseHooks {
  return {
    onNoteAdded: async (trx, { caseRow, note, attachments }) =>
      note.send_email_notification ? queueNoteEmail(trx, deps, { caseRow, note, attachments }) : null,
  };
}
