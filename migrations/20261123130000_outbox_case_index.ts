import { sql, type Kysely } from 'kysely';

// Frozen in time: imports nothing from the app. GET /api/cases/{id} lists a case's note deliveries from the
// outbox by case_id; only a partial (kind = 'ack') index covered case_id, so every GET scanned the outbox.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS outbox_case_idx ON outbox (case_id, created)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS outbox_case_idx`.execute(db);
}
