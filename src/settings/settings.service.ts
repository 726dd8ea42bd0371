import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { ConflictError } from '../errors.js';
import { DEFAULT_CASE_SETTINGS, validateCaseSettings, type CaseSettings } from './case-settings.js';
import type { CaseSettingsCache } from './settings-cache.js';
import {
  CASE_NUMBER_LOCK_KEY,
  CASE_SETTINGS_KEY,
  getCaseSettings,
  peekNextCaseNumber,
  saveCaseSettings,
  setNextCaseNumber,
} from './settings.repository.js';

/** The settings document as the API shows it: the stored settings plus the sequence's next number. */
export interface CaseSettingsJson extends CaseSettings {
  NextNumber: number;
}

export interface CaseSettingsInput extends Omit<CaseSettings, 'OrderCases'> {
  /** Omit to keep the stored order-case lists. */
  OrderCases?: CaseSettings['OrderCases'];
  /** Omit to keep the sequence where it is; only forward moves are accepted. */
  NextNumber?: number;
}

export async function getCaseSettingsJson(db: DbOrTrx): Promise<CaseSettingsJson> {
  const [settings, next] = await Promise.all([getCaseSettings(db), peekNextCaseNumber(db)]);
  return { ...settings, NextNumber: next };
}

const removed = (before: readonly string[], after: readonly string[]) => before.filter((n) => !after.includes(n));
const plural = (n: number) => `${n} case${n === 1 ? '' : 's'}`;

/** Counts live (non-deleted) cases per value of `column` among `values`. */
async function countInUse(db: DbOrTrx, column: 'status' | 'priority', values: string[]): Promise<Map<string, number>> {
  if (values.length === 0) return new Map();
  const rows = await db
    .selectFrom('cases')
    .select([column, (eb) => eb.fn.countAll<string>().as('n')])
    .where(column, 'in', values)
    .where('deleted_at', 'is', null)
    .groupBy(column)
    .execute();
  return new Map(rows.map((r) => [(r as Record<string, string>)[column]!, Number(r.n)]));
}

async function countTagsInUse(db: DbOrTrx, tags: string[]): Promise<Map<string, number>> {
  if (tags.length === 0) return new Map();
  const r = await sql<{ tag: string; n: string }>`
    SELECT t AS tag, count(*) AS n
    FROM cases, unnest(tags) AS t
    WHERE deleted_at IS NULL AND tags && ${tags}::text[] AND t = ANY(${tags}::text[])
    GROUP BY t`.execute(db);
  return new Map(r.rows.map((row) => [row.tag, Number(row.n)]));
}

/**
 * Replaces the case settings. Refused (409, naming the count) when it would orphan live cases: removing a
 * status, priority or tag that a non-deleted case still uses. NextNumber may only move forward. `cache`: the
 * caller's copy of the settings (its app context's), dropped after the commit so its next read sees the change.
 */
export async function updateCaseSettings(
  db: DbOrTrx,
  input: CaseSettingsInput,
  cache?: CaseSettingsCache,
): Promise<CaseSettingsJson> {
  try {
    return await inTransaction(db, (trx) => replaceCaseSettings(trx, input));
  } finally {
    // After the commit (or the rollback): a copy read while the transaction ran may be the old document.
    cache?.invalidate();
  }
}

async function replaceCaseSettings(trx: DbOrTrx, input: CaseSettingsInput): Promise<CaseSettingsJson> {
  // Creators hold this lock shared until they commit (takeCaseNumber) and check before inserting that the
  // settings they validated against are still the stored ones (createCase). Holding it exclusively
  // makes the orphan check below see every case created with the old settings, and no case can be
  // created with them after this commits.
  await sql`SELECT pg_advisory_xact_lock(${CASE_NUMBER_LOCK_KEY})`.execute(trx);
  // Make sure the row exists, then lock it: two concurrent changes must not both pass the orphan check.
  await trx
    .insertInto('settings')
    .values({ key: CASE_SETTINGS_KEY, value: JSON.stringify(DEFAULT_CASE_SETTINGS) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const current = await getCaseSettings(trx, { forUpdate: true });
  const { NextNumber, ...rest } = input;
  const next: CaseSettings = {
    ...rest,
    Statuses: rest.Statuses.map((s) => ({ Name: s.Name.trim(), Level: s.Level })),
    Priorities: rest.Priorities.map((p) => ({ Name: p.Name.trim(), Severity: p.Severity })),
    Tags: rest.Tags.map((t) => t.trim()),
    Sources: rest.Sources.map((t) => t.trim()),
    Acknowledgement: { ...rest.Acknowledgement },
    OrderCases: rest.OrderCases
      ? {
          ...rest.OrderCases,
          Services: rest.OrderCases.Services.map((t) => t.trim()),
          RequestReasonCodes: rest.OrderCases.RequestReasonCodes.map((t) => t.trim()),
          ResolutionCodes: rest.OrderCases.ResolutionCodes.map((t) => t.trim()),
        }
      : current.OrderCases,
  };
  validateCaseSettings(next);

  const problems: string[] = [];
  const inUse: Record<string, Record<string, number>> = {};
  const check = (kind: string, counts: Map<string, number>) => {
    for (const [name, n] of counts) {
      problems.push(`${kind} "${name}" is still used by ${plural(n)}`);
      (inUse[kind] ??= {})[name] = n;
    }
  };
  const names = (l: { Name: string }[]) => l.map((x) => x.Name);
  check('status', await countInUse(trx, 'status', removed(names(current.Statuses), names(next.Statuses))));
  check('priority', await countInUse(trx, 'priority', removed(names(current.Priorities), names(next.Priorities))));
  check('tag', await countTagsInUse(trx, removed(current.Tags, next.Tags)));
  if (problems.length) {
    throw new ConflictError(
      `These settings would orphan existing cases: ${problems.join('; ')}. Move those cases first.`,
      { inUse },
    );
  }

  await saveCaseSettings(trx, next);
  // Last, because the sequence is not transactional: nothing after this may fail and roll back.
  if (NextNumber !== undefined) {
    const { previous } = await setNextCaseNumber(trx, NextNumber);
    if (NextNumber < previous) {
      throw new ConflictError(
        `NextNumber ${NextNumber} is below the next case number ${previous}: case numbers are never reused`,
        {
          nextNumber: previous,
        },
      );
    }
  }
  return { ...next, NextNumber: await peekNextCaseNumber(trx) };
}
