import { sql, type Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app and speaks raw SQL.
// Staff users, their sign-in sessions and failed sign-ins (docs/staff-users.md); who changed a case's status;
// API keys get the `agent` scope (work cases, no settings).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE staff_users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('agent', 'admin')),
      password_hash text NOT NULL,
      disabled_at timestamptz,
      created timestamptz NOT NULL DEFAULT now(),
      changed timestamptz NOT NULL DEFAULT now(),
      last_sign_in timestamptz
    )`.execute(db);
  // Emails are unique whatever their letter case: sign-in looks them up by lower(email).
  await sql`CREATE UNIQUE INDEX staff_users_email_key ON staff_users (lower(email))`.execute(db);

  // Only the SHA-256 of a session's token is stored: a copy of the table signs nobody in.
  await sql`
    CREATE TABLE staff_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash text NOT NULL UNIQUE,
      user_id uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      last_seen timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      ip text,
      user_agent text
    )`.execute(db);
  await sql`CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id)`.execute(db);
  await sql`CREATE INDEX staff_sessions_expires_idx ON staff_sessions (expires_at)`.execute(db);

  // Failed sign-ins per email (lower-cased, known or not), so every web process counts the same failures.
  await sql`
    CREATE TABLE staff_sign_in_failures (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL,
      ip text,
      at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX staff_sign_in_failures_email_idx ON staff_sign_in_failures (email, at)`.execute(db);

  await sql`ALTER TABLE case_status_log ADD COLUMN changed_by text, ADD COLUMN changed_by_user_id uuid`.execute(db);

  await sql`ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_scope_check`.execute(db);
  await sql`ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'agent', 'admin'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_scope_check`.execute(db);
  await sql`UPDATE api_keys SET scope = 'read', revoked_at = coalesce(revoked_at, now()) WHERE scope = 'agent'`.execute(
    db,
  );
  await sql`ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('read', 'admin'))`.execute(db);
  await sql`ALTER TABLE case_status_log DROP COLUMN changed_by_user_id, DROP COLUMN changed_by`.execute(db);
  await sql`DROP TABLE staff_sign_in_failures`.execute(db);
  await sql`DROP TABLE staff_sessions`.execute(db);
  await sql`DROP TABLE staff_users`.execute(db);
}
