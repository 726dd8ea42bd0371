import { sql, type Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app and speaks raw SQL.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  // Key/value settings documents ('cases', 'outbound'), validated by the app.
  await sql`
    CREATE TABLE settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      changed timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // Case numbers come from a sequence: unique under concurrency and never reused (a rollback leaves a gap).
  await sql`CREATE SEQUENCE case_number_seq START WITH 1001 MINVALUE 1`.execute(db);

  await sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      scope text NOT NULL CHECK (scope IN ('read', 'admin')),
      key_prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      created timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE customers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL DEFAULT '',
      email text NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      changed timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX customers_email_key ON customers (lower(email))`.execute(db);

  await sql`
    CREATE TABLE cases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      number bigint NOT NULL UNIQUE,
      case_number text NOT NULL UNIQUE,
      subject text NOT NULL DEFAULT '',
      description text NOT NULL DEFAULT '',
      status text NOT NULL,
      priority text NOT NULL,
      source text NOT NULL DEFAULT 'Web',
      assigned_to_user_id text,
      assigned_to_name text,
      customer_id uuid REFERENCES customers (id) ON DELETE SET NULL,
      customer_name text,
      customer_email text,
      tags text[] NOT NULL DEFAULT '{}',
      related_orders text[] NOT NULL DEFAULT '{}',
      related_customers text[] NOT NULL DEFAULT '{}',
      related_projects text[] NOT NULL DEFAULT '{}',
      related_carts text[] NOT NULL DEFAULT '{}',
      related_sku_ids text[] NOT NULL DEFAULT '{}',
      related_product_ids text[] NOT NULL DEFAULT '{}',
      participants jsonb NOT NULL DEFAULT '[]',
      properties jsonb NOT NULL DEFAULT '[]',
      follow_up_date timestamptz,
      resolved_date timestamptz,
      closed_date timestamptz,
      last_comment_date timestamptz,
      last_commenter_name text,
      comment_count integer NOT NULL DEFAULT 0,
      market_id text,
      market_group_id text,
      reply_token text NOT NULL UNIQUE,
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      created timestamptz NOT NULL DEFAULT now(),
      changed timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz,
      search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(case_number, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(subject, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(customer_name, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(customer_email, '')), 'B') ||
        setweight(to_tsvector('english', left(coalesce(description, ''), 100000)), 'C')
      ) STORED
    )`.execute(db);
  await sql`CREATE INDEX cases_search_idx ON cases USING gin (search_vector)`.execute(db);
  await sql`CREATE INDEX cases_tags_idx ON cases USING gin (tags)`.execute(db);
  await sql`CREATE INDEX cases_related_orders_idx ON cases USING gin (related_orders)`.execute(db);
  await sql`CREATE INDEX cases_customer_email_idx ON cases (lower(customer_email))`.execute(db);
  await sql`CREATE INDEX cases_customer_id_idx ON cases (customer_id)`.execute(db);
  await sql`CREATE INDEX cases_created_idx ON cases (created, id)`.execute(db);
  await sql`CREATE INDEX cases_changed_idx ON cases (changed, id)`.execute(db);
  await sql`CREATE INDEX cases_status_idx ON cases (status, created)`.execute(db);
  await sql`CREATE INDEX cases_assigned_idx ON cases (assigned_to_user_id, created)`.execute(db);
  await sql`CREATE INDEX cases_upper_case_number_idx ON cases (upper(case_number))`.execute(db);

  await sql`
    CREATE TABLE case_status_log (
      id bigserial PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      status text NOT NULL,
      "timestamp" timestamptz NOT NULL,
      duration_since_previous_ms bigint
    )`.execute(db);
  await sql`CREATE INDEX case_status_log_case_idx ON case_status_log (case_id, id)`.execute(db);

  // Raw inbound messages, stored by the poller before the server copy is flagged.
  // dedupe_key identifies a message across redelivery and UIDVALIDITY changes (see src/mail/identity.ts).
  await sql`
    CREATE TABLE messages (
      id bigserial PRIMARY KEY,
      dedupe_key text NOT NULL UNIQUE,
      mailbox text NOT NULL,
      uidvalidity bigint,
      uid bigint,
      message_id text,
      envelope jsonb NOT NULL DEFAULT '{}',
      raw bytea NOT NULL,
      size integer NOT NULL,
      status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'processing', 'processed', 'failed', 'ignored')),
      attempts integer NOT NULL DEFAULT 0,
      error text,
      classification text,
      decision jsonb,
      case_id uuid REFERENCES cases (id) ON DELETE SET NULL,
      note_id uuid,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX messages_status_idx ON messages (status, id)`.execute(db);
  await sql`CREATE INDEX messages_message_id_idx ON messages (message_id)`.execute(db);
  await sql`CREATE INDEX messages_case_idx ON messages (case_id)`.execute(db);

  await sql`
    CREATE TABLE case_notes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      comment text NOT NULL,
      full_text text,
      html text,
      is_public boolean NOT NULL,
      created_by text NOT NULL DEFAULT '',
      created_by_email text,
      source text NOT NULL DEFAULT 'api',
      message_id bigint REFERENCES messages (id) ON DELETE SET NULL,
      send_email_notification boolean NOT NULL DEFAULT false,
      email_to text[] NOT NULL DEFAULT '{}',
      email_cc text[] NOT NULL DEFAULT '{}',
      email_bcc text[] NOT NULL DEFAULT '{}',
      created timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX case_notes_case_idx ON case_notes (case_id, created)`.execute(db);

  await sql`
    CREATE TABLE attachments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      note_id uuid REFERENCES case_notes (id) ON DELETE CASCADE,
      message_id bigint REFERENCES messages (id) ON DELETE SET NULL,
      file_name text NOT NULL,
      content_type text NOT NULL,
      size integer NOT NULL,
      content_id text,
      inline boolean NOT NULL DEFAULT false,
      sha256 text NOT NULL,
      content bytea NOT NULL,
      created timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX attachments_case_idx ON attachments (case_id)`.execute(db);
  await sql`CREATE INDEX attachments_note_idx ON attachments (note_id)`.execute(db);

  // Every Message-ID intake received or sent for a case: the In-Reply-To/References lookup.
  await sql`
    CREATE TABLE thread_refs (
      message_id text NOT NULL,
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      direction text NOT NULL CHECK (direction IN ('in', 'out')),
      created timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (message_id, case_id)
    )`.execute(db);

  // Per-mailbox IMAP position. last_uid is only advanced after the messages up to it are stored.
  await sql`
    CREATE TABLE mailbox_state (
      mailbox text PRIMARY KEY,
      uidvalidity bigint,
      last_uid bigint NOT NULL DEFAULT 0,
      state text NOT NULL DEFAULT 'new',
      last_fetch_at timestamptz,
      last_error text,
      last_error_at timestamptz,
      changed timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // Outbound mail, written in the same transaction as the note or case that causes it.
  await sql`
    CREATE TABLE outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
      note_id uuid REFERENCES case_notes (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('ack', 'reply')),
      automatic boolean NOT NULL,
      to_addresses text[] NOT NULL,
      cc_addresses text[] NOT NULL DEFAULT '{}',
      bcc_addresses text[] NOT NULL DEFAULT '{}',
      subject text NOT NULL,
      text_body text NOT NULL,
      html_body text,
      message_id text NOT NULL UNIQUE,
      in_reply_to text,
      "references" text[] NOT NULL DEFAULT '{}',
      reply_to text,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      created timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX outbox_status_idx ON outbox (status, created)`.execute(db);
  await sql`CREATE INDEX outbox_note_idx ON outbox (note_id)`.execute(db);
  await sql`CREATE INDEX outbox_ack_rate_idx ON outbox (kind, created)`.execute(db);

  // Addresses that must not receive automatic mail (hard bounces).
  await sql`
    CREATE TABLE address_suppressions (
      email text PRIMARY KEY,
      reason text NOT NULL,
      created timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'address_suppressions',
    'outbox',
    'mailbox_state',
    'thread_refs',
    'attachments',
    'case_notes',
    'messages',
    'case_status_log',
    'cases',
    'customers',
    'api_keys',
    'settings',
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)} CASCADE`.execute(db);
  }
  await sql`DROP SEQUENCE IF EXISTS case_number_seq`.execute(db);
}
