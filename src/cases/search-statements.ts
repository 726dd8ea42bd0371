import { sql, type CompiledQuery } from 'kysely';
import { compilerDb, type DbOrTrx } from '../db/database.js';
import { queryTemplate, slot, type QueryTemplate } from '../db/query-template.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { CASE_JSON_COLUMNS, type CaseJsonRow } from './case.mapper.js';
import { applyFilters, applySort, filterQuery, type CaseQuery, type SearchFilters } from './search-filters.js';
import { casesOf, hitsFirst, idsFirst, walkIds, type SearchPlan } from './search-plans.js';
import {
  DEFAULT_SORT_ORDER,
  EXACT_COUNT_LIMIT,
  pageWindow,
  type CaseSearchRequest,
  type SortOrder,
} from './search-request.js';

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
  // An empty list keeps its shape (matches nothing, no value to bind).
  if (f.statuses) shape.statuses = f.statuses.length ? (slot('statuses') as unknown as string[]) : [];
  if (f.unassigned) shape.unassigned = true;
  if (f.priority) shape.priority = slot('priority');
  if (f.assignedToUserId) shape.assignedToUserId = slot('assignedToUserId');
  if (f.tags) shape.tags = slot('tags') as unknown as string[];
  if (f.customerId) shape.customerId = slot('customerId');
  if (f.orderId) shape.orderId = slot('orderId');
  if (f.caseType) shape.caseType = slot('caseType');
  if (f.lineState) shape.lineState = slot('lineState');
  if (f.dateFrom) shape.dateFrom = slot('dateFrom') as unknown as Date;
  if (f.dateTo) {
    shape.dateTo = slot('dateTo') as unknown as Date;
    shape.dateToExclusive = f.dateToExclusive;
  }
  if (f.changedFrom) shape.changedFrom = slot('changedFrom') as unknown as Date;
  if (f.changedTo) {
    shape.changedTo = slot('changedTo') as unknown as Date;
    shape.changedToExclusive = f.changedToExclusive;
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
