import pg from 'pg';
import { useFastTypeParsers } from './type-parsers.js';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type Transaction,
} from 'kysely';
import type { Database } from './schema.js';
import { ServiceUnavailableError } from '../errors.js';
import { redactUrl } from '../logger.js';

export type Db = Kysely<Database>;
/** Repository functions take either the pool or a transaction: the caller decides the transaction. */
export type DbOrTrx = Kysely<Database> | Transaction<Database>;

// bigint (int8) stays a string: case numbers and ids can outgrow Number in theory, and we never do math on them.
export const DEFAULT_POOL_SIZE = 10;
/**
 * The web process's pool (DATABASE_POOL_SIZE overrides it). Each connection is a PostgreSQL backend that runs one
 * statement at a time; more connections than the database has cores to run them do not add throughput, they make
 * every statement share the cores, so a slow search (a two-word walk of 1.5 ms) takes ten times its CPU in wall time
 * and sets the tail. On the 2-core bench machine 4 connections gave search p99 51-56 ms where 10 gave 68-79, with
 * the same throughput (docs/search-and-bench.md); about twice the database's cores is the usual rule.
 */
export const DEFAULT_WEB_POOL_SIZE = 4;

/** At most this many SQL texts are prepared per database handle; later ones run unnamed (a guard against texts that vary). */
export const MAX_PREPARED_STATEMENTS = 50;

// Kysely sends every query unnamed, so PostgreSQL parses and plans it on every call; for the API's hottest
// statements that cost more than running them (GET by id: 0.69 ms unnamed, 0.20 ms prepared, measured with pgbench).
// A text that starts with this comment is sent as a named prepared statement instead (executePrepared, precompiled).
const PREPARE_MARK = '/* prepared */ ';

/**
 * The names of the SQL texts that one database handle's connections send prepared: each connection prepares a text
 * once, then only binds and executes it. Made by createDb with its pool; past `limit` texts a marked one runs unnamed.
 */
export class PreparedStatements {
  readonly #names = new Map<string, string>();

  constructor(readonly limit = MAX_PREPARED_STATEMENTS) {}

  /** The statement name of a text marked by executePrepared, or undefined: send it unnamed. */
  nameOf(text: string): string | undefined {
    if (!text.startsWith(PREPARE_MARK)) return undefined;
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < this.limit) {
      this.#names.set(text, (name = `intake_${this.#names.size + 1}`));
    }
    return name;
  }
}

/** A pg client class whose connections send the texts `statements` names as named statements. */
function preparingClient(statements: PreparedStatements): typeof pg.Client {
  return class PreparingClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      useFastTypeParsers(this);
      // The pool listens for errors of idle clients only. A checked-out client whose server goes away between two
      // queries (PostgreSQL restarted in the middle of a transaction) emits 'error' with no listener, which would
      // end the process; its next query fails instead, and the pool drops it when it is released.
      this.on('error', () => undefined);
    }

    // `never` is assignable to each of pg's overloads' results: the call is passed through as it came.
    override query(...args: unknown[]): never {
      const [text, values, callback] = args;
      const query = super.query as (...a: unknown[]) => never;
      const name = typeof text === 'string' && Array.isArray(values) ? statements.nameOf(text) : undefined;
      return name === undefined ? query.apply(this, args) : query.call(this, { name, text, values }, callback);
    }
  };
}

/** A Kysely that only compiles queries (it has no connection): for building prepared statements once. */
export const compilerDb: Db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/**
 * Executes a compiled query as a named prepared statement (on a handle made by createDb; elsewhere unnamed). For hot
 * statements whose text takes only a few shapes (the values are parameters), never with `SELECT *` / `RETURNING *`:
 * a prepared statement must not change its result columns under it.
 */
export async function executePrepared<R>(db: DbOrTrx, compiled: CompiledQuery<R>): Promise<R[]> {
  return (await db.executeQuery<R>({ ...compiled, sql: PREPARE_MARK + compiled.sql })).rows;
}

/**
 * The web process's statement timeout (DATABASE_STATEMENT_TIMEOUT_MS overrides it; 0 turns it off). An API request
 * whose statement runs longer is answered 503 (src/http/errors.ts) and PostgreSQL stops the statement, so one
 * runaway query (a sort over every case of a very large installation) cannot hold a connection of the pool's
 * four for minutes. Migrations run without it (runtime.ts).
 */
export const DEFAULT_WEB_STATEMENT_TIMEOUT_MS = 15_000;

/** PostgreSQL's error code for a statement it cancelled (statement_timeout, or pg_cancel_backend). */
export const QUERY_CANCELED = '57014';

export function createDb(databaseUrl: string, options: { poolSize?: number; statementTimeoutMs?: number } = {}): Db {
  const pool = new pg.Pool({
    Client: preparingClient(new PreparedStatements()),
    connectionString: databaseUrl,
    // Sent when each connection starts: PostgreSQL cancels any statement of the session that runs longer.
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener it crashes the process.
  // (A checked-out client has a listener of its own: preparingClient.)
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Node's socket errors of a server that is down or went away. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg's own messages for a lost or unobtainable connection (they carry no code). */
const CONNECTION_MESSAGES =
  /connection terminated|not queryable|timeout exceeded when trying to connect|connection (is )?closed|cannot use a pool after calling end/i;

/**
 * True when `err` says PostgreSQL cannot be reached right now (down, restarting, refusing connections), not that a
 * statement is wrong: class 08 (connection exception), 57P01-57P03 (shut down, crashed, starting up), 53300 (too
 * many connections), socket errors and pg's messages for a dropped connection. Work that fails this way is waited
 * for, not counted as a failed attempt.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ServiceUnavailableError) return true;
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code) || CONNECTION_ERRNOS.has(code))
      return true;
    if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return true;
    // AggregateError (a host with several addresses refused on each) and wrapped causes.
    const inner = (e as { errors?: unknown[] }).errors?.[0] ?? e.cause;
    e = inner as typeof e;
  }
  return false;
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
