import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { TEST_ADMIN_DATABASE_URL } from './env.js';

export interface TestDatabase {
  db: Db;
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file: runs never interfere. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `intake_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const u = new URL(TEST_ADMIN_DATABASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = createDb(url);
  await migrateToLatest(db);
  return {
    db,
    url,
    name,
    async drop() {
      await db.destroy();
      const c = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * How many cases and case_search rows disagree (migration 20261201120000): a case missing from case_search, a row
 * without its case, or a different created, deleted_at or search vector. 0 when the triggers kept them in step.
 */
export async function caseSearchOutOfStep(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM cases c FULL JOIN case_search s ON s.id = c.id
     WHERE c.id IS NULL OR s.id IS NULL OR s.created <> c.created OR s.deleted_at IS DISTINCT FROM c.deleted_at
        OR s.search_vector IS DISTINCT FROM c.search_vector`.execute(db);
  return Number(rows[0]!.n);
}
