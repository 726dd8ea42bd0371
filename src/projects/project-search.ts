import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { PROJECT_COLUMNS, projectToSummaryJson, type ProjectRow } from './project.mapper.js';
import { parseId } from './project-types.js';
import type { ProjectSummaryJson } from './project.types.js';

/** The 18 sort orders of the reference API: nine keys, each ascending or descending. */
export const PROJECT_SORT_KEYS = [
  'Created',
  'Modified',
  'ProjectTypeName',
  'Customer',
  'Partner',
  'ProjectDeadline',
  'ProjectValue',
  'ProjectStoreContact',
  'ProjectCurrentWorkflowStep',
] as const;
export const PROJECT_SORT_ORDERS = PROJECT_SORT_KEYS.flatMap((k) => [`${k}Ascending`, `${k}Descending`] as const);
export type ProjectSortOrder = (typeof PROJECT_SORT_ORDERS)[number];

/** Items per page when `take` is not given. */
export const DEFAULT_PROJECT_TAKE = 20;
/** Largest `take`; more is a 400. */
export const MAX_PROJECT_TAKE = 100;
/** Hits are reachable up to this depth (page * take): a deep OFFSET re-reads every skipped row. */
export const MAX_PROJECT_RESULT_WINDOW = 10_000;
/**
 * totalHits is counted exactly up to this many hits; beyond, totalHitsExact is false and totalHits this number.
 * Counting every one of 5,000 projects that mention "sofa" would read 5,000 rows on every page request.
 */
export const PROJECT_EXACT_COUNT_LIMIT = 100;
/**
 * A text search sorted by ProjectDeadlineAscending first walks at most this many live projects in deadline order (an
 * index-only scan of project_search_walk_idx, which carries the search vector), testing each, until the page is
 * full; no table row is read for it. Rarer words, which leave the page short, fall back to the text index, where they
 * have few hits to sort.
 */
export const DEADLINE_WALK_LIMIT = 10_000;
/** Words of the free text used; the rest is ignored. */
export const MAX_QUERY_WORDS = 16;
const MAX_WORD_LENGTH = 64;

export interface ProjectSearchRequest {
  query?: string | null;
  take?: number | null;
  page?: number | null;
  type?: number | null;
  status?: string | null;
  workflowStepId?: string | null;
  customerId?: string | null;
  partnerId?: string | null;
  storeId?: string | null;
  tag?: string | null;
  relatedOrder?: string | null;
  relatedCase?: string | null;
  includeDeleted?: boolean | null;
  sortOrder?: ProjectSortOrder | null;
}

export interface ProjectSearchResponse {
  result: ProjectSummaryJson[];
  totalHits: number;
  totalHitsExact: boolean;
  page: number;
  take: number;
}

/**
 * Sort keys. Text keys compare without letter case; empty values (null, and text stored as null when blank) come last
 * in both directions; ties are broken by id, ascending in both directions, so pages never overlap.
 */
const SORT_EXPRESSIONS: Record<(typeof PROJECT_SORT_KEYS)[number], string> = {
  Created: 'created',
  Modified: 'modified',
  ProjectTypeName: 'lower(project_type_name)',
  Customer: 'lower(coalesce(customer_name, customer_email))',
  Partner: 'lower(partner_name)',
  ProjectDeadline: 'deadline',
  ProjectValue: 'project_value',
  ProjectStoreContact: 'lower(store_contact)',
  ProjectCurrentWorkflowStep: 'workflow_step_index',
};

/** Words of the free text (letters and digits), each a stemmed prefix; user text never becomes query syntax. */
export function queryWords(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .slice(0, MAX_QUERY_WORDS)
    .map((w) => w.slice(0, MAX_WORD_LENGTH));
}

type Eb = ExpressionBuilder<Database, 'projects'>;

/** What the free text asks for: an exact project number or address, words (a tsquery of prefixes), or nothing. */
type TextQuery =
  { kind: 'number'; value: string } | { kind: 'email'; value: string } | { kind: 'words'; tsquery: string };

/**
 * A project number (PR-1234) or an email address alone is an exact lookup (the text index keeps an address as one
 * word, so its parts would not match); otherwise every word must match a word of the project (name, number,
 * customer, partner, store contact, comments) as a stemmed prefix. Words are letters and digits only, so user text
 * never becomes tsquery syntax.
 */
export function readQuery(query: string | null | undefined): TextQuery | undefined {
  if (!query) return undefined;
  const number = /^\s*(PR-\d+)\s*$/i.exec(query);
  if (number) return { kind: 'number', value: number[1]!.toUpperCase() };
  const email = /^\s*([^\s@]+@[^\s@]+)\s*$/.exec(query);
  if (email) return { kind: 'email', value: email[1]!.toLowerCase() };
  const words = queryWords(query);
  return words.length ? { kind: 'words', tsquery: words.map((w) => `${w}:*`).join(' & ') } : undefined;
}

/**
 * The text condition. The tsquery is made once per statement (a sub-select is an InitPlan): written inline,
 * to_tsquery (a stable function) would parse and stem the words again for every row a walk tests, 7-10 times the
 * cost of the test itself.
 */
const matches = (tsquery: string) => sql<SqlBool>`search_vector @@ (SELECT to_tsquery('english', ${tsquery}))`;

function filters(eb: Eb, r: ProjectSearchRequest, text: TextQuery | undefined): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (!r.includeDeleted) all.push(eb('deleted_at', 'is', null));
  if (text?.kind === 'number') all.push(eb('project_number', '=', text.value));
  if (text?.kind === 'email') all.push(sql<SqlBool>`lower(customer_email) = ${text.value}`);
  if (text?.kind === 'words') {
    // The text index is on project_search (the narrow copy): the matching ids come from there.
    all.push(sql<SqlBool>`id IN (SELECT id FROM project_search WHERE ${matches(text.tsquery)})`);
  }
  if (r.type !== undefined && r.type !== null) all.push(eb('project_type_id', '=', parseId(r.type) ?? '0'));
  if (r.status) all.push(eb('status', '=', r.status));
  if (r.workflowStepId) all.push(eb('workflow_step_id', '=', r.workflowStepId));
  if (r.customerId) all.push(eb('customer_id', '=', r.customerId));
  if (r.partnerId) all.push(sql<SqlBool>`partner_ids @> ARRAY[${r.partnerId}]::text[]`);
  if (r.storeId) all.push(eb('store_id', '=', r.storeId));
  if (r.tag) all.push(sql<SqlBool>`tags @> ARRAY[${r.tag}]::text[]`);
  if (r.relatedOrder) all.push(sql<SqlBool>`related_orders @> ARRAY[${r.relatedOrder}]::text[]`);
  if (r.relatedCase) all.push(sql<SqlBool>`related_cases @> ARRAY[${r.relatedCase}]::text[]`);
  return eb.and(all);
}

/** The ORDER BY of a sort order; without one, id order (the reference API's default). */
export function orderByOf(sortOrder: ProjectSortOrder | null | undefined) {
  if (!sortOrder) return sql`id ASC`;
  const descending = sortOrder.endsWith('Descending');
  const key = sortOrder.slice(0, descending ? -'Descending'.length : -'Ascending'.length);
  const expression = SORT_EXPRESSIONS[key as keyof typeof SORT_EXPRESSIONS];
  return sql`${sql.raw(expression)} ${sql.raw(descending ? 'DESC' : 'ASC')} NULLS LAST, id ASC`;
}

const FILTER_FIELDS = [
  'type',
  'status',
  'workflowStepId',
  'customerId',
  'partnerId',
  'storeId',
  'tag',
  'relatedOrder',
  'relatedCase',
] as const;

/**
 * Words only, no other filter, sorted by deadline or id: everything the search needs is in project_search, so the page
 * of ids and the count come from the narrow table alone and only the page's projects are read.
 */
function narrowPlan(r: ProjectSearchRequest, text: TextQuery | undefined): text is { kind: 'words'; tsquery: string } {
  return (
    text?.kind === 'words' &&
    FILTER_FIELDS.every((f) => r[f] === undefined || r[f] === null || r[f] === '') &&
    (!r.sortOrder || r.sortOrder.startsWith('ProjectDeadline'))
  );
}

/** The projects of `ids`, in that order. */
async function projectsInOrder(db: DbOrTrx, ids: readonly { id: string }[]): Promise<ProjectRow[]> {
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('projects')
    .select(PROJECT_COLUMNS)
    .where('id', '=', sql<string>`ANY(${ids.map((x) => x.id)}::bigint[])`)
    .execute();
  const byId = new Map(found.map((p) => [p.id, p]));
  return ids.map((x) => byId.get(x.id)).filter((p): p is ProjectRow => p !== undefined);
}

/** Searches projects: filters AND'ed, free text as prefixes, one page in the sort order, totalHits counted up to a limit. */
export async function searchProjects(db: DbOrTrx, r: ProjectSearchRequest): Promise<ProjectSearchResponse> {
  const take = r.take ?? DEFAULT_PROJECT_TAKE;
  const page = r.page ?? 1;
  if (take > MAX_PROJECT_TAKE) throw new ValidationError(`take must be at most ${MAX_PROJECT_TAKE}; got ${take}`);
  if (page * take > MAX_PROJECT_RESULT_WINDOW) {
    throw new ValidationError(
      `Results are reachable up to the ${MAX_PROJECT_RESULT_WINDOW.toLocaleString('en')}th hit (page * take); narrow the search`,
    );
  }
  const text = readQuery(r.query);
  const respond = (rows: ProjectRow[], totalHits: number, exact: boolean): ProjectSearchResponse => ({
    result: rows.map(projectToSummaryJson),
    totalHits,
    totalHitsExact: exact,
    page,
    take,
  });
  const skip = (page - 1) * take;
  let rows: ProjectRow[];
  let hits: Expression<unknown>;
  if (narrowPlan(r, text)) {
    const narrow = (qb: typeof db) => {
      let q = qb.selectFrom('project_search').where(matches(text.tsquery));
      if (!r.includeDeleted) q = q.where('deleted_at', 'is', null);
      return q;
    };
    let ids: { id: string }[] | undefined;
    if (r.sortOrder === 'ProjectDeadlineAscending' && !r.includeDeleted) {
      // The walk: live projects in deadline order, each tested from the index alone, until the page is full.
      const { rows: walked } = await sql<{ id: string }>`
        SELECT id FROM (
          SELECT id, deadline, search_vector FROM project_search WHERE deleted_at IS NULL
           ORDER BY deadline ASC NULLS LAST, id ASC LIMIT ${DEADLINE_WALK_LIMIT}
        ) w
        WHERE ${matches(text.tsquery)}
        ORDER BY deadline ASC NULLS LAST, id ASC LIMIT ${skip + take}`.execute(db);
      if (walked.length === skip + take) ids = walked.slice(skip);
    }
    ids ??= await narrow(db)
      .select('id')
      .orderBy(r.sortOrder ? orderByOf(r.sortOrder) : sql`id ASC`)
      .limit(take)
      .offset(skip)
      .execute();
    rows = await projectsInOrder(db, ids);
    // The count reads the text index and at most 101 rows of the narrow table.
    hits = narrow(db)
      .select(sql`1`.as('one'))
      .limit(PROJECT_EXACT_COUNT_LIMIT + 1);
  } else {
    rows = await db
      .selectFrom('projects')
      .select(PROJECT_COLUMNS)
      .where((eb) => filters(eb, r, text))
      .orderBy(orderByOf(r.sortOrder))
      .limit(take)
      .offset((page - 1) * take)
      .execute();
    hits = db
      .selectFrom('projects')
      .select(sql`1`.as('one'))
      .where((eb) => filters(eb, r, text))
      .limit(PROJECT_EXACT_COUNT_LIMIT + 1);
  }
  // Fewer rows than a full page (and some): the count is known without counting.
  if (rows.length > 0 && rows.length < take) return respond(rows, skip + rows.length, true);
  const { rows: counted } = await sql<{ n: string }>`SELECT count(*) AS n FROM (${hits}) hits`.execute(db);
  const n = counted[0]!.n;
  return respond(rows, Math.min(Number(n), PROJECT_EXACT_COUNT_LIMIT), Number(n) <= PROJECT_EXACT_COUNT_LIMIT);
}
