import { sql, type Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app and speaks raw SQL.
// Mailboxes managed through the API (/api/admin/mailboxes) and seeded from IMAP_URL/IMAP_URLS. Secrets are sealed by
// the application (AES-256-GCM, SECRETS_KEY) before they reach this table. Every change is announced on the channel
// `intake_mailboxes`, so the pollers pick it up within seconds.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE mailboxes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      host text NOT NULL,
      port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
      tls text NOT NULL CHECK (tls IN ('none', 'starttls', 'tls')),
      tls_insecure boolean NOT NULL DEFAULT false,
      username text NOT NULL,
      folder text NOT NULL DEFAULT 'INBOX',
      after_import text NOT NULL DEFAULT 'seen' CHECK (after_import IN ('seen', 'move', 'delete')),
      move_to text,
      enabled boolean NOT NULL DEFAULT true,
      auth_type text NOT NULL,
      auth_settings jsonb NOT NULL DEFAULT '{}',
      auth_secret text,
      source text NOT NULL DEFAULT 'api' CHECK (source IN ('env', 'api')),
      mailbox_key text NOT NULL,
      deleted_at timestamptz,
      created timestamptz NOT NULL DEFAULT now(),
      changed timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX mailboxes_name_key ON mailboxes (lower(name)) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX mailboxes_mailbox_key_key ON mailboxes (mailbox_key) WHERE deleted_at IS NULL`.execute(
    db,
  );
  await sql`ALTER TABLE mailbox_state ADD COLUMN last_import_at timestamptz`.execute(db);
  await sql`
    CREATE FUNCTION intake_notify_mailboxes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('intake_mailboxes', TG_OP);
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER mailboxes_notify AFTER INSERT OR UPDATE OR DELETE ON mailboxes
    FOR EACH STATEMENT EXECUTE FUNCTION intake_notify_mailboxes()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS mailboxes_notify ON mailboxes`.execute(db);
  await sql`DROP FUNCTION IF EXISTS intake_notify_mailboxes()`.execute(db);
  await sql`ALTER TABLE mailbox_state DROP COLUMN IF EXISTS last_import_at`.execute(db);
  await sql`DROP TABLE IF EXISTS mailboxes`.execute(db);
}
