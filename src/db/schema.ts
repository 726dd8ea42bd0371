import type { ColumnType, Generated } from 'kysely';

/**
 * Table types, as PostgreSQL returns them through pg. One interface per table;
 * rows are mapped to the API's JSON shape by each feature's mapper, never returned raw.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
/** bigint comes back from pg as a string; we insert numbers. */
type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;

export interface ParticipantJson {
  Name: string | null;
  Email: string | null;
  CustomerId: string | null;
  Role: string | null;
}

export interface PropertyJson {
  Key: string;
  Value: string | null;
}

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
  changed: Generated<Date>;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  scope: 'read' | 'admin';
  key_prefix: string;
  key_hash: string;
  created: Generated<Date>;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface CustomersTable {
  id: Generated<string>;
  name: Generated<string>;
  email: string;
  created: Generated<Date>;
  changed: Generated<Date>;
}

export interface CasesTable {
  id: Generated<string>;
  number: BigIntColumn;
  case_number: string;
  subject: Generated<string>;
  description: Generated<string>;
  status: string;
  priority: string;
  source: Generated<string>;
  assigned_to_user_id: string | null;
  assigned_to_name: string | null;
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  tags: Generated<string[]>;
  related_orders: Generated<string[]>;
  related_customers: Generated<string[]>;
  related_projects: Generated<string[]>;
  related_carts: Generated<string[]>;
  related_sku_ids: Generated<string[]>;
  related_product_ids: Generated<string[]>;
  participants: ColumnType<ParticipantJson[], string | undefined, string>;
  properties: ColumnType<PropertyJson[], string | undefined, string>;
  follow_up_date: NullableTimestamp;
  resolved_date: NullableTimestamp;
  closed_date: NullableTimestamp;
  last_comment_date: NullableTimestamp;
  last_commenter_name: string | null;
  comment_count: Generated<number>;
  market_id: string | null;
  market_group_id: string | null;
  reply_token: string;
  status_changed_at: Timestamp;
  created: Timestamp;
  changed: Timestamp;
  deleted_at: NullableTimestamp;
  search_vector: ColumnType<string, never, never>;
}

/**
 * A narrow copy of what a text search sorted by date tests per case, kept in step with `cases` by triggers
 * (migration 20261201120000): the `walk` plan of src/cases/search.ts reads it. Never written by the app.
 */
export interface CaseSearchTable {
  id: ColumnType<string, never, never>;
  created: ColumnType<Date, never, never>;
  deleted_at: ColumnType<Date | null, never, never>;
  search_vector: ColumnType<string, never, never>;
}

export interface CaseStatusLogTable {
  id: Generated<string>;
  case_id: string;
  status: string;
  timestamp: Timestamp;
  duration_since_previous_ms: ColumnType<string | null, number | null, number | null>;
}

export interface CaseNotesTable {
  id: Generated<string>;
  case_id: string;
  comment: string;
  full_text: string | null;
  html: string | null;
  is_public: boolean;
  created_by: Generated<string>;
  created_by_email: string | null;
  source: Generated<string>;
  message_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  send_email_notification: Generated<boolean>;
  email_to: Generated<string[]>;
  email_cc: Generated<string[]>;
  email_bcc: Generated<string[]>;
  created: Timestamp;
}

export interface AttachmentsTable {
  id: Generated<string>;
  case_id: string;
  note_id: string | null;
  message_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  file_name: string;
  content_type: string;
  size: number;
  content_id: string | null;
  inline: Generated<boolean>;
  sha256: string;
  content: Buffer;
  created: Generated<Date>;
}

export type MessageStatus = 'queued' | 'processing' | 'processed' | 'failed' | 'ignored';

export interface MessagesTable {
  id: Generated<string>;
  dedupe_key: string;
  mailbox: string;
  uidvalidity: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  uid: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  message_id: string | null;
  envelope: ColumnType<Record<string, unknown>, string | undefined, string>;
  raw: Buffer;
  size: number;
  status: ColumnType<MessageStatus, MessageStatus | undefined, MessageStatus>;
  attempts: Generated<number>;
  error: string | null;
  classification: string | null;
  decision: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  case_id: string | null;
  note_id: string | null;
  received_at: Generated<Date>;
  processed_at: NullableTimestamp;
}

export interface ThreadRefsTable {
  message_id: string;
  case_id: string;
  direction: 'in' | 'out';
  created: Generated<Date>;
}

export interface MailboxStateTable {
  mailbox: string;
  uidvalidity: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  last_uid: ColumnType<string, number | string | undefined, number | string>;
  state: Generated<string>;
  last_fetch_at: NullableTimestamp;
  last_error: string | null;
  last_error_at: NullableTimestamp;
  changed: Generated<Date>;
}

export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'suppressed';

export interface OutboxTable {
  id: Generated<string>;
  case_id: string;
  note_id: string | null;
  kind: 'ack' | 'reply';
  automatic: boolean;
  to_addresses: string[];
  cc_addresses: Generated<string[]>;
  bcc_addresses: Generated<string[]>;
  subject: string;
  text_body: string;
  html_body: string | null;
  message_id: string;
  in_reply_to: string | null;
  references: Generated<string[]>;
  reply_to: string | null;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  created: Generated<Date>;
  sent_at: NullableTimestamp;
  /** Set by the outbound relay once the row's job is in the queue (migration 20261123120400). */
  enqueued_at: NullableTimestamp;
  /** Display name of the To recipient, cleaned (migration 20261123120400). */
  to_name: string | null;
}

export interface AddressSuppressionsTable {
  email: string;
  reason: string;
  created: Generated<Date>;
}

export interface Database {
  settings: SettingsTable;
  api_keys: ApiKeysTable;
  customers: CustomersTable;
  cases: CasesTable;
  case_search: CaseSearchTable;
  case_status_log: CaseStatusLogTable;
  case_notes: CaseNotesTable;
  attachments: AttachmentsTable;
  messages: MessagesTable;
  thread_refs: ThreadRefsTable;
  mailbox_state: MailboxStateTable;
  outbox: OutboxTable;
  address_suppressions: AddressSuppressionsTable;
}
