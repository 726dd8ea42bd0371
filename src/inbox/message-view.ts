import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import { displayDocument, displayHtml, escapeHtml, htmlBodyOf } from '../mail/display-html.js';
import { messageUrls } from './thread.js';

// An inbound message of a case as a staff member opens it: its safe HTML, inline parts, attachments and raw bytes.
// Only messages that belong to a case that is not deleted; mail that made no case (failed, ignored) stays with the
// admin's failed-mail routes.

const MESSAGE_ID = /^\d{1,18}$/;

/** The raw bytes of a message of a live case; 404 otherwise. */
export async function caseMessageRaw(db: DbOrTrx, id: string): Promise<{ raw: Buffer; caseId: string }> {
  const row = MESSAGE_ID.test(id)
    ? await db
        .selectFrom('messages as m')
        .innerJoin('cases as c', 'c.id', 'm.case_id')
        .select(['m.raw', 'm.case_id'])
        .where('m.id', '=', id)
        .where('c.deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (!row?.case_id) throw new NotFoundError('Message', id);
  return { raw: row.raw, caseId: row.case_id };
}

/**
 * The message's body as a whole HTML document for a sandboxed frame: the sender's HTML sanitised (displayHtml:
 * `cid:` images served from the message's parts, remote images only with `remoteImages`), or the text of a text-only
 * message, escaped.
 */
export async function messageDocument(
  db: DbOrTrx,
  id: string,
  options: { remoteImages?: boolean } = {},
): Promise<{ document: string; blockedRemoteImages: number }> {
  const { raw } = await caseMessageRaw(db, id);
  const html = await htmlBodyOf(raw);
  if (html === null) {
    const note = await db
      .selectFrom('case_notes')
      .select(sql<string>`coalesce(full_text, comment)`.as('text'))
      .where('message_id', '=', id)
      .executeTakeFirst();
    return { document: displayDocument(`<pre>${escapeHtml(note?.text ?? '')}</pre>`), blockedRemoteImages: 0 };
  }
  const urls = messageUrls(id);
  const shown = displayHtml(html, { partUrl: urls.part, remoteImages: options.remoteImages });
  return { document: displayDocument(shown.html), blockedRemoteImages: shown.blockedRemoteImages };
}

export interface MessageFile {
  fileName: string;
  contentType: string;
  content: Buffer;
}

/** The message's file with this Content-ID (an inline image of its HTML); 404 when it has none. */
export async function messagePart(db: DbOrTrx, id: string, contentId: string): Promise<MessageFile> {
  const cid = contentId.replace(/^<|>$/g, '');
  const row = MESSAGE_ID.test(id)
    ? await db
        .selectFrom('attachments as a')
        .innerJoin('cases as c', 'c.id', 'a.case_id')
        .select(['a.file_name', 'a.content_type', 'a.content'])
        .where('a.message_id', '=', id)
        .where('a.content_id', '=', cid)
        .where('c.deleted_at', 'is', null)
        .orderBy('a.id')
        .limit(1)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('Part', `${id}/${contentId}`);
  return { fileName: row.file_name, contentType: row.content_type, content: row.content };
}

/** The message's `index`-th file (0-based, in the order the thread lists them); 404 past the end. */
export async function messageAttachment(db: DbOrTrx, id: string, index: number): Promise<MessageFile> {
  const row =
    MESSAGE_ID.test(id) && Number.isInteger(index) && index >= 0
      ? await db
          .selectFrom('attachments as a')
          .innerJoin('cases as c', 'c.id', 'a.case_id')
          .select(['a.file_name', 'a.content_type', 'a.content'])
          .where('a.message_id', '=', id)
          .where('c.deleted_at', 'is', null)
          .orderBy('a.id')
          .offset(index)
          .limit(1)
          .executeTakeFirst()
      : undefined;
  if (!row) throw new NotFoundError('Attachment', `${id}/${index}`);
  return { fileName: row.file_name, contentType: row.content_type, content: row.content };
}
