import { createHash, randomBytes } from 'node:crypto';
import { sql, type Insertable, type Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CasesTable } from '../db/schema.js';
import type { AttachmentMetaRow, CaseDetails, CaseRow, NoteRow } from './case.mapper.js';
import type { NewAttachment } from './case.types.js';
import type { StatusLogEntry } from './status.js';

/** Every case column but the generated search vector. */
export const CASE_COLUMNS = [
  'id', 'number', 'case_number', 'subject', 'description', 'status', 'priority', 'source',
  'assigned_to_user_id', 'assigned_to_name', 'customer_id', 'customer_name', 'customer_email', 'tags',
  'related_orders', 'related_customers', 'related_projects', 'related_carts', 'related_sku_ids',
  'related_product_ids', 'participants', 'properties', 'follow_up_date', 'resolved_date', 'closed_date',
  'last_comment_date', 'last_commenter_name', 'comment_count', 'market_id', 'market_group_id', 'reply_token',
  'status_changed_at', 'created', 'changed', 'deleted_at',
] as const;

const ATTACHMENT_META_COLUMNS = [
  'id', 'case_id', 'note_id', 'message_id', 'file_name', 'content_type', 'size', 'content_id', 'inline', 'sha256', 'created',
] as const;

/** Reply tokens go into `support+<token>@…`: lowercase base32, because some servers fold local parts to lower case. */
export function newReplyToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(16)].map((b) => alphabet[b & 31]).join('');
}

export async function findCaseRow(
  db: DbOrTrx,
  id: string,
  options: { forUpdate?: boolean; includeDeleted?: boolean } = {},
): Promise<CaseRow | undefined> {
  // Ids are uuids; anything else cannot match and would make PostgreSQL raise a cast error.
  if (!UUID.test(id)) return undefined;
  let q = db.selectFrom('cases').select(CASE_COLUMNS).where('id', '=', id);
  if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findCaseRowByNumber(db: DbOrTrx, caseNumber: string, options: { forUpdate?: boolean } = {}): Promise<CaseRow | undefined> {
  let q = db.selectFrom('cases').select(CASE_COLUMNS).where(sql`upper(case_number)`, '=', caseNumber.toUpperCase());
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findCaseRowByReplyToken(db: DbOrTrx, token: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').select(CASE_COLUMNS).where('reply_token', '=', token.toLowerCase()).executeTakeFirst();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function insertCaseRow(db: DbOrTrx, values: Insertable<CasesTable>): Promise<CaseRow> {
  return db.insertInto('cases').values(values).returning(CASE_COLUMNS).executeTakeFirstOrThrow();
}

export async function updateCaseRow(db: DbOrTrx, id: string, values: Updateable<CasesTable>): Promise<CaseRow> {
  return db.updateTable('cases').set(values).where('id', '=', id).returning(CASE_COLUMNS).executeTakeFirstOrThrow();
}

export async function insertStatusLog(db: DbOrTrx, caseId: string, entry: StatusLogEntry): Promise<void> {
  await db.insertInto('case_status_log').values({ case_id: caseId, ...entry }).execute();
}

export interface NewNoteRow {
  comment: string;
  is_public: boolean;
  created_by: string;
  created_by_email?: string | null;
  full_text?: string | null;
  html?: string | null;
  source?: string;
  message_id?: string | number | null;
  send_email_notification?: boolean;
  email_to?: string[];
  email_cc?: string[];
  email_bcc?: string[];
  created?: Date;
}

export async function insertNote(db: DbOrTrx, caseId: string, note: NewNoteRow): Promise<NoteRow> {
  return db
    .insertInto('case_notes')
    .values({ case_id: caseId, ...note, created: note.created ?? new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertAttachments(
  db: DbOrTrx,
  caseId: string,
  owner: { noteId?: string | null; messageId?: string | number | null },
  attachments: readonly NewAttachment[],
): Promise<AttachmentMetaRow[]> {
  if (attachments.length === 0) return [];
  return db
    .insertInto('attachments')
    .values(
      attachments.map((a) => ({
        case_id: caseId,
        note_id: owner.noteId ?? null,
        message_id: owner.messageId ?? null,
        file_name: a.fileName,
        content_type: a.contentType,
        size: a.content.length,
        content_id: a.contentId ?? null,
        inline: a.inline ?? false,
        sha256: createHash('sha256').update(a.content).digest('hex'),
        content: a.content,
      })),
    )
    .returning(ATTACHMENT_META_COLUMNS)
    .execute();
}

export async function findAttachment(db: DbOrTrx, caseId: string, attachmentId: string) {
  if (!UUID.test(caseId) || !UUID.test(attachmentId)) return undefined;
  return db
    .selectFrom('attachments')
    .innerJoin('cases', 'cases.id', 'attachments.case_id')
    .select(['attachments.file_name', 'attachments.content_type', 'attachments.content', 'attachments.size'])
    .where('attachments.id', '=', attachmentId)
    .where('attachments.case_id', '=', caseId)
    .where('cases.deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Notes, attachment metadata, status log and note deliveries of one case. */
export async function loadCaseDetails(db: DbOrTrx, caseId: string): Promise<CaseDetails> {
  const [notes, attachments, statusLog, deliveries] = await Promise.all([
    db.selectFrom('case_notes').selectAll().where('case_id', '=', caseId).orderBy('created').orderBy('id').execute(),
    db.selectFrom('attachments').select(ATTACHMENT_META_COLUMNS).where('case_id', '=', caseId).orderBy('created').execute(),
    db.selectFrom('case_status_log').selectAll().where('case_id', '=', caseId).orderBy('id').execute(),
    db
      .selectFrom('outbox')
      .select(['note_id', 'status', 'to_addresses', 'message_id', 'last_error', 'sent_at'])
      .where('case_id', '=', caseId)
      .where('note_id', 'is not', null)
      .orderBy('created')
      .execute(),
  ]);
  return { notes, attachments, statusLog, deliveries };
}
