import { createHash, randomBytes } from 'node:crypto';
import { sql, type Expression, type Updateable } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { executePrepared, type DbOrTrx } from '../db/database.js';
import { precompiled } from '../db/query-template.js';
import type { CasesTable } from '../db/schema.js';
import type { CaseLineRow, OrderCaseRow } from './case-lines.mapper.js';
import {
  CASE_COLUMNS,
  type AttachmentMetaRow,
  type CaseDetails,
  type CaseRow,
  type DeliveryRow,
  type NoteRow,
} from './case.mapper.js';
import type { NewAttachment } from './case.types.js';
import { linesJson, orderCaseJson } from './case-lines.repository.js';
import type { StatusLogEntry } from './status.js';

const ATTACHMENT_META_COLUMNS = [
  'id',
  'case_id',
  'note_id',
  'message_id',
  'file_name',
  'content_type',
  'size',
  'content_id',
  'inline',
  'sha256',
  'created',
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
  // Every change of a live case (a note, a reply by email, a status change) starts here: compiled once, prepared.
  if (options.forUpdate && !options.includeDeleted) return (await lockLiveCaseRow(db, [id]))[0];
  let q = db.selectFrom('cases').select(CASE_COLUMNS).where('id', '=', id);
  if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

const lockLiveCaseRow = precompiled((db, slot) =>
  db.selectFrom('cases').select(CASE_COLUMNS).where('id', '=', slot(0)).where('deleted_at', 'is', null).forUpdate(),
);

export async function findCaseRowByNumber(
  db: DbOrTrx,
  caseNumber: string,
  options: { forUpdate?: boolean } = {},
): Promise<CaseRow | undefined> {
  let q = db
    .selectFrom('cases')
    .select(CASE_COLUMNS)
    .where(sql`upper(case_number)`, '=', caseNumber.toUpperCase());
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findCaseRowByReplyToken(db: DbOrTrx, token: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').select(CASE_COLUMNS).where('reply_token', '=', token.toLowerCase()).executeTakeFirst();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function updateCaseRow(db: DbOrTrx, id: string, values: Updateable<CasesTable>): Promise<CaseRow> {
  return db.updateTable('cases').set(values).where('id', '=', id).returning(CASE_COLUMNS).executeTakeFirstOrThrow();
}

export async function insertStatusLog(db: DbOrTrx, caseId: string, entry: StatusLogEntry): Promise<void> {
  await db
    .insertInto('case_status_log')
    .values({ case_id: caseId, ...entry })
    .execute();
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

/** The row of one attachment; `noteId` may be an expression (the note inserted in the same statement). */
export function attachmentValues(
  caseId: string,
  owner: { noteId?: string | Expression<string> | null; messageId?: string | number | null },
  a: NewAttachment,
) {
  return {
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
  };
}

// JSON has no dates or bigints: to_jsonb prints timestamps as text and bigints as numbers (these go as text).
const NOTE_JSON = sql`to_jsonb(n) || jsonb_build_object('message_id', n.message_id::text)`;
const ATTACHMENT_JSON = sql`(to_jsonb(a) - 'content') || jsonb_build_object('message_id', a.message_id::text)`;

/**
 * A note, its attachments and the update of its case (`caseValues`: the comment fields and whatever else
 * the caller changes) in ONE statement: a round trip costs more CPU, in Node and in PostgreSQL, than the
 * work these carry. The caller holds the case row's lock. Undefined when the case row does not exist.
 */
export async function insertNoteAndUpdateCase(
  db: DbOrTrx,
  caseId: string,
  note: NewNoteRow & { created: Date },
  attachments: readonly NewAttachment[],
  caseValues: Updateable<CasesTable>,
): Promise<{ note: NoteRow; attachments: AttachmentMetaRow[]; caseRow: CaseRow } | undefined> {
  const withNote = db.with('n', (qb) =>
    qb
      .insertInto('case_notes')
      .values({ case_id: caseId, ...note })
      .returningAll(),
  );
  // The files as a multi-row insert in the same statement (binary parameters: no hex copy of large files).
  const withFiles = (
    attachments.length === 0
      ? withNote
      : withNote.with('a', (qb) =>
          qb
            .insertInto('attachments')
            .values(
              attachments.map((a) =>
                attachmentValues(
                  caseId,
                  { noteId: sql<string>`(SELECT id FROM n)`, messageId: note.message_id ?? null },
                  a,
                ),
              ),
            )
            .returning(ATTACHMENT_META_COLUMNS),
        )
  ) as typeof withNote;
  const compiled = withFiles
    .with('c', (qb) => qb.updateTable('cases').set(caseValues).where('id', '=', caseId).returning(CASE_COLUMNS))
    .selectFrom('c')
    .selectAll('c')
    .select([
      sql<Record<string, unknown>>`(SELECT ${NOTE_JSON} FROM n)`.as('note_json'),
      (attachments.length === 0
        ? sql<Record<string, unknown>[]>`'[]'::jsonb`
        : sql<Record<string, unknown>[]>`(SELECT jsonb_agg(${ATTACHMENT_JSON}) FROM a)`
      ).as('attachments_json'),
    ])
    .compile();
  // Prepared without attachments: then the text takes a few shapes only (which case columns change).
  const [found] =
    attachments.length === 0 ? await executePrepared(db, compiled) : (await db.executeQuery(compiled)).rows;
  if (!found) return undefined;
  const { note_json, attachments_json, ...caseRow } = found;
  return {
    caseRow,
    note: { ...(note_json as unknown as NoteRow), created: new Date(note_json.created as string) },
    attachments: attachments_json.map((a) => ({
      ...(a as unknown as AttachmentMetaRow),
      created: new Date(a.created as string),
    })),
  };
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
    db
      .selectFrom('attachments')
      .select(ATTACHMENT_META_COLUMNS)
      .where('case_id', '=', caseId)
      .orderBy('created')
      .execute(),
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

/** JSON has no dates: json_agg prints timestamps as ISO strings, the mapper wants Dates (as pg gives them). */
const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));

function casesWithDetailsQuery(db: DbOrTrx, ids: string, includeDeleted: boolean) {
  let q = db
    .selectFrom('cases as c')
    .select(CASE_COLUMNS.map((col) => `c.${col}` as const))
    .select((eb) => [
      jsonArrayFrom(
        eb.selectFrom('case_notes').selectAll().whereRef('case_id', '=', 'c.id').orderBy('created').orderBy('id'),
      ).as('notes'),
      jsonArrayFrom(
        eb
          .selectFrom('attachments')
          .select(ATTACHMENT_META_COLUMNS)
          .whereRef('case_id', '=', 'c.id')
          .orderBy('created'),
      ).as('attachments'),
      jsonArrayFrom(eb.selectFrom('case_status_log').selectAll().whereRef('case_id', '=', 'c.id').orderBy('id')).as(
        'statusLog',
      ),
      jsonArrayFrom(
        eb
          .selectFrom('outbox')
          .select(['note_id', 'status', 'to_addresses', 'message_id', 'last_error', 'sent_at'])
          .whereRef('case_id', '=', 'c.id')
          .where('note_id', 'is not', null)
          .orderBy('created'),
      ).as('deliveries'),
      // Order cases only: a plain case (most of them) runs neither subquery.
      sql<OrderCaseRow | null>`CASE WHEN c.case_type = 'Order' THEN ${orderCaseJson(sql`c.id`)} END`.as('orderCase'),
      sql<CaseLineRow[] | null>`CASE WHEN c.case_type = 'Order' THEN ${linesJson(sql`c.id`)} END`.as('lines'),
    ])
    .where('c.id', '=', sql<string>`any(${ids}::uuid[])`);
  if (!includeDeleted) q = q.where('c.deleted_at', 'is', null);
  return q;
}

// Built and compiled once (kysely's query building was a fifth of the server's CPU per GET), sent as a
// prepared statement. The Kysely instance only compiles here: the SQL text is the same for every database.
// One text for one id and for many: `= any($1)` with a one-element array plans like `= $1` (primary key lookup).
const casesWithDetails = precompiled((db, slot) => casesWithDetailsQuery(db, slot(0), false));
const casesWithDetailsAnyState = precompiled((db, slot) => casesWithDetailsQuery(db, slot(0), true));

export interface CaseWithDetails {
  row: CaseRow;
  details: Required<CaseDetails>;
}

/**
 * Cases with their notes, attachment metadata, status log and note deliveries, in ONE statement (the
 * details as json_agg subqueries), keyed by id: GET /api/cases/{id} is the API's hottest path, and five
 * round trips cost five times the per-statement work in Node and PostgreSQL. src/cases/case-loader.ts sends
 * the ids of concurrent GETs here together. Keys are the ids as PostgreSQL prints them (lower case). Missing ids
 * (and deleted cases, unless includeDeleted) are absent; ids that are not uuids are skipped (PostgreSQL would
 * raise a cast error for the whole statement).
 */
export async function findCasesWithDetails(
  db: DbOrTrx,
  ids: readonly string[],
  options: { includeDeleted?: boolean } = {},
): Promise<Map<string, CaseWithDetails>> {
  const found = new Map<string, CaseWithDetails>();
  const valid = ids.filter((id) => UUID.test(id));
  if (valid.length === 0) return found;
  const rows = await (options.includeDeleted ? casesWithDetailsAnyState : casesWithDetails)(db, [valid]);
  for (const { notes, attachments, statusLog, deliveries, orderCase, lines, ...row } of rows) {
    found.set(row.id, {
      row,
      details: {
        // bigint columns arrive as JSON numbers here (strings from pg); the mapper reads none of them but duration.
        notes: notes.map((n) => ({ ...n, created: toDate(n.created) })),
        attachments: attachments.map((a) => ({ ...a, created: toDate(a.created) })),
        statusLog: statusLog.map((l) => ({ ...l, timestamp: toDate(l.timestamp) })),
        deliveries: deliveries.map((d) => ({ ...d, sent_at: toDateOrNull(d.sent_at) }) as DeliveryRow),
        orderCase: orderCase ?? null,
        lines: lines ?? [],
      },
    });
  }
  return found;
}

/** One case with its details (see findCasesWithDetails). Undefined when missing (or deleted). */
export async function findCaseWithDetails(
  db: DbOrTrx,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<CaseWithDetails | undefined> {
  if (!UUID.test(id)) return undefined;
  return (await findCasesWithDetails(db, [id], options)).get(id.toLowerCase());
}
