import pg from 'pg';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { ServiceUnavailableError } from '../errors.js';
import { redactUrl } from '../logger.js';

export type Db = Kysely<Database>;
/** Repository functions take either the pool or a transaction: the caller decides the transaction. */
export type DbOrTrx = Kysely<Database> | Transaction<Database>;

// bigint (int8) stays a string: case numbers and ids can outgrow Number in theory, and we never do math on them.
export const DEFAULT_POOL_SIZE = 10;

export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener it crashes the process.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  return name;
}

/**
 * Creates the database named in the URL when it does not exist, connecting to the
 * server's `postgres` maintenance database. Fails with one clear line when the server is unreachable.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl);
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new ServiceUnavailableError(
      `PostgreSQL is not reachable at ${redactUrl(databaseUrl)} (${(err as Error).message}); start it (pg_ctlcluster 15 main start) or set DATABASE_URL`,
      err,
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } catch (err) {
        // Another process created it between our check and our CREATE: that is fine.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}
