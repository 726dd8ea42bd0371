import { sql, type SqlBool } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';
import { plannerEstimate } from './search-estimates.js';

// The counts an inbox shows beside its views: unassigned, waiting, mine, open.

/** Each count is exact up to this many cases; above, it is the planner's estimate (`Estimated: true`). */
export const EXACT_CASE_COUNT_LIMIT = 10_000;

/**
 * A status an agent waits in for the customer: one whose name starts with "Waiting", "Pending" or "On hold" (any
 * letter case), e.g. "Waiting on customer". The settings have no designation for it.
 */
const WAITING_NAME = /^(waiting|pending|on[\s-]?hold)\b/i;

export interface CaseCounts {
  Unassigned: number;
  Waiting: number;
  Mine: number;
  Open: number;
  /** True when at least one count is an estimate (more than EXACT_CASE_COUNT_LIMIT cases). */
  Estimated: boolean;
}

/**
 * The statuses the Waiting count covers: the statuses named like WAITING_NAME when the settings have one; else
 * every status whose level lies strictly between those of Status New and Status Closed (a case an agent has
 * started on and not yet closed: In Progress, Reopened and Resolved in the default settings).
 */
export function waitingStatuses(settings: CaseSettings): string[] {
  const named = settings.Statuses.filter((s) => WAITING_NAME.test(s.Name)).map((s) => s.Name);
  if (named.length) return named;
  const level = (name: string) => settings.Statuses.find((s) => s.Name === name)?.Level;
  const low = level(settings.StatusNew) ?? -Infinity;
  const high = level(settings.StatusClosed) ?? Infinity;
  return settings.Statuses.filter(
    (s) => s.Level > low && s.Level < high && s.Name !== settings.StatusNew && s.Name !== settings.StatusClosed,
  ).map((s) => s.Name);
}

/** Counts the cases `where` keeps (never deleted ones): the planner's estimate when it is above the limit, else exactly. */
async function countOf(
  db: DbOrTrx,
  where: ReturnType<typeof sql<SqlBool>>,
): Promise<{ n: number; estimated: boolean }> {
  const filtered = db.selectFrom('cases').where('deleted_at', 'is', null).where(where);
  const estimate = await plannerEstimate(db, filtered.select(sql`1`.as('one')).compile());
  if (estimate > EXACT_CASE_COUNT_LIMIT) return { n: estimate, estimated: true };
  const row = await db
    .selectFrom(
      filtered
        .select(sql`1`.as('one'))
        .limit(EXACT_CASE_COUNT_LIMIT + 1)
        .as('hits'),
    )
    .select(sql<string>`count(*)`.as('n'))
    .executeTakeFirst();
  const n = Number(row?.n ?? 0);
  return n <= EXACT_CASE_COUNT_LIMIT ? { n, estimated: false } : { n: estimate > n ? estimate : n, estimated: true };
}

/**
 * The inbox counts: Unassigned (open cases without an assignee), Waiting (cases in waitingStatuses), Mine (open
 * cases assigned to `userId`; 0 without one, for API keys) and Open (cases not in Status Closed). Deleted cases
 * never count.
 */
export async function caseCounts(
  db: DbOrTrx,
  userId: string | null,
  settingsCache?: CaseSettingsCache,
): Promise<CaseCounts> {
  const { settings } = await cachedCaseSettings(db, settingsCache);
  const open = sql<SqlBool>`status <> ${settings.StatusClosed}`;
  const waiting = waitingStatuses(settings);
  const none = { n: 0, estimated: false };
  // One after the other: on one connection each, they would take four of the web process's few.
  const unassigned = await countOf(db, sql<SqlBool>`assigned_to_user_id IS NULL AND ${open}`);
  const waitingCount = waiting.length
    ? await countOf(db, sql<SqlBool>`status = ANY(${sql.val(waiting)}::text[])`)
    : none;
  const mine = userId ? await countOf(db, sql<SqlBool>`assigned_to_user_id = ${userId} AND ${open}`) : none;
  const openCount = await countOf(db, open);
  return {
    Unassigned: unassigned.n,
    Waiting: waitingCount.n,
    Mine: mine.n,
    Open: openCount.n,
    Estimated: [unassigned, waitingCount, mine, openCount].some((c) => c.estimated),
  };
}
