import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. The acknowledgement rate limit counts one address's acks
// within a window. Through outbox_ack_rate_idx (kind, created) it read every ack of the window and filtered
// `address = ANY(to_addresses)`: work grew with total volume. An acknowledgement has exactly one
// recipient (the sender of the new case), so an expression index on that recipient, lower-cased, makes
// the check read only that address's acks. The CHECK keeps the one-recipient assumption true.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE outbox ADD CONSTRAINT outbox_ack_one_recipient CHECK (kind <> 'ack' OR cardinality(to_addresses) <= 1)`.execute(
    db,
  );
  await sql`CREATE INDEX IF NOT EXISTS outbox_ack_recipient_idx ON outbox ((lower(to_addresses[1])), created) WHERE kind = 'ack'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS outbox_ack_recipient_idx`.execute(db);
  await sql`ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_ack_one_recipient`.execute(db);
}
