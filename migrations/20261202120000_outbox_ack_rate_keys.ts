import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. Acknowledgement limits count an address without its +tag (and,
// for Gmail, without dots), per domain and for the whole installation: each ack row keeps the key it was
// counted under. Rows written before keep the address as it was sent, lower-cased and without a +tag.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE outbox ADD COLUMN ack_key text, ADD COLUMN ack_domain text`.execute(db);
  await sql`
    UPDATE outbox
       SET ack_key = regexp_replace(lower(to_addresses[1]), '\\+[^@]*@', '@'),
           ack_domain = split_part(lower(to_addresses[1]), '@', 2)
     WHERE kind = 'ack' AND to_addresses[1] IS NOT NULL`.execute(db);
  await sql`CREATE INDEX outbox_ack_key_idx ON outbox (ack_key, created) WHERE kind = 'ack'`.execute(db);
  await sql`CREATE INDEX outbox_ack_domain_idx ON outbox (ack_domain, created) WHERE kind = 'ack'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS outbox_ack_domain_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS outbox_ack_key_idx`.execute(db);
  await sql`ALTER TABLE outbox DROP COLUMN IF EXISTS ack_domain, DROP COLUMN IF EXISTS ack_key`.execute(db);
}
