import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { DEFAULT_CASE_SETTINGS, type CaseSettings } from './case-settings.js';

export const CASE_SETTINGS_KEY = 'cases';

/** Reads the case settings; a missing or partial document is completed from the defaults. */
export async function getCaseSettings(db: DbOrTrx, options: { forUpdate?: boolean } = {}): Promise<CaseSettings> {
  let q = db.selectFrom('settings').select('value').where('key', '=', CASE_SETTINGS_KEY);
  if (options.forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  const stored = (row?.value ?? {}) as Partial<CaseSettings>;
  return {
    ...structuredClone(DEFAULT_CASE_SETTINGS),
    ...stored,
    Acknowledgement: { ...DEFAULT_CASE_SETTINGS.Acknowledgement, ...(stored.Acknowledgement ?? {}) },
  };
}

export async function saveCaseSettings(db: DbOrTrx, settings: CaseSettings): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: CASE_SETTINGS_KEY, value: JSON.stringify(settings) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(settings), changed: sql`now()` }))
    .execute();
}

/** The number the next case will get (the sequence's next value, without consuming it). */
export async function peekNextCaseNumber(db: DbOrTrx): Promise<number> {
  const r = await sql<{ last_value: string; is_called: boolean }>`SELECT last_value, is_called FROM case_number_seq`.execute(db);
  const row = r.rows[0]!;
  return Number(row.last_value) + (row.is_called ? 1 : 0);
}

/**
 * Moves the sequence so the next case gets `next`. Call inside a transaction: it takes the case-number lock
 * exclusively, so no case is being numbered while it reads and moves the sequence. Returns the number the
 * sequence was at, so the caller can refuse a move backwards (numbers are never reused).
 */
export async function setNextCaseNumber(db: DbOrTrx, next: number): Promise<{ previous: number }> {
  await sql`SELECT pg_advisory_xact_lock(${CASE_NUMBER_LOCK_KEY})`.execute(db);
  const previous = await peekNextCaseNumber(db);
  if (next > previous) await sql`SELECT setval('case_number_seq', ${next}, false)`.execute(db);
  return { previous };
}

/**
 * Sequences are not transactional, so moving NextNumber (peek, then setval) could race a nextval and hand out
 * a number twice. Creators hold this advisory lock shared (cheap, they never wait for each other); a
 * NextNumber change holds it exclusively for its transaction.
 */
export const CASE_NUMBER_LOCK_KEY = 7_301_001;

export async function takeCaseNumber(db: DbOrTrx): Promise<number> {
  const r = await sql<{ n: string }>`
    SELECT nextval('case_number_seq') AS n FROM (SELECT pg_advisory_xact_lock_shared(${CASE_NUMBER_LOCK_KEY})) AS l`.execute(db);
  return Number(r.rows[0]!.n);
}
