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

/** Moves the sequence forward so the next case gets `next`. Never backwards: numbers are never reused. */
export async function setNextCaseNumber(db: DbOrTrx, next: number): Promise<void> {
  await sql`SELECT setval('case_number_seq', ${next}, false)`.execute(db);
}

export async function takeCaseNumber(db: DbOrTrx): Promise<number> {
  const r = await sql<{ n: string }>`SELECT nextval('case_number_seq') AS n`.execute(db);
  return Number(r.rows[0]!.n);
}
