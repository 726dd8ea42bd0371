import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { compilerDb } from '../db/database.js';
import { DEFAULT_CASE_SETTINGS, type CaseSettings } from '../settings/case-settings.js';
import { checkFilters } from './search-filters.js';
import { DEFAULT_SORT_ORDER, pageWindow, SORT_ORDERS, type CaseSearchRequest } from './search-request.js';
import { buildSearchQuery, searchStatements } from './search-statements.js';

const settings: CaseSettings = { ...DEFAULT_CASE_SETTINGS, Tags: ['vip', 'urgent', 'damaged'] };

/** What searchCases sends, from the per-shape templates. */
function fromTemplates(request: CaseSearchRequest, s: CaseSettings = settings) {
  const { page, take } = pageWindow(request.Page, request.Take);
  const bound = searchStatements(checkFilters(request, s), request.SortOrder ?? DEFAULT_SORT_ORDER, s, page, take);
  return [bound.page, bound.estimate, bound.count].map((c) => ({ sql: c.sql, parameters: c.parameters }));
}

/** The same statements built and compiled from scratch, as before the templates. */
function builtDirectly(request: CaseSearchRequest, s: CaseSettings = settings) {
  const { filtered, pageQuery, countQuery } = buildSearchQuery(compilerDb, request, s);
  return [pageQuery.compile(), filtered.select(sql`1`.as('one')).compile(), countQuery.compile()].map((c) => ({
    sql: c.sql,
    parameters: c.parameters,
  }));
}

const requests: CaseSearchRequest[] = [
  {},
  { SearchText: 'refund' },
  { SearchText: 'damaged laptop', Page: 2, Take: 50 },
  { SearchText: 'cs-1042' },
  { SearchText: '1042', Status: 'New' },
  { SearchText: 'Ann@Example.com', IncludeDeleted: true },
  { SearchText: '&|!' },
  { Status: 'New', Priority: 'High', Tags: ['vip'], SortOrder: 'ChangedDescending', Page: 1 },
  { Status: 'Resolved', Priority: 'Critical', Tags: ['urgent', 'damaged'], SortOrder: 'CreatedAscending' },
  {
    AssignedToUserId: 'agent-7',
    CustomerId: '7d0a6a3e-58c5-4a43-9a55-0d4a3f0b8d11',
    OrderId: 'PO-1',
    SortOrder: 'StatusAscending',
  },
  { DateFrom: '2026-01-01', DateTo: '2026-01-31', SortOrder: 'PriorityDescending' },
  {
    DateFrom: '2026-01-01T10:00:00Z',
    DateTo: '2026-01-31T12:30:00+02:00',
    SortOrder: 'FollowUpDateAscending',
    Take: 5,
  },
  { DateTo: '2026-02-01T00:00:00Z', SearchText: 'parcel', Status: 'Closed' },
  { DateTo: '2026-02-01', SearchText: 'invoice', Status: 'Closed' },
  ...SORT_ORDERS.map((SortOrder) => ({ SortOrder, SearchText: 'broken camera' })),
];

describe('search statements from per-shape templates', () => {
  it('are the same SQL and parameters as building each search from scratch', () => {
    for (const request of requests)
      expect(fromTemplates(request), JSON.stringify(request)).toEqual(builtDirectly(request));
    // Again: now every shape comes from the cache, bound to this request's values.
    for (const request of requests)
      expect(fromTemplates(request), JSON.stringify(request)).toEqual(builtDirectly(request));
  });

  it('a second request of the same shape gets its own values', () => {
    const a = fromTemplates({ SearchText: 'refund', Status: 'New', Page: 0 });
    const b = fromTemplates({ SearchText: 'parcel', Status: 'Resolved', Page: 3, Take: 10 });
    expect(b[0]!.sql).toBe(a[0]!.sql);
    expect(b[0]!.parameters).toEqual(expect.arrayContaining(['parcel:*', 'Resolved', 10, 30]));
    expect(b[0]!.parameters).not.toEqual(expect.arrayContaining(['refund:*']));
  });

  it('follows changed settings: the Status sort ranks come from the settings it is given', () => {
    const changed: CaseSettings = { ...settings, Statuses: [...settings.Statuses, { Name: 'Waiting', Level: 2 }] };
    const request: CaseSearchRequest = { SortOrder: 'StatusDescending' };
    expect(fromTemplates(request)).toEqual(builtDirectly(request));
    expect(fromTemplates(request, changed)).toEqual(builtDirectly(request, changed));
    expect(fromTemplates(request, changed)[0]!.parameters).toContain('Waiting');
  });

  it('checks values before any statement: an unknown status is a 400', () => {
    expect(() => fromTemplates({ Status: 'Sleeping' })).toThrow(/Unknown status "Sleeping"/);
  });

  it('a hits-first page finds the hits and their sort keys in a materialized CTE with the same filter values, then sorts and pages their ids', () => {
    const request: CaseSearchRequest = { SearchText: 'zebra', Status: 'New', Page: 1, Take: 10 };
    const filters = checkFilters(request, settings);
    const ordered = searchStatements(filters, 'ChangedDescending', settings, 1, 10, 'ordered');
    const first = searchStatements(filters, 'ChangedDescending', settings, 1, 10, 'hits-first');
    expect(first.page.sql).toMatch(
      /^with "hits" as materialized \(select "changed", "id" from "cases" where .*search_vector @@/,
    );
    // The page's ids, sorted and paged, then their cases in that order, in the same statement.
    expect(first.page.sql).toContain(
      '"hit_count" from (SELECT count(*) AS hit_count FROM hits) as "n" left join lateral intake_cases_in_order(ARRAY((select "id" from "hits" order by "changed" desc, "id" desc limit $3 offset $4))) as "cases" on true',
    );
    expect(ordered.page.sql).not.toContain('intake_cases_in_order');
    expect(first.page.parameters).toEqual(ordered.page.parameters);
    // TotalHits' statements do not depend on how the page is read.
    expect(first.estimate).toEqual(ordered.estimate);
    expect(first.count).toEqual(ordered.count);
  });

  it('ids-first and walk pages find their ids in a subquery and read those cases in its order, in the same statement', () => {
    const idsFirst = searchStatements(
      checkFilters({ Status: 'New', Tags: ['vip'] }, settings),
      'ChangedDescending',
      settings,
      2,
      20,
      'ids-first',
    );
    expect(idsFirst.page.sql).toMatch(
      /from intake_cases_in_order\(ARRAY\(\(select "id" from "cases" where .* order by "changed" desc, "id" desc limit \$\d+ offset \$\d+\)\)\) as "cases"$/,
    );
    expect(idsFirst.page.parameters.slice(-2)).toEqual([20, 40]);
    const walk = searchStatements(
      checkFilters({ SearchText: 'damaged laptop' }, settings),
      'CreatedAscending',
      settings,
      0,
      20,
      'walk',
    );
    expect(walk.page.sql).toMatch(
      /from intake_cases_in_order\(ARRAY\(\(select "id" from "case_search" where .*ts_match_vq.* order by "created" asc, "id" asc limit/,
    );
  });

  it('a hits-first page asks the index for the rare words only and tests the whole text on their hits', () => {
    const filters = { ...checkFilters({ SearchText: 'zebra refund' }, settings), rareTsquery: 'zebra:*' };
    const bound = searchStatements(filters, 'CreatedDescending', settings, 0, 20, 'hits-first');
    expect(bound.page.sql).toContain(
      `search_vector @@ to_tsquery('english', $1) AND (search_vector @@ to_tsquery('english', $2)) IS TRUE`,
    );
    expect(bound.page.parameters.slice(0, 2)).toEqual(['zebra:*', 'zebra:* & refund:*']);
    const plain = searchStatements(
      checkFilters({ SearchText: 'zebra refund' }, settings),
      'CreatedDescending',
      settings,
      0,
      20,
      'hits-first',
    );
    expect(bound.estimate).toEqual(plain.estimate);
  });
});
