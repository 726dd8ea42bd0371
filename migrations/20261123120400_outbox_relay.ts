import { sql, type Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app and speaks raw SQL.
// Outbound mail relay: which outbox rows have been handed to the queue, the recipient's name, and one acknowledgement per case.

export async function up(db: Kysely<any>): Promise<void> {
  // Set by the relay once the row's BullMQ job exists; NULL = committed but not yet enqueued.
  await sql`ALTER TABLE outbox ADD COLUMN enqueued_at timestamptz`.execute(db);
  // Display name of the (single) To recipient, already cleaned of control characters.
  await sql`ALTER TABLE outbox ADD COLUMN to_name text`.execute(db);
  await sql`CREATE INDEX outbox_relay_idx ON outbox (created) WHERE status = 'queued' AND enqueued_at IS NULL`.execute(
    db,
  );
  // The database, not the queue, guards against a doubled acknowledgement (a retried inbound job).
  await sql`CREATE UNIQUE INDEX outbox_one_ack_per_case ON outbox (case_id) WHERE kind = 'ack'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS outbox_one_ack_per_case`.execute(db);
  await sql`DROP INDEX IF EXISTS outbox_relay_idx`.execute(db);
  await sql`ALTER TABLE outbox DROP COLUMN IF EXISTS to_name`.execute(db);
  await sql`ALTER TABLE outbox DROP COLUMN IF EXISTS enqueued_at`.execute(db);
}
