import { executePrepared, type DbOrTrx } from '../db/database.js';
import { ValidationError } from '../errors.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';
import { caseToJson, type CaseJsonRow } from './case.mapper.js';
import { plannerEstimate } from './search-estimates.js';
import { checkFilters } from './search-filters.js';
import { choosePlan, type SearchPlan } from './search-plans.js';
import {
  DEFAULT_SORT_ORDER,
  EXACT_COUNT_LIMIT,
  pageWindow,
  SORT_ORDERS,
  type CaseSearchRequest,
  type CaseSearchResult,
} from './search-request.js';
import { searchStatements, type BoundSearch } from './search-statements.js';

/*
 * Case search: a request is checked (search-request.ts, search-filters.ts, where its types and limits live), given a
 * plan (search-plans.ts), bound to its statements (search-statements.ts) and run here.
 */

/**
 * TotalHits. The planner's row estimate comes first (planning only, well under a millisecond, and cached):
 * above EXACT_COUNT_LIMIT it is the answer. Otherwise an exact count of at most EXACT_COUNT_LIMIT + 1 rows (the
 * LIMIT lets PostgreSQL stop early); if that still finds more, the estimate was low and TotalHits is the
 * smallest number we know to be true.
 */
async function countHits(db: DbOrTrx, statements: BoundSearch): Promise<{ total: number; exact: boolean }> {
  const estimate = await plannerEstimate(db, statements.estimate);
  if (estimate > EXACT_COUNT_LIMIT) return { total: estimate, exact: false };
  const capped = (await db.executeQuery(statements.count)).rows[0];
  const n = Number(capped?.n ?? 0);
  return n <= EXACT_COUNT_LIMIT ? { total: n, exact: true } : { total: EXACT_COUNT_LIMIT + 1, exact: false };
}

/** The page of a planned search: readPage, and for a capped walk that did not fill it, readPage of its fallback. */
export async function readPlannedPage(
  db: DbOrTrx,
  planned: { take: number; statements: BoundSearch; fallback?: BoundSearch },
): Promise<{ rows: CaseJsonRow[]; hitCount?: number }> {
  const read = await readPage(db, planned.statements);
  return planned.fallback && read.rows.length < planned.take ? readPage(db, planned.fallback) : read;
}

/** The rows of a search page (one statement, whatever the plan) and, from a hits-first page, the number of hits (the exact TotalHits). */
export async function readPage(
  db: DbOrTrx,
  statements: BoundSearch,
): Promise<{ rows: CaseJsonRow[]; hitCount?: number }> {
  // Prepared (the text depends only on the shape): PostgreSQL still plans each call for its values until a generic
  // plan is as cheap, but parses and analyses the statement once per connection (0.05 ms of 0.2 for a common word).
  const rows = (await executePrepared(db, statements.page)) as (CaseJsonRow & { hit_count?: string })[];
  const counted = rows[0]?.hit_count;
  // A hits-first page past the end is one row with the count and no case.
  return { rows: rows[0]?.id === null ? [] : rows, hitCount: counted === undefined ? undefined : Number(counted) };
}

/**
 * What a search request will send: its checked page window, the settings it used, the plan chosen and the bound
 * statements (searchCases runs them; bench/explain-search.ts explains them). `settingsCache`: the app context's.
 */
export async function planSearch(
  db: DbOrTrx,
  request: CaseSearchRequest,
  settingsCache?: CaseSettingsCache,
): Promise<{
  page: number;
  take: number;
  settings: CaseSettings;
  plan: SearchPlan;
  statements: BoundSearch;
  fallback?: BoundSearch;
}> {
  const { page, take } = pageWindow(request.Page, request.Take);
  const order = request.SortOrder ?? DEFAULT_SORT_ORDER;
  if (!SORT_ORDERS.includes(order))
    throw new ValidationError(`Unknown SortOrder "${order}"; allowed: ${SORT_ORDERS.join(', ')}`);
  // Sort by status level or priority severity and the next suggested status: a copy up to a few seconds old is fine.
  const { settings } = await cachedCaseSettings(db, settingsCache);
  const checked = checkFilters(request, settings);
  const wanted = page * take + take;
  const { plan, rareTsquery, cap } = await choosePlan(db, checked, order, wanted);
  const filters = rareTsquery ? { ...checked, rareTsquery } : checked;
  const statements = searchStatements(filters, order, settings, page, take, plan, cap);
  // A capped walk that does not fill the page is read again by hits-first (SearchPlan).
  const fallback =
    plan === 'capped-walk' ? searchStatements(filters, order, settings, page, take, 'hits-first') : undefined;
  return { page, take, settings, plan, statements, ...(fallback ? { fallback } : {}) };
}

/**
 * Searches cases. Items are the case JSON without notes and status log (CaseNotes, InternalNotes and
 * CaseStatusLog are empty; CommentCount tells how many notes there are): GET /api/cases/{id} has them.
 */
export async function searchCases(
  db: DbOrTrx,
  request: CaseSearchRequest,
  settingsCache?: CaseSettingsCache,
): Promise<CaseSearchResult> {
  const planned = await planSearch(db, request, settingsCache);
  const { page, take, settings, statements } = planned;
  const { rows, hitCount } = await readPlannedPage(db, planned);
  const found = rows.length;
  // A partly filled page already tells the total (an empty first page too), and so does a hits-first page.
  const seen = page * take + found;
  const count =
    hitCount !== undefined
      ? { total: hitCount, exact: true }
      : found < take && (found > 0 || page === 0)
        ? { total: seen, exact: true }
        : await countHits(db, statements);
  // An estimate never claims fewer hits than the pages already shown.
  if (!count.exact) count.total = Math.max(count.total, seen);
  return {
    Items: rows.map((row) => caseToJson(row, settings)),
    TotalHits: count.total,
    TotalHitsExact: count.exact,
    Page: page,
    PageSize: take,
  };
}
