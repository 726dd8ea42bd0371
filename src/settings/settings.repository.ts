import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { DEFAULT_CASE_SETTINGS, type CaseSettings } from './case-settings.js';

export const CASE_SETTINGS_KEY = 'cases';

/** The case settings and the version of the stored row (null when none is stored yet). */
export interface VersionedCaseSettings {
  settings: CaseSettings;
  /**
   * The row's `changed` timestamp as PostgreSQL prints it (microseconds, unlike a JS Date): every save
   * sets it to its transaction's start time, so a different version means someone saved since.
   */
  version: string | null;
}

/** Reads the case settings with their version; a missing or partial document is completed from the defaults. */
export async function readCaseSettings(db: DbOrTrx, options: SettingsLockOptions = {}): Promise<VersionedCaseSettings> {
  let q = db
    .selectFrom('settings')
    .select(['value', sql<string>`changed::text`.as('version')])
    .where('key', '=', CASE_SETTINGS_KEY);
  if (options.forUpdate) q = q.forUpdate();
  else if (options.forShare) q = q.forShare();
  const row = await q.executeTakeFirst();
  const stored = (row?.value ?? {}) as Partial<CaseSettings>;
  const settings = {
    ...structuredClone(DEFAULT_CASE_SETTINGS),
    ...stored,
    Acknowledgement: { ...DEFAULT_CASE_SETTINGS.Acknowledgement, ...(stored.Acknowledgement ?? {}) },
    OrderCases: { ...structuredClone(DEFAULT_CASE_SETTINGS.OrderCases), ...(stored.OrderCases ?? {}) },
  };
  return { settings, version: row?.version ?? null };
}

export interface SettingsLockOptions {
  /** Lock the settings row for a settings change (the PUT): readers that share-lock it wait for the commit. */
  forUpdate?: boolean;
  /**
   * Share-lock the settings row for the rest of the transaction: a case update validated against these
   * settings then cannot interleave with a settings change that removes the status or tag it writes
   * (the change waits for this transaction, and its orphan check then sees what was written).
   */
  forShare?: boolean;
}

/** Reads the case settings; a missing or partial document is completed from the defaults. */
export async function getCaseSettings(db: DbOrTrx, options: SettingsLockOptions = {}): Promise<CaseSettings> {
  return (await readCaseSettings(db, options)).settings;
}

/**
 * Stores the case settings. Caches of them (settings-cache.ts) are the writer's to drop: updateCaseSettings
 * invalidates the one it is given after its commit; a save without that is seen like another process's.
 */
export async function saveCaseSettings(db: DbOrTrx, settings: CaseSettings): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: CASE_SETTINGS_KEY, value: JSON.stringify(settings) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(settings), changed: sql`now()` }))
    .execute();
}

/** The number the next case will get (the sequence's next value, without consuming it). */
export async function peekNextCaseNumber(db: DbOrTrx): Promise<number> {
  const r = await sql<{
    last_value: string;
    is_called: boolean;
  }>`SELECT last_value, is_called FROM case_number_seq`.execute(db);
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

/** Takes the case-number lock shared for the rest of the transaction (re-entrant; takeCaseNumber takes it too). */
export async function lockCaseNumbersShared(db: DbOrTrx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(${CASE_NUMBER_LOCK_KEY})`.execute(db);
}

export async function takeCaseNumber(db: DbOrTrx): Promise<number> {
  const r = await sql<{ n: string }>`
    SELECT nextval('case_number_seq') AS n FROM (SELECT pg_advisory_xact_lock_shared(${CASE_NUMBER_LOCK_KEY})) AS l`.execute(
    db,
  );
  return Number(r.rows[0]!.n);
}
