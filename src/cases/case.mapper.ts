import type { Selectable } from 'kysely';
import type { AttachmentsTable, CaseNotesTable, CasesTable, CaseStatusLogTable, OutboxTable } from '../db/schema.js';
import { nextSuggestedStatus, type CaseSettings } from '../settings/case-settings.js';
import type { AttachmentJson, CaseJson, NoteJson, StatusLogJson } from './case.types.js';
import { orderCaseFields, type CaseLineRow, type OrderCaseRow } from './case-lines.mapper.js';

export type CaseRow = Omit<Selectable<CasesTable>, 'search_vector'>;
/** The columns caseToJson reads: a case row without its internal bookkeeping (number, reply token, status clock). */
export type CaseJsonRow = Omit<CaseRow, 'number' | 'reply_token' | 'status_changed_at'>;
export type NoteRow = Selectable<CaseNotesTable>;

/**
 * Every column of a case row (all but the generated search vector) with its PostgreSQL type: the one list that
 * every SELECT and RETURNING of a case and the insert of new cases (case.repository.ts insertNewCases) are made
 * of. `satisfies` ties it to CasesTable: a column added to the table type and not here (or the reverse) does not
 * compile.
 */
export const CASE_COLUMN_TYPES = {
  id: 'uuid',
  number: 'bigint',
  case_number: 'text',
  subject: 'text',
  description: 'text',
  status: 'text',
  priority: 'text',
  source: 'text',
  assigned_to_user_id: 'text',
  assigned_to_name: 'text',
  customer_id: 'uuid',
  customer_name: 'text',
  customer_email: 'text',
  tags: 'text[]',
  related_orders: 'text[]',
  related_customers: 'text[]',
  related_projects: 'text[]',
  related_carts: 'text[]',
  related_sku_ids: 'text[]',
  related_product_ids: 'text[]',
  participants: 'jsonb',
  properties: 'jsonb',
  follow_up_date: 'timestamptz',
  resolved_date: 'timestamptz',
  closed_date: 'timestamptz',
  last_comment_date: 'timestamptz',
  last_commenter_name: 'text',
  comment_count: 'integer',
  market_id: 'text',
  market_group_id: 'text',
  reply_token: 'text',
  status_changed_at: 'timestamptz',
  created: 'timestamptz',
  changed: 'timestamptz',
  deleted_at: 'timestamptz',
  case_type: 'text',
} as const satisfies Record<keyof CaseRow, string>;

export type CaseColumn = keyof typeof CASE_COLUMN_TYPES;
/** Every case column but the generated search vector, in CASE_COLUMN_TYPES' order. */
export const CASE_COLUMNS = Object.keys(CASE_COLUMN_TYPES) as readonly CaseColumn[];

/** What the API's case JSON is made of (caseToJson): CASE_COLUMNS without number, reply_token and status_changed_at. */
export const CASE_JSON_COLUMNS = CASE_COLUMNS.filter(
  (c): c is keyof CaseJsonRow => c !== 'number' && c !== 'reply_token' && c !== 'status_changed_at',
);

/** The columns of a note but its id and case (which the insert of a first note sets), with their PostgreSQL types. */
export const NOTE_COLUMN_TYPES = {
  comment: 'text',
  full_text: 'text',
  html: 'text',
  is_public: 'boolean',
  created_by: 'text',
  created_by_email: 'text',
  source: 'text',
  message_id: 'bigint',
  send_email_notification: 'boolean',
  email_to: 'text[]',
  email_cc: 'text[]',
  email_bcc: 'text[]',
  created: 'timestamptz',
} as const satisfies Record<Exclude<keyof NoteRow, 'id' | 'case_id'>, string>;
export type AttachmentMetaRow = Omit<Selectable<AttachmentsTable>, 'content'>;
export type StatusLogRow = Selectable<CaseStatusLogTable>;
export type DeliveryRow = Pick<
  Selectable<OutboxTable>,
  'note_id' | 'status' | 'to_addresses' | 'message_id' | 'last_error' | 'sent_at'
>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function attachmentToJson(a: AttachmentMetaRow): AttachmentJson {
  return {
    Id: a.id,
    FileName: a.file_name,
    ContentType: a.content_type,
    Size: a.size,
    ContentId: a.content_id,
    Inline: a.inline,
    Url: `/api/cases/${a.case_id}/attachments/${a.id}`,
  };
}

export function noteToJson(
  n: NoteRow,
  attachments: AttachmentMetaRow[] = [],
  deliveries: DeliveryRow[] = [],
): NoteJson {
  return {
    Id: n.id,
    Comment: n.comment,
    FullText: n.full_text,
    Html: n.html,
    IsPublic: n.is_public,
    CreatedBy: n.created_by,
    CreatedByEmail: n.created_by_email,
    Source: n.source,
    Created: n.created.toISOString(),
    SendEmailNotification: n.send_email_notification,
    Attachments: attachments.filter((a) => a.note_id === n.id).map(attachmentToJson),
    Delivery: deliveries
      .filter((d) => d.note_id === n.id)
      .map((d) => ({
        Status: d.status,
        To: d.to_addresses,
        MessageId: d.message_id,
        Error: d.last_error,
        SentAt: iso(d.sent_at),
      })),
  };
}

export function statusLogToJson(l: StatusLogRow): StatusLogJson {
  return {
    Status: l.status,
    Timestamp: l.timestamp.toISOString(),
    DurationSincePreviousMs: l.duration_since_previous_ms === null ? null : Number(l.duration_since_previous_ms),
    ChangedBy: l.changed_by ?? null,
    ChangedByUserId: l.changed_by_user_id ?? null,
  };
}

export interface CaseDetails {
  notes?: NoteRow[];
  attachments?: AttachmentMetaRow[];
  statusLog?: StatusLogRow[];
  deliveries?: DeliveryRow[];
  /** The order header of an order case (null for other cases). */
  orderCase?: OrderCaseRow | null;
  /** The line items of an order case. */
  lines?: CaseLineRow[];
}

/** The one place a case row becomes API JSON. */
export function caseToJson(row: CaseJsonRow, settings: CaseSettings, details: CaseDetails = {}): CaseJson {
  const notes = details.notes?.length
    ? details.notes.map((n) => noteToJson(n, details.attachments, details.deliveries))
    : [];
  const isPublic = (n: NoteJson) => n.IsPublic;
  return {
    Id: row.id,
    CaseNumber: row.case_number,
    Subject: row.subject,
    Description: row.description,
    Status: row.status,
    Priority: row.priority,
    Source: row.source,
    AssignedToUserId: row.assigned_to_user_id,
    AssignedToName: row.assigned_to_name,
    CustomerId: row.customer_id,
    CustomerName: row.customer_name,
    CustomerEmail: row.customer_email,
    Tags: row.tags,
    RelatedOrders: row.related_orders,
    RelatedCustomers: row.related_customers,
    RelatedProjects: row.related_projects,
    RelatedCarts: row.related_carts,
    RelatedSkuIds: row.related_sku_ids,
    RelatedProductIds: row.related_product_ids,
    Participants: row.participants,
    CaseNotes: notes.length ? notes.filter(isPublic) : [],
    InternalNotes: notes.length ? notes.filter((n) => !isPublic(n)) : [],
    Properties: row.properties,
    CaseStatusLog: details.statusLog?.length ? details.statusLog.map(statusLogToJson) : [],
    FollowUpDate: iso(row.follow_up_date),
    ResolvedDate: iso(row.resolved_date),
    ClosedDate: iso(row.closed_date),
    LastCommentDate: iso(row.last_comment_date),
    LastCommenterName: row.last_commenter_name,
    CommentCount: row.comment_count,
    Created: row.created.toISOString(),
    Changed: row.changed.toISOString(),
    MarketId: row.market_id,
    MarketGroupId: row.market_group_id,
    NextSuggestedStatus: nextSuggestedStatus(settings, row.status),
    Deleted: iso(row.deleted_at),
    ...orderCaseFields(row.case_type, details.orderCase, details.lines),
  };
}
