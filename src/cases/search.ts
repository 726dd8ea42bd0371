import { CompiledQuery, sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { compilerDb, executePrepared, type DbOrTrx } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { DATE_RANGE_TEXT, parseIsoDate, parseIsoDateTime } from '../iso-date.js';
import {
  assertPriority,
  assertStatus,
  assertTags,
  NUMBER_PREFIX_PATTERN,
  type CaseSettings,
} from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';
import { caseToJson, type CaseJsonRow } from './case.mapper.js';
import { CASE_JSON_COLUMNS, UUID } from './case.repository.js';
import { queryTemplate, slot, type QueryTemplate } from '../db/query-template.js';
import { newestMatches, plannerEstimate, RARE_PROBE_CASES, rareTerms, textEstimate } from './search-estimates.js';
export {
  ESTIMATE_CACHE_SIZE,
  ESTIMATE_CACHE_TTL_MS,
  RARE_PROBE_CASES,
  RARE_WORD_ESTIMATE,
} from './search-estimates.js';
import type { CaseJson } from './case.types.js';

export const SORT_ORDERS = [
  'CreatedAscending',
  'CreatedDescending',
  'ChangedAscending',
  'ChangedDescending',
  'StatusAscending',
  'StatusDescending',
  'PriorityAscending',
  'PriorityDescending',
  'SubjectAscending',
  'SubjectDescending',
  'CustomerNameAscending',
  'CustomerNameDescending',
  'AssignedToNameAscending',
  'AssignedToNameDescending',
  'FollowUpDateAscending',
  'FollowUpDateDescending',
] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** Newest first unless the client asks otherwise. */
export const DEFAULT_SORT_ORDER: SortOrder = 'CreatedDescending';
/** Items per page when `Take` is not given. */
export const DEFAULT_SEARCH_TAKE = 20;
/** Largest `Take`; more is a 400. */
export const MAX_SEARCH_TAKE = 100;
/**
 * TotalHits is counted exactly up to this many hits; above it, it is the planner's estimate and
 * `TotalHitsExact` is false. Counting every one of 300,000 matches of a common word means
 * visiting 300,000 scattered rows on every page request; counting to 1,000 and estimating the rest does not.
 */
export const EXACT_COUNT_LIMIT = 1_000;
/**
 * Hits are reachable up to this depth ((Page + 1) * Take at most this), like Elasticsearch's result window:
 * an OFFSET of hundreds of thousands re-reads all the skipped rows on every request.
 */
export const MAX_RESULT_WINDOW = 10_000;
/** Words of the free text used in the query; the rest is ignored. */
export const MAX_SEARCH_WORDS = 16;
/** Longer words are cut to this length, which keeps them a prefix of the word that was meant. */
export const MAX_SEARCH_WORD_LENGTH = 64;

/** The search request, in the API's shape. Absent and null fields do not filter. */
export interface CaseSearchRequest {
  SearchText?: string | null;
  Status?: string | null;
  Priority?: string | null;
  AssignedToUserId?: string | null;
  Tags?: string[] | null;
  CustomerId?: string | null;
  OrderId?: string | null;
  DateFrom?: string | null;
  DateTo?: string | null;
  SortOrder?: SortOrder | null;
  Page?: number | null;
  Take?: number | null;
  IncludeDeleted?: boolean | null;
}

export interface CaseSearchResult {
  Items: CaseJson[];
  TotalHits: number;
  /** False when TotalHits is an estimate (more than EXACT_COUNT_LIMIT hits). */
  TotalHitsExact: boolean;
  Page: number;
  PageSize: number;
}

/** How free text is matched: one exact lookup, or words as prefixes of stemmed lexemes. */
export type TextMatch =
  | { kind: 'caseNumber'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'words'; tsquery: string }
  /** Digits alone: the case with that number (CS-1042 for "1042", whatever its prefix), or the digits as a word. */
  | { kind: 'number'; number: string; tsquery: string }
  /** Text was given but holds nothing searchable (only punctuation): matches no case. */
  | { kind: 'nothing' };

const CASE_NUMBER = new RegExp(`^${NUMBER_PREFIX_PATTERN.source.slice(1, -1)}\\d+$`);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Up to 15 digits: a bigint for sure. */
const BARE_NUMBER = /^\d{1,15}$/;

/**
 * Reads the free text. A case number or an email address alone is an exact lookup (indexed on
 * upper(case_number) and lower(customer_email)). Anything else becomes words of letters and digits only,
 * so the tsquery we build can never contain an operator from the user (no raw text reaches to_tsquery).
 * Each word of two or more characters matches as a prefix (`parc` finds parcel); one-letter words match whole.
 * Digits alone are what an agent types for a case number, and also a word (an order number in a subject):
 * they find both.
 */
export function interpretSearchText(text: string | null | undefined): TextMatch | undefined {
  const trimmed = (text ?? '').trim();
  if (!trimmed) return undefined;
  if (CASE_NUMBER.test(trimmed)) return { kind: 'caseNumber', value: trimmed.toUpperCase() };
  if (trimmed.length <= 320 && EMAIL.test(trimmed)) return { kind: 'email', value: trimmed.toLowerCase() };
  if (BARE_NUMBER.test(trimmed))
    return { kind: 'number', number: String(BigInt(trimmed)), tsquery: trimmed.length > 1 ? `${trimmed}:*` : trimmed };
  const words = (trimmed.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [])
    .slice(0, MAX_SEARCH_WORDS)
    .map((w) => w.slice(0, MAX_SEARCH_WORD_LENGTH).toLowerCase());
  if (words.length === 0) return { kind: 'nothing' };
  return { kind: 'words', tsquery: [...new Set(words)].map((w) => (w.length > 1 ? `${w}:*` : w)).join(' & ') };
}

export interface SortKey {
  /** A column, or the settings-derived ranks `status_level` and `priority_severity`. */
  key:
    | 'created'
    | 'changed'
    | 'status_level'
    | 'priority_severity'
    | 'subject'
    | 'customer_name'
    | 'assigned_to_name'
    | 'follow_up_date'
    | 'id';
  direction: 'asc' | 'desc';
  /** Cases without a value sort last in both directions. */
  nullsLast: boolean;
}

const SORT_KEYS: Record<string, SortKey['key']> = {
  Created: 'created',
  Changed: 'changed',
  Status: 'status_level',
  Priority: 'priority_severity',
  Subject: 'subject',
  CustomerName: 'customer_name',
  AssignedToName: 'assigned_to_name',
  FollowUpDate: 'follow_up_date',
};
const NULLABLE = new Set<SortKey['key']>([
  'status_level',
  'priority_severity',
  'customer_name',
  'assigned_to_name',
  'follow_up_date',
]);

/** The ORDER BY of a sort order: its key, then the case id in the same direction as a stable tiebreak. */
export function sortKeys(order: SortOrder): SortKey[] {
  const m = /^(\w+?)(Ascending|Descending)$/.exec(order);
  const key = m ? SORT_KEYS[m[1]!] : undefined;
  if (!m || !key) throw new ValidationError(`Unknown SortOrder "${order}"; allowed: ${SORT_ORDERS.join(', ')}`);
  const direction = m[2] === 'Ascending' ? 'asc' : 'desc';
  return [
    { key, direction, nullsLast: NULLABLE.has(key) },
    { key: 'id', direction, nullsLast: false },
  ];
}

/** Page and Take checked against the limits; a 400 explains which one is off. */
export function pageWindow(
  page: number | null | undefined,
  take: number | null | undefined,
): { page: number; take: number } {
  const p = page ?? 0;
  const t = take ?? DEFAULT_SEARCH_TAKE;
  if (!Number.isInteger(p) || p < 0)
    throw new ValidationError(`Page must be a whole number from 0 (zero-based); got ${p}`);
  if (!Number.isInteger(t) || t < 1 || t > MAX_SEARCH_TAKE)
    throw new ValidationError(`Take must be from 1 to ${MAX_SEARCH_TAKE}; got ${t}`);
  if ((p + 1) * t > MAX_RESULT_WINDOW) {
    throw new ValidationError(
      `Results are reachable up to the ${MAX_RESULT_WINDOW.toLocaleString('en')}th hit ((Page + 1) * Take); narrow the search or change SortOrder`,
    );
  }
  return { page: p, take: t };
}

/** A date-time without a time zone (`2026-01-31T09:00`), read as UTC. */
const ZONELESS_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

function parseDate(field: string, value: string, endOfDay: boolean): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  // ISO 8601 only: `new Date()` would also take "1" (2001) or "May 1" and read a time without a zone in the
  // server's local time. Both parsers also refuse instants outside years 0001-9999, some of which PostgreSQL would
  // refuse and others take.
  const d = dateOnly ? parseIsoDate(value) : parseIsoDateTime(ZONELESS_DATE_TIME.test(value) ? `${value}Z` : value);
  if (!d) {
    throw new ValidationError(
      `${field} is not a valid date: "${value}"; send ISO 8601 (2026-01-31 or 2026-01-31T09:00:00Z), ${DATE_RANGE_TEXT}`,
    );
  }
  // A date without a time in DateTo means the whole day (UTC).
  if (dateOnly && endOfDay) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

type CaseQuery = SelectQueryBuilder<Database, 'cases', object>;

function rankExpression(key: 'status_level' | 'priority_severity', settings: CaseSettings): Expression<number | null> {
  const pairs =
    key === 'status_level'
      ? settings.Statuses.map((s) => [s.Name, s.Level] as const)
      : settings.Priorities.map((p) => [p.Name, p.Severity] as const);
  const column = key === 'status_level' ? sql.ref('status') : sql.ref('priority');
  // Ranks come from the settings, so they cannot be an index; a status no longer configured ranks null (last).
  return sql<number | null>`(CASE ${column} ${sql.join(
    pairs.map(([name, rank]) => sql`WHEN ${name} THEN ${sql.lit(rank)}`),
    sql` `,
  )} END)`;
}

/** The filters of a search request, checked and in the form the query binds them. Absent ones do not filter. */
export interface SearchFilters {
  includeDeleted: boolean;
  text?: TextMatch;
  status?: string;
  priority?: string;
  assignedToUserId?: string;
  tags?: readonly string[];
  customerId?: string;
  orderId?: string;
  dateFrom?: Date;
  dateTo?: Date;
  /** DateTo was a date alone: cases before the next midnight (UTC), not at or before an instant. */
  dateToExclusive?: boolean;
  /**
   * The rare words of a words text (search-estimates.ts), as a tsquery: the only part that a hits-first page asks
   * the GIN index for. A common word next to a rare one would make the index read every case that has it.
   */
  rareTsquery?: string;
}

/** Checks every filter of a request (unknown status, priority or tag is a 400). */
export function checkFilters(request: CaseSearchRequest, settings: CaseSettings): SearchFilters {
  const f: SearchFilters = { includeDeleted: !!request.IncludeDeleted };
  const text = interpretSearchText(request.SearchText);
  if (text) f.text = text;
  if (request.Status) {
    assertStatus(settings, request.Status);
    f.status = request.Status;
  }
  if (request.Priority) {
    assertPriority(settings, request.Priority);
    f.priority = request.Priority;
  }
  if (request.AssignedToUserId) f.assignedToUserId = request.AssignedToUserId;
  if (request.Tags?.length) {
    assertTags(settings, request.Tags);
    f.tags = request.Tags;
  }
  if (request.CustomerId) {
    if (!UUID.test(request.CustomerId))
      throw new ValidationError(`CustomerId must be a customer's Id (a uuid); got "${request.CustomerId}"`);
    f.customerId = request.CustomerId;
  }
  if (request.OrderId) f.orderId = request.OrderId;
  if (request.DateFrom) f.dateFrom = parseDate('DateFrom', request.DateFrom, false);
  if (request.DateTo) {
    f.dateToExclusive = /^\d{4}-\d{2}-\d{2}$/.test(request.DateTo);
    f.dateTo = parseDate('DateTo', request.DateTo, true);
  }
  return f;
}

/** The WHERE of checked filters. */
function filterQuery(q: CaseQuery, f: SearchFilters): CaseQuery {
  if (!f.includeDeleted) q = q.where('deleted_at', 'is', null);
  const text = f.text;
  if (text?.kind === 'caseNumber') q = q.where(sql`upper(case_number)`, '=', text.value);
  else if (text?.kind === 'email') q = q.where(sql`lower(customer_email)`, '=', text.value);
  else if (text?.kind === 'words' && f.rareTsquery) {
    // IS TRUE keeps the whole text out of the index condition: it is tested on the rare words' few hits.
    q = q.where(
      sql<SqlBool>`search_vector @@ to_tsquery('english', ${f.rareTsquery}) AND (search_vector @@ to_tsquery('english', ${text.tsquery})) IS TRUE`,
    );
  } else if (text?.kind === 'words') q = q.where(sql<SqlBool>`search_vector @@ to_tsquery('english', ${text.tsquery})`);
  else if (text?.kind === 'number') {
    q = q.where(
      sql<SqlBool>`(number = ${text.number}::bigint OR search_vector @@ to_tsquery('english', ${text.tsquery}))`,
    );
  } else if (text?.kind === 'nothing') q = q.where(sql<SqlBool>`false`);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.priority) q = q.where('priority', '=', f.priority);
  if (f.assignedToUserId) q = q.where('assigned_to_user_id', '=', f.assignedToUserId);
  if (f.tags) q = q.where(sql<SqlBool>`tags @> ${sql.val(f.tags)}::text[]`);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.orderId) q = q.where(sql<SqlBool>`related_orders @> ARRAY[${f.orderId}]::text[]`);
  if (f.dateFrom) q = q.where('created', '>=', f.dateFrom);
  if (f.dateTo) q = q.where('created', f.dateToExclusive ? '<' : '<=', f.dateTo);
  return q;
}

/** The WHERE of a search; validates every value first (unknown status, priority or tag is a 400). */
export function applyFilters(q: CaseQuery, request: CaseSearchRequest, settings: CaseSettings): CaseQuery {
  return filterQuery(q, checkFilters(request, settings));
}

function applySort(q: CaseQuery, order: SortOrder, settings: CaseSettings): CaseQuery {
  for (const k of sortKeys(order)) {
    const target =
      k.key === 'status_level' || k.key === 'priority_severity' ? rankExpression(k.key, settings) : sql.ref(k.key);
    q = q.orderBy(sql`${target} ${sql.raw(k.direction)}${sql.raw(k.nullsLast ? ' NULLS LAST' : '')}`);
  }
  return q;
}

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

/** The page query of a search, and its WHERE alone (for counting). Exported for bench/explain-search.ts. */
export function buildSearchQuery(db: DbOrTrx, request: CaseSearchRequest, settings: CaseSettings) {
  const { page, take } = pageWindow(request.Page, request.Take);
  const filtered = applyFilters(db.selectFrom('cases'), request, settings);
  const pageQuery = applySort(filtered, request.SortOrder ?? DEFAULT_SORT_ORDER, settings)
    .select(CASE_JSON_COLUMNS)
    .limit(take)
    .offset(page * take);
  return { filtered, pageQuery, countQuery: cappedCountQuery(db, filtered) };
}

const cappedCountQuery = (db: DbOrTrx, filtered: CaseQuery) =>
  db
    .selectFrom(
      filtered
        .select(sql`1`.as('one'))
        .limit(EXACT_COUNT_LIMIT + 1)
        .as('hits'),
    )
    .select(sql<string>`count(*)`.as('n'));

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
function hitsFirst(hits: CaseQuery, order: SortOrder, settings: CaseSettings): PageQuery {
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
function idsFirst(filtered: CaseQuery, order: SortOrder, settings: CaseSettings): IdsQuery {
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
const casesOf = (ids: IdsQuery): PageQuery =>
  compilerDb.selectFrom(casesInOrder(ids)).select(CASE_JSON_COLUMNS) as unknown as PageQuery;

/** True when the filters and sort order of a words text allow the `walk` plan (SearchPlan): by date, nothing else but dates. */
function walkable(f: SearchFilters, order: SortOrder): boolean {
  return (
    (order === 'CreatedDescending' || order === 'CreatedAscending') &&
    !f.status &&
    !f.priority &&
    !f.assignedToUserId &&
    !f.tags &&
    !f.customerId &&
    !f.orderId
  );
}

/**
 * The `walk` plan's ids: case_search in the sort order, each case's text tested until the page is full; `capped`,
 * only among the first `cap` cases of that order that the other filters keep (the `capped-walk` plan).
 */
function walkIds(f: SearchFilters, order: SortOrder, capped = false): IdsQuery {
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
async function choosePlan(
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

/** Most query shapes kept per settings version; the oldest is dropped first. */
export const SEARCH_SHAPE_CACHE_SIZE = 500;

interface SearchTemplates {
  page: QueryTemplate<CaseJsonRow>;
  estimate: QueryTemplate<unknown>;
  count: QueryTemplate<{ n: string }>;
}
export interface BoundSearch {
  page: CompiledQuery<CaseJsonRow>;
  estimate: CompiledQuery<unknown>;
  count: CompiledQuery<{ n: string }>;
}

// Keyed by the (shared, frozen) settings object: the Status and Priority sorts write its ranks into the SQL.
const templateCaches = new WeakMap<CaseSettings, Map<string, SearchTemplates>>();

/** The filters with every value replaced by its slot: what decides the SQL text. Casts: see slot(). */
function shapeOf(f: SearchFilters): SearchFilters {
  const shape: SearchFilters = { includeDeleted: f.includeDeleted };
  if (f.text?.kind === 'words') shape.text = { kind: 'words', tsquery: slot('text') };
  else if (f.text?.kind === 'number') shape.text = { kind: 'number', number: slot('number'), tsquery: slot('text') };
  else if (f.text?.kind === 'caseNumber' || f.text?.kind === 'email')
    shape.text = { kind: f.text.kind, value: slot('text') };
  else if (f.text) shape.text = f.text;
  if (f.status) shape.status = slot('status');
  if (f.priority) shape.priority = slot('priority');
  if (f.assignedToUserId) shape.assignedToUserId = slot('assignedToUserId');
  if (f.tags) shape.tags = slot('tags') as unknown as string[];
  if (f.customerId) shape.customerId = slot('customerId');
  if (f.orderId) shape.orderId = slot('orderId');
  if (f.dateFrom) shape.dateFrom = slot('dateFrom') as unknown as Date;
  if (f.dateTo) {
    shape.dateTo = slot('dateTo') as unknown as Date;
    shape.dateToExclusive = f.dateToExclusive;
  }
  return shape;
}

/**
 * The page, estimate and capped count statements of a search, compiled once per shape (which filters are
 * given, the text kind, the sort order) and bound to this request's values: building and compiling them with
 * kysely on every request was 7 % of the server's profile under search load.
 */
export function searchStatements(
  f: SearchFilters,
  order: SortOrder,
  settings: CaseSettings,
  page: number,
  take: number,
  plan: SearchPlan = 'ordered',
  cap?: number,
): BoundSearch {
  const shape = shapeOf(f);
  const key = `${order}\u0000${plan}\u0000${f.rareTsquery ? 'rare' : ''}\u0000${JSON.stringify(shape)}`;
  let cache = templateCaches.get(settings);
  if (!cache) templateCaches.set(settings, (cache = new Map()));
  let templates = cache.get(key);
  if (!templates) {
    // Compiled without the caller's handle (and its plugins): the SQL text is the same for every database.
    const filtered = filterQuery(compilerDb.selectFrom('cases'), shape);
    // TotalHits' statements keep the plain filter; only the hits of a hits-first page come from the rare words.
    const hits = f.rareTsquery
      ? filterQuery(compilerDb.selectFrom('cases'), { ...shape, rareTsquery: slot('rareText') })
      : filtered;
    const pageQuery =
      plan === 'walk' || plan === 'capped-walk'
        ? casesOf(walkIds(shape, order, plan === 'capped-walk'))
        : plan === 'ids-first'
          ? casesOf(idsFirst(filtered, order, settings))
          : plan === 'hits-first'
            ? hitsFirst(hits, order, settings)
            : selectPage(applySort(filtered, order, settings));
    templates = {
      page: queryTemplate(pageQuery),
      estimate: queryTemplate(filtered.select(sql`1`.as('one'))),
      count: queryTemplate(cappedCountQuery(compilerDb, filtered)),
    };
    if (cache.size >= SEARCH_SHAPE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, templates);
  }
  const text =
    f.text?.kind === 'words' || f.text?.kind === 'number'
      ? f.text.tsquery
      : f.text?.kind === 'caseNumber' || f.text?.kind === 'email'
        ? f.text.value
        : undefined;
  const values = {
    ...f,
    text,
    number: f.text?.kind === 'number' ? f.text.number : undefined,
    rareText: f.rareTsquery,
    take,
    offset: page * take,
    cap,
  };
  return { page: templates.page(values), estimate: templates.estimate(values), count: templates.count(values) };
}

const selectPage = (q: CaseQuery) =>
  q
    .select(CASE_JSON_COLUMNS)
    .limit(slot('take') as unknown as number)
    .offset(slot('offset') as unknown as number);

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
