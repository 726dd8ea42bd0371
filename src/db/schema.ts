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
  scope: 'read' | 'agent' | 'admin';
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
  /** 'Standard' or 'Order' (migration 20261202100000); set when the case is created. */
  case_type: Generated<string>;
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
  /** Who changed the status: a staff user's or an API key's name (migration 20261203100000); null before then. */
  changed_by: ColumnType<string | null, string | null | undefined, string | null>;
  changed_by_user_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** When the last new message was stored from this mailbox. */
  last_import_at: NullableTimestamp;
  changed: Generated<Date>;
}

/** A mailbox the pollers watch (src/mailboxes/mailbox-store.ts); secrets sealed in auth_secret. */
export interface MailboxesTable {
  id: Generated<string>;
  name: string;
  host: string;
  port: number;
  tls: 'none' | 'starttls' | 'tls';
  tls_insecure: Generated<boolean>;
  username: string;
  folder: Generated<string>;
  after_import: Generated<'seen' | 'move' | 'delete'>;
  move_to: string | null;
  enabled: Generated<boolean>;
  auth_type: string;
  /** The auth's fields that are not secret (token URL, client id, tenant, scope), camelCase. */
  auth_settings: ColumnType<Record<string, string>, string, string>;
  /** The secret fields as sealed JSON (src/mailboxes/secrets.ts); null: they come from the environment (source env). */
  auth_secret: string | null;
  source: Generated<'env' | 'api'>;
  /** `user@host:port/folder`: the key of mailbox_state, messages.mailbox and the poller lease. */
  mailbox_key: string;
  deleted_at: NullableTimestamp;
  created: Generated<Date>;
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
  /** Acknowledgements: the recipient as the rate limits count it, and its domain (migration 20261202120000). */
  ack_key: string | null;
  ack_domain: string | null;
}

export interface AddressSuppressionsTable {
  email: string;
  reason: string;
  created: Generated<Date>;
}

/** numeric comes back from pg as a string (exact); we insert strings. */
type NumericColumn = ColumnType<string, string, string>;
type NullableNumericColumn = ColumnType<string | null, string | null | undefined, string | null>;
/** date comes back as 'YYYY-MM-DD' text (the queries read it as text); we insert the same text. */
type DateText = ColumnType<string | null, string | null | undefined, string | null>;

/** The order store (migration 20261202100000): orders intake knows, imported through PUT /api/orders. */
export interface OrdersTable {
  order_number: string;
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  market_id: string | null;
  order_created: NullableTimestamp;
  status: string | null;
  currency: string | null;
  imported: Generated<Date>;
  changed: Generated<Date>;
}

export interface OrderLinesTable {
  order_number: string;
  line_number: number;
  sku: string | null;
  product_id: string | null;
  name: string | null;
  quantity: NumericColumn;
  unit_price: NullableNumericColumn;
  line_status: string | null;
}

/** The order header of an order case (cases.case_type = 'Order'). */
export interface OrderCasesTable {
  case_id: string;
  scope: 'SpecificLineItems' | 'MultipleOrders';
  order_number: string | null;
  account_id: string | null;
  account_name: string | null;
  account_email: string | null;
  service: string | null;
  request_reason_code: string | null;
  resolution_code: string | null;
  state: 'Draft' | 'Submitted' | 'Cancelled';
  submitted_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
}

export interface CaseLinesTable {
  id: string;
  case_id: string;
  line_number: number;
  order_number: string;
  order_line_number: number | null;
  sku_id: string | null;
  name: string | null;
  ordered_quantity: NullableNumericColumn;
  requested_quantity: NullableNumericColumn;
  approved_quantity: NullableNumericColumn;
  requested_date: DateText;
  approved_date: DateText;
  current_shipping_address: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  requested_shipping_address: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  assigned_to_user_id: string | null;
  assigned_to_name: string | null;
  state: string;
  state_changed_at: Timestamp;
  close_notes: string | null;
  work_notes: string | null;
  created: Timestamp;
  changed: Timestamp;
}

export interface CaseLineStateLogTable {
  id: Generated<string>;
  line_id: string;
  state: string;
  timestamp: Timestamp;
  duration_since_previous_ms: ColumnType<string | null, number | null, number | null>;
}

/** numeric comes back from pg as its exact decimal text; we write decimal text (src/decimal.ts). */
type DecimalColumn = ColumnType<string, string, string>;
type NullableDecimalColumn = ColumnType<string | null, string | null | undefined, string | null>;
/** bigint identity ids come back as strings (see BigIntColumn). */
type IdentityColumn = ColumnType<string, never, never>;

export interface ProjectTypesTable {
  id: IdentityColumn;
  name: string;
  workflow_steps: ColumnType<unknown[], string | undefined, string>;
  reference_types: Generated<string[]>;
  can_have_multiple_partners: Generated<boolean>;
  finish_on_last_step: Generated<boolean>;
  default_order_type: string | null;
  created: Timestamp;
  modified: Timestamp;
}

export interface ProjectsTable {
  id: IdentityColumn;
  number: BigIntColumn;
  project_number: string;
  name: Generated<string>;
  project_type_id: BigIntColumn;
  project_type_name: string;
  status: string;
  workflow_steps: ColumnType<unknown[], string | undefined, string>;
  workflow_step_id: string | null;
  workflow_step_index: number | null;
  workflow_step_name: string | null;
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  partner: ColumnType<unknown, string | null | undefined, string | null>;
  partner_id: string | null;
  partner_name: string | null;
  partners: ColumnType<unknown[], string | undefined, string>;
  partner_ids: Generated<string[]>;
  store_id: string | null;
  store_contact: string | null;
  deadline: NullableTimestamp;
  project_date: NullableTimestamp;
  project_value: NullableDecimalColumn;
  project_budget_value: NullableDecimalColumn;
  tags: Generated<string[]>;
  comments: string | null;
  customer_comments: string | null;
  properties: ColumnType<unknown[], string | undefined, string>;
  related_orders: Generated<string[]>;
  related_carts: Generated<string[]>;
  related_cases: Generated<string[]>;
  canceled: Generated<boolean>;
  cancellation_code: string | null;
  cancellation_reason: string | null;
  created: Timestamp;
  modified: Timestamp;
  deleted_at: NullableTimestamp;
  search_vector: ColumnType<string, never, never>;
}

/** A narrow copy of what a text search tests per project, kept in step by triggers (migration 20261202110000). */
export interface ProjectSearchTable {
  id: ColumnType<string, never, never>;
  deadline: ColumnType<Date | null, never, never>;
  deleted_at: ColumnType<Date | null, never, never>;
  search_vector: ColumnType<string, never, never>;
}

export interface ProjectProductsTable {
  project_id: BigIntColumn;
  position: number;
  sku_id: string;
  product_id: string | null;
  name: string | null;
  quantity: DecimalColumn;
  status: string;
  cancellation_code: string | null;
  cancellation_reason: string | null;
  properties: ColumnType<unknown[], string | undefined, string>;
  reference_type: string | null;
  order_type: string | null;
  order_id: string | null;
}

export interface ProjectPartsTable {
  id: IdentityColumn;
  project_id: BigIntColumn;
  kind: 'part' | 'change_order';
  title: string;
  description: string | null;
  status: string;
  cart_ids: Generated<string[]>;
  properties: ColumnType<unknown[], string | undefined, string>;
  approved: NullableTimestamp;
  approved_by: string | null;
  created: Timestamp;
  modified: Timestamp;
}

export interface ProjectTransactionsTable {
  id: IdentityColumn;
  project_id: BigIntColumn;
  description: string | null;
  cost: DecimalColumn;
  revenue: DecimalColumn;
  budget_cost: DecimalColumn;
  budget_revenue: DecimalColumn;
  created: Timestamp;
}

export interface ProjectWorkflowLogTable {
  id: IdentityColumn;
  project_id: BigIntColumn;
  action: string;
  from_step_id: string | null;
  to_step_id: string | null;
  reason: string | null;
  created_by: string | null;
  timestamp: Timestamp;
}

/** Staff who sign in to the app (migration 20261203100000). */
export interface StaffUsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  role: 'agent' | 'admin';
  /** `scrypt$N$r$p$salt$hash` (src/auth/passwords.ts): the parameters travel with the hash. */
  password_hash: string;
  disabled_at: NullableTimestamp;
  created: Generated<Date>;
  changed: Generated<Date>;
  last_sign_in: NullableTimestamp;
}

export interface StaffSessionsTable {
  id: Generated<string>;
  /** SHA-256 (hex) of the cookie's token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created: Generated<Date>;
  last_seen: Generated<Date>;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface StaffSignInFailuresTable {
  id: Generated<string>;
  email: string;
  ip: string | null;
  at: Generated<Date>;
}

/** Reply templates of the staff inbox (migration 20261203110000). */
export interface ReplyTemplatesTable {
  id: Generated<string>;
  name: string;
  body: string;
  is_public: Generated<boolean>;
  created: Generated<Date>;
  changed: Generated<Date>;
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
  mailboxes: MailboxesTable;
  outbox: OutboxTable;
  address_suppressions: AddressSuppressionsTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_cases: OrderCasesTable;
  case_lines: CaseLinesTable;
  case_line_state_log: CaseLineStateLogTable;
  project_types: ProjectTypesTable;
  projects: ProjectsTable;
  project_search: ProjectSearchTable;
  project_products: ProjectProductsTable;
  project_parts: ProjectPartsTable;
  project_transactions: ProjectTransactionsTable;
  project_workflow_log: ProjectWorkflowLogTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  staff_sign_in_failures: StaffSignInFailuresTable;
  reply_templates: ReplyTemplatesTable;
}
