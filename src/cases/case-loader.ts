import DataLoader from 'dataloader';
import type { DbOrTrx } from '../db/database.js';
import { findCaseWithDetails, findCasesWithDetails, UUID, type CaseWithDetails } from './case.repository.js';

/**
 * Most ids in one statement. Under load a batch holds about as many ids as GETs arrived while the previous
 * statements ran (tens at 50 connections); the cap only bounds the statement and the response it builds.
 */
export const MAX_CASE_BATCH_SIZE = 100;

interface Loaders {
  live: DataLoader<string, CaseWithDetails | undefined>;
  anyState: DataLoader<string, CaseWithDetails | undefined>;
}

// Keyed by the pool's Kysely instance, like the settings cache: tests and tools may hold several databases.
const loaders = new WeakMap<object, Loaders>();

function newLoader(db: DbOrTrx, includeDeleted: boolean): DataLoader<string, CaseWithDetails | undefined> {
  return new DataLoader(
    async (ids) => {
      const found = await findCasesWithDetails(db, ids, { includeDeleted });
      return ids.map((id) => found.get(id));
    },
    {
      // Never a cache: each GET reads the case as it is when its statement runs, never an earlier request's copy.
      cache: false,
      maxBatchSize: MAX_CASE_BATCH_SIZE,
      // DataLoader's default dispatches after the current microtasks, which is within one request: every socket's
      // data is parsed in its own callback. setImmediate runs after the poll phase, so the GETs of every socket that
      // was readable in this turn of the event loop share one statement (and one round trip to PostgreSQL).
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    },
  );
}

/**
 * One case with its details, like findCaseWithDetails, but concurrent calls in the same turn of the event loop
 * are answered by ONE statement (`c.id = any($1)`). Each call still gets only its own case: a missing, deleted
 * (unless includeDeleted) or malformed id is undefined, and a malformed id never reaches PostgreSQL. Inside a
 * transaction it reads alone: the statement must run on the transaction's connection and see its changes.
 */
export function loadCaseWithDetails(
  db: DbOrTrx,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<CaseWithDetails | undefined> {
  if (!UUID.test(id)) return Promise.resolve(undefined);
  if (db.isTransaction) return findCaseWithDetails(db, id, options);
  let forDb = loaders.get(db);
  if (!forDb) loaders.set(db, (forDb = { live: newLoader(db, false), anyState: newLoader(db, true) }));
  // PostgreSQL prints uuids in lower case, and the batch's result is keyed by what it printed.
  return (options.includeDeleted ? forDb.anyState : forDb.live).load(id.toLowerCase());
}
