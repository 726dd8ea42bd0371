import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { compilerDb, type DbOrTrx } from '../db/database.js';
import { slot } from '../db/query-template.js';
import type { Database } from '../db/schema.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { CASE_JSON_COLUMNS, type CaseJsonRow } from './case.mapper.js';
import { newestMatches, RARE_PROBE_CASES, rareTerms, textEstimate } from './search-estimates.js';
import { applySort, type CaseQuery, type SearchFilters } from './search-filters.js';
import { sortKeys, type SortOrder } from './search-request.js';

/**
 * How the page is read. `ordered`: one query, and PostgreSQL picks (for text, it walks the sort's index and tests
 * each case until a page is full). `hits-first`: the cases that match are found first, through the filters'
 * indexes alone (a MATERIALIZED CTE is planned on its own, without the ORDER BY and LIMIT that tempt the
 * planner into the walk), then sorted: for text with a rare word (search-estimates.ts RARE_PROBE_CASES).
 * `ids-first`: the page's ids are found first (a statement with the ORDER BY, LIMIT and OFFSET that reads only ids
 * and sort keys, so PostgreSQL can answer it from an index alone: the queue-view indexes carry deleted_at and tags
 * for this), then only those cases are read (casesInOrder, in the same statement): for searches without text, whose
 * filters (Tags, a Status the index does not lead with) otherwise read and discard many cases per page. Text
 * needs the case's search vector, which no index carries, so it keeps the other plans.
 * `walk`: like ids-first, but the ids come from walking the narrow `case_search` table (id, created, deleted_at,
 * search_vector; kept in step with `cases` by triggers) in date order, testing each case's text until the page is
 * full: for text without a rare word, sorted by date, and no filter `case_search` does not carry, when the walk is
 * long enough to pay for looking the page's cases up again and sure to stop early (WALK_MIN_CASES, WALK_MIN_HITS).
 * Two words that rarely meet test thousands of cases per page; from `cases`, whose rows are wide and move on every
 * status change, that was about one table page per case, three times slower.
 * `capped-walk`: the walk, newest first, over at most the newest `cap` cases, for a text the planner calls rare but
 * that the probe of the newest cases found often enough (CAPPED_WALK_MIN_NEWEST_HITS) for a page to be likely within
 * them: a prefix of many different words the planner has no statistics for, `customer12`, whose 11,000 matches the
 * GIN index collected into a bitmap first (24-110 ms). When the page is not full there, searchCases reads it by
 * the hits-first plan after all (the `fallback`), so the answer never depends on the guess.
 */
export type SearchPlan = 'ordered' | 'hits-first' | 'ids-first' | 'walk' | 'capped-walk';

/**
 * The `walk` plan is taken when the planner's statistics promise at least this many times the hits the page needs
 * (offset + take; search-estimates.ts textEstimate): the walk then stops after about (offset + take) * cases / hits
 * cases, a few thousand at most. Below it, the `ordered` plan lets PostgreSQL choose, and it may take the GIN index. The walk's test is written as
 * ts_match_vq(), which PostgreSQL estimates at a third of the rows, so that it always walks (a seq scan of the
 * whole table and a sort is what it would pick for a text it thinks rare).
 */
export const WALK_MIN_HITS = 10;
/**
 * ... and when the walk is expected to test at least this many cases ((offset + take) * cases / estimated hits,
 * search-estimates.ts textEstimate): a shorter walk is as fast in `cases` itself, where the page's rows need no
 * second statement (a common word, `refund`: 0.26 ms of backend CPU that way, 0.32 ms through case_search).
 */
export const WALK_MIN_CASES = 500;

/**
 * The `capped-walk` plan (SearchPlan) needs the text found at least this many times among the newest
 * RARE_PROBE_CASES cases: fewer is what a single customer's recent mail looks like (an address with one or two
 * recent cases), whose other hits may be anywhere, and then the capped walk would only add its cost to the GIN path.
 */
export const CAPPED_WALK_MIN_NEWEST_HITS = 3;
/**
 * ... and walks at most this many cases: three times the walk the probe's density promises (offset + take hits at
 * k in RARE_PROBE_CASES), so a text that thins out after the newest cases costs at most a few milliseconds before
 * the hits-first plan reads the page instead. Where three times the promised walk is longer, hits-first is taken at once.
 */
export const CAPPED_WALK_MAX_CASES = 10_000;

/** The columns a sort order reads (its keys; a rank reads the status or the priority). */
function sortColumns(order: SortOrder): (keyof Database['cases'] & string)[] {
  const column = { status_level: 'status', priority_severity: 'priority' } as const;
  return sortKeys(order).map((k) =>
    k.key === 'status_level' || k.key === 'priority_severity' ? column[k.key] : k.key,
  );
}

/**
 * The `hits-first` plan's page (see SearchPlan): every hit with what its sort order reads, in a MATERIALIZED CTE,
 * then the page of it in that order, and the number of hits (the exact TotalHits) beside each case, or alone in a
 * row without a case when the page is empty.
 */
export function hitsFirst(hits: CaseQuery, order: SortOrder, settings: CaseSettings): PageQuery {
  const ids = applySort(compilerDb.selectFrom('hits' as 'cases').select('id'), order, settings)
    .limit(slot('take') as unknown as number)
    .offset(slot('offset') as unknown as number) as unknown as IdsQuery;
  // The count is a row of its own, joined to the page: a page past the end is then one row without a case,
  // which still tells the number of hits (readPage drops it).
  return compilerDb
    .with(
      (cte) => cte('hits').materialized(),
      () => hits.select(sortColumns(order)),
    )
    .selectFrom(sql<{ hit_count: string }>`(SELECT count(*) AS hit_count FROM hits)`.as('n'))
    .leftJoinLateral(casesInOrder(ids), (join) => join.onTrue())
    .select([...CASE_JSON_COLUMNS, 'hit_count']) as unknown as PageQuery;
}

type IdsQuery = SelectQueryBuilder<Database, 'cases' | 'case_search', { id: string }>;
type PageQuery = SelectQueryBuilder<Database, 'cases', CaseJsonRow>;

/** The `ids-first` plan's ids (see SearchPlan): the filters in the sort order, ids only. */
export function idsFirst(filtered: CaseQuery, order: SortOrder, settings: CaseSettings): IdsQuery {
  return applySort(filtered, order, settings)
    .select('id')
    .limit(slot('take') as unknown as number)
    .offset(slot('offset') as unknown as number);
}

/**
 * The cases of a page whose ids `ids` finds, in that order (every plan but `ordered`), in the same statement:
 * `intake_cases_in_order` (migration 20261201140000) reads them by primary key with a plan PL/pgSQL keeps per
 * connection, while a page statement is planned on every call for its values, and planning `cases`, with its many
 * indexes, again in the same statement would cost more than reading the page. (Before, the cases were a second
 * statement, `id = ANY($1)`: the second round trip cost the web process 0.1-0.28 ms of CPU per page.)
 * ARRAY(subquery) keeps the subquery's order.
 */
const casesInOrder = (ids: IdsQuery) => sql<Database['cases']>`intake_cases_in_order(ARRAY(${ids}))`.as('cases');

/** The page of an ids-first or walk plan: its ids, then their cases. */
export const casesOf = (ids: IdsQuery): PageQuery =>
  compilerDb.selectFrom(casesInOrder(ids)).select(CASE_JSON_COLUMNS) as unknown as PageQuery;

/** True when the filters and sort order of a words text allow the `walk` plan (SearchPlan): by date, nothing else but dates. */
function walkable(f: SearchFilters, order: SortOrder): boolean {
  return (
    (order === 'CreatedDescending' || order === 'CreatedAscending') &&
    !f.status &&
    !f.statuses &&
    !f.priority &&
    !f.assignedToUserId &&
    !f.unassigned &&
    !f.changedFrom &&
    !f.changedTo &&
    !f.tags &&
    !f.customerId &&
    !f.orderId &&
    !f.caseType &&
    !f.lineState
  );
}

/**
 * The `walk` plan's ids: case_search in the sort order, each case's text tested until the page is full; `capped`,
 * only among the first `cap` cases of that order that the other filters keep (the `capped-walk` plan).
 */
export function walkIds(f: SearchFilters, order: SortOrder, capped = false): IdsQuery {
  type Walk = SelectQueryBuilder<Database, 'case_search', object>;
  const inOrder = <Q extends Walk>(q: Q): Q =>
    sortKeys(order).reduce((w, k) => w.orderBy(sql`${sql.ref(k.key)} ${sql.raw(k.direction)}`) as Q, q);
  // The cases the other filters keep; a capped walk tests only the first `cap` of them in the sort order.
  let kept: Walk = compilerDb.selectFrom('case_search');
  if (!f.includeDeleted) kept = kept.where('deleted_at', 'is', null);
  if (f.dateFrom) kept = kept.where('created', '>=', f.dateFrom);
  if (f.dateTo) kept = kept.where('created', f.dateToExclusive ? '<' : '<=', f.dateTo);
  const walked: Walk = capped
    ? (compilerDb.selectFrom(
        inOrder(kept.select(['id', 'created', 'search_vector']))
          .limit(slot('cap') as unknown as number)
          .as('case_search'),
      ) as unknown as Walk)
    : kept;
  const tsquery = f.text?.kind === 'words' ? f.text.tsquery : '';
  // PostgreSQL plans this statement for its values on every call (a generic plan, with LIMIT unknown, costs far more),
  // so to_tsquery() is folded to a constant; as an InitPlan `(SELECT to_tsquery(…))` the walk was 15-30 % slower.
  const ids = walked.select('id').where(sql<SqlBool>`ts_match_vq(search_vector, to_tsquery('english', ${tsquery}))`);
  return inOrder(ids)
    .limit(slot('take') as unknown as number)
    .offset(slot('offset') as unknown as number) as unknown as IdsQuery;
}

/**
 * The plan for these filters: ids-first without text; for words and numbers hits-first when the text has a rare
 * word (and which words are rare; a capped walk first, with its cap, where the newest cases promise the page),
 * else walk where it pays (WALK_MIN_CASES) or ordered; ordered for the exact lookups (case number, email).
 */
export async function choosePlan(
  db: DbOrTrx,
  f: SearchFilters,
  order: SortOrder,
  wanted: number,
): Promise<{ plan: SearchPlan; rareTsquery?: string; cap?: number }> {
  const text = f.text;
  if (!text) return { plan: 'ids-first' };
  if (text.kind !== 'words' && text.kind !== 'number') return { plan: 'ordered' };
  const rare = await rareTerms(db, text.tsquery, {
    wanted,
    newestFirst: order === 'CreatedDescending' || order === 'ChangedDescending',
  });
  if (rare.length > 0 && text.kind === 'words') {
    const rareTsquery = rare.join(' & ');
    if (order === 'CreatedDescending' && walkable(f, order)) {
      // How often the whole text is among the newest cases: from the probe's cache, rareTerms has just asked.
      const [newest] = await newestMatches(db, [text.tsquery]);
      const cap = Math.ceil((3 * wanted * RARE_PROBE_CASES) / Math.max(newest!, 1));
      if (newest! >= CAPPED_WALK_MIN_NEWEST_HITS && cap <= CAPPED_WALK_MAX_CASES)
        return { plan: 'capped-walk', rareTsquery, cap };
    }
    return { plan: 'hits-first', rareTsquery };
  }
  if (rare.length > 0) return { plan: 'hits-first' };
  if (text.kind === 'words' && walkable(f, order)) {
    const { hits, cases } = await textEstimate(db, text.tsquery);
    if (hits >= WALK_MIN_HITS * wanted && (wanted * cases) / Math.max(hits, 1) >= WALK_MIN_CASES)
      return { plan: 'walk' };
  }
  return { plan: 'ordered' };
}
