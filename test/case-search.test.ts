import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { changeCaseStatus, createCase, softDeleteCase } from '../src/cases/case.service.js';
import { EXACT_COUNT_LIMIT, MAX_RESULT_WINDOW } from '../src/cases/search-request.js';
import { planSearch } from '../src/cases/search.js';
import {
  newestMatches,
  RARE_PROBE_CASES,
  RARE_WORD_ESTIMATE,
  rareTerms,
  wordEstimates,
} from '../src/cases/search-estimates.js';
import { createCustomer } from '../src/customers/customer.repository.js';
import { DEFAULT_CASE_SETTINGS } from '../src/settings/case-settings.js';
import { saveCaseSettings } from '../src/settings/settings.repository.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
/** Case ids by letter; subjects start with the NATO word of their letter, so subject order is A..E. */
const id: Record<string, string> = {};
const letterOf = new Map<string, string>();

interface Fixture {
  Subject: string;
  Description: string;
  Status: string;
  Priority: string;
  CustomerName: string | null;
  CustomerEmail: string | null;
  AssignedToUserId: string | null;
  AssignedToName: string | null;
  FollowUpDate: string | null;
  Tags: string[];
  RelatedOrders: string[];
  created: string;
  changed: string;
}

const FIXTURES: Record<string, Fixture> = {
  A: {
    Subject: 'Alpha refunded order',
    Description: 'Customer wants money back',
    Status: 'Closed',
    Priority: 'Low',
    CustomerName: 'Carol',
    CustomerEmail: 'carol@example.com',
    AssignedToUserId: 'u-mia',
    AssignedToName: 'Mia',
    FollowUpDate: '2026-05-03T00:00:00.000Z',
    Tags: ['billing'],
    RelatedOrders: ['ORD-1'],
    created: '2026-01-01T10:00:00Z',
    changed: '2026-01-05T10:00:00Z',
  },
  B: {
    Subject: 'Bravo parcel lost',
    Description: 'The courier lost the parcel',
    Status: 'New',
    Priority: 'Critical',
    CustomerName: 'Alice',
    CustomerEmail: 'Alice.B@Example.com',
    AssignedToUserId: null,
    AssignedToName: null,
    FollowUpDate: null,
    Tags: [],
    RelatedOrders: [],
    created: '2026-01-02T10:00:00Z',
    changed: '2026-01-09T10:00:00Z',
  },
  C: {
    Subject: 'Charlie refunds please',
    Description: 'Two items',
    Status: 'In Progress',
    Priority: 'High',
    CustomerName: 'Eve',
    CustomerEmail: 'eve@example.com',
    AssignedToUserId: 'u-ann',
    AssignedToName: 'Ann',
    FollowUpDate: '2026-05-01T00:00:00.000Z',
    Tags: ['billing', 'vip'],
    RelatedOrders: ['ORD-3'],
    created: '2026-01-03T10:00:00Z',
    changed: '2026-01-04T10:00:00Z',
  },
  D: {
    Subject: 'Delta invoice',
    Description: 'Invoice shows wrong VAT',
    Status: 'Resolved',
    Priority: 'Medium',
    CustomerName: null,
    CustomerEmail: null,
    AssignedToUserId: 'u-zoe',
    AssignedToName: 'Zoe',
    FollowUpDate: '2026-05-02T00:00:00.000Z',
    Tags: ['vip'],
    RelatedOrders: ['ORD-2', 'ORD-4'],
    created: '2026-01-04T10:00:00Z',
    changed: '2026-01-08T10:00:00Z',
  },
  E: {
    Subject: 'Echo damaged item',
    Description: 'Box was crushed',
    Status: 'Reopened',
    Priority: 'Medium',
    CustomerName: 'Bob',
    CustomerEmail: 'bob@example.com',
    AssignedToUserId: 'u-kim',
    AssignedToName: 'Kim',
    FollowUpDate: '2026-05-04T00:00:00.000Z',
    Tags: [],
    RelatedOrders: [],
    created: '2026-01-05T10:00:00Z',
    changed: '2026-01-06T10:00:00Z',
  },
};

async function search(body: Record<string, unknown>, key?: string) {
  return t.call('POST', '/api/cases/search', body, key);
}
/** The letters of a successful search's items, in order. */
async function letters(body: Record<string, unknown>): Promise<string[]> {
  const r = await search(body);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.Items.map((c: { Id: string }) => letterOf.get(c.Id) ?? '?');
}
/** Letters ordered by case id, for ties that the id breaks. */
const byId = (ls: string[], dir: 'asc' | 'desc') =>
  [...ls].sort((a, b) => (id[a]! < id[b]! ? -1 : 1) * (dir === 'asc' ? 1 : -1));

beforeAll(async () => {
  t = await createTestApp('casesearch');
  const db = t.ctx.db;
  await saveCaseSettings(db, { ...structuredClone(DEFAULT_CASE_SETTINGS), Tags: ['billing', 'vip', 'shipping'] });
  await createCustomer(db, { name: 'Alice', email: 'alice.b@example.com' });
  for (const [letter, f] of Object.entries(FIXTURES)) {
    const row = await createCase(db, {
      Subject: f.Subject,
      Description: f.Description,
      Priority: f.Priority,
      CustomerName: f.CustomerName,
      CustomerEmail: f.CustomerEmail,
      AssignedToUserId: f.AssignedToUserId,
      AssignedToName: f.AssignedToName,
      FollowUpDate: f.FollowUpDate,
      Tags: f.Tags,
      RelatedOrders: f.RelatedOrders,
    });
    if (f.Status !== 'New') await changeCaseStatus(db, row.id, f.Status);
    await db.updateTable('cases').set({ created: f.created, changed: f.changed }).where('id', '=', row.id).execute();
    id[letter] = row.id;
    letterOf.set(row.id, letter);
  }
  const deleted = await createCase(db, { Subject: 'Foxtrot refund deleted', Description: 'gone' });
  await softDeleteCase(db, deleted.id);
  id.F = deleted.id;
  letterOf.set(deleted.id, 'F');
});

afterAll(async () => {
  await t?.close();
});

describe('sort orders', () => {
  const expected: Record<string, string[] | (() => string[])> = {
    CreatedAscending: ['A', 'B', 'C', 'D', 'E'],
    CreatedDescending: ['E', 'D', 'C', 'B', 'A'],
    ChangedAscending: ['C', 'A', 'E', 'D', 'B'],
    ChangedDescending: ['B', 'D', 'E', 'A', 'C'],
    // Levels: New 1, In Progress 2, Reopened 2, Resolved 3, Closed 4; the tie at level 2 is broken by Id.
    StatusAscending: () => ['B', ...byId(['C', 'E'], 'asc'), 'D', 'A'],
    StatusDescending: () => ['A', 'D', ...byId(['C', 'E'], 'desc'), 'B'],
    // Severities: Low 1, Medium 2 (D and E), High 3, Critical 4.
    PriorityAscending: () => ['A', ...byId(['D', 'E'], 'asc'), 'C', 'B'],
    PriorityDescending: () => ['B', 'C', ...byId(['D', 'E'], 'desc'), 'A'],
    SubjectAscending: ['A', 'B', 'C', 'D', 'E'],
    SubjectDescending: ['E', 'D', 'C', 'B', 'A'],
    // Empty values last in both directions.
    CustomerNameAscending: ['B', 'E', 'A', 'C', 'D'],
    CustomerNameDescending: ['C', 'A', 'E', 'B', 'D'],
    AssignedToNameAscending: ['C', 'E', 'A', 'D', 'B'],
    AssignedToNameDescending: ['D', 'A', 'E', 'C', 'B'],
    FollowUpDateAscending: ['C', 'D', 'A', 'E', 'B'],
    FollowUpDateDescending: ['E', 'A', 'D', 'C', 'B'],
  };
  for (const [order, want] of Object.entries(expected)) {
    it(`${order} returns the cases in the expected order`, async () => {
      expect(await letters({ SortOrder: order })).toEqual(typeof want === 'function' ? want() : want);
    });
  }

  it('a text search whose hits are read first (a rare word) sorts them the same way, in every order', async () => {
    expect((await planSearch(t.ctx.db, { SearchText: 'refund' })).plan).toBe('hits-first');
    for (const [order, want] of Object.entries(expected)) {
      const all = typeof want === 'function' ? want() : want;
      expect(await letters({ SortOrder: order, SearchText: 'refund' }), order).toEqual(
        all.filter((l) => l === 'A' || l === 'C'),
      );
    }
  });

  it('the default order is newest first', async () => {
    expect(await letters({})).toEqual(['E', 'D', 'C', 'B', 'A']);
  });

  it('an unknown sort order is a 400', async () => {
    const r = await search({ SortOrder: 'Sideways' });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/SortOrder/);
  });
});

describe('filters', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['Status', { Status: 'New' }, ['B']],
    ['Priority', { Priority: 'Medium' }, ['D', 'E']],
    ['AssignedToUserId', { AssignedToUserId: 'u-ann' }, ['C']],
    ['one tag', { Tags: ['billing'] }, ['A', 'C']],
    ['all tags must match', { Tags: ['billing', 'vip'] }, ['C']],
    ['OrderId among the related orders', { OrderId: 'ORD-4' }, ['D']],
    ['DateFrom (inclusive)', { DateFrom: '2026-01-03T10:00:00Z' }, ['C', 'D', 'E']],
    ['DateTo as a date includes that whole day', { DateTo: '2026-01-02' }, ['A', 'B']],
    ['DateFrom and DateTo together', { DateFrom: '2026-01-02', DateTo: '2026-01-04T10:00:00Z' }, ['B', 'C', 'D']],
    [
      'a date-time without a time zone is UTC',
      { DateFrom: '2026-01-03T10:00:00', DateTo: '2026-01-04T10:00' },
      ['C', 'D'],
    ],
    ['filters combine', { Tags: ['vip'], Priority: 'High' }, ['C']],
  ];
  for (const [name, body, want] of cases) {
    it(`${name} narrows the hits`, async () => {
      const r = await search({ ...body, SortOrder: 'CreatedAscending' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.Items.map((c: { Id: string }) => letterOf.get(c.Id))).toEqual(want);
      expect(r.json.TotalHits).toBe(want.length);
    });
  }

  it('CustomerId finds the cases linked to that customer', async () => {
    const customerId = (await t.call('GET', `/api/cases/${id.B}`)).json.CustomerId;
    expect(customerId).toBeTruthy();
    expect(await letters({ CustomerId: customerId })).toEqual(['B']);
  });

  it.each([
    [{ Status: 'Pending' }, /Unknown status "Pending"; allowed: New, In Progress/],
    [{ Priority: 'Urgent' }, /Unknown priority "Urgent"; allowed: Low, Medium, High, Critical/],
    [{ Tags: ['billing', 'nope'] }, /Unknown tag "nope"; allowed: billing, vip, shipping/],
    [{ CustomerId: 'not-a-uuid' }, /CustomerId/],
    [{ DateFrom: 'yesterday' }, /DateFrom is not a valid date/],
    // PostgreSQL refused this one with "timestamp out of range"; the day that does not exist was rolled over to 1 March.
    [
      { DateFrom: '-271821-04-20T00:00:00Z' },
      /^DateFrom is not a valid date: "-271821-04-20T00:00:00Z"; send ISO 8601 \(2026-01-31 or 2026-01-31T09:00:00Z\), from 0001-01-01 to 9999-12-31 \(UTC\)$/,
    ],
    [{ DateTo: '+275760-09-13T00:00:00Z' }, /^DateTo is not a valid date: .*from 0001-01-01 to 9999-12-31/],
    [{ DateTo: '2025-02-29' }, /^DateTo is not a valid date: "2025-02-29"/],
    [{ DateFrom: '1' }, /^DateFrom is not a valid date: "1"; send ISO 8601/],
    [{ DateTo: 'May 1, 2026' }, /^DateTo is not a valid date: "May 1, 2026"/],
    [{ DateFrom: '2026-01-31T25:00:00Z' }, /^DateFrom is not a valid date/],
    [{ Unknown: 1 }, /Unknown/],
    [{ Take: '10' }, /Take/],
  ])('bad filter %j is a 400 with a message', async (body, message) => {
    const r = await search(body);
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(message);
  });
});

describe('free text', () => {
  it('a case number finds exactly that case, in any letter case', async () => {
    const number = (await t.call('GET', `/api/cases/${id.C}`)).json.CaseNumber as string;
    expect(await letters({ SearchText: number })).toEqual(['C']);
    expect(await letters({ SearchText: ` ${number.toLowerCase()} ` })).toEqual(['C']);
    expect(await letters({ SearchText: number.slice(0, -1) })).toEqual([]);
  });

  it('digits alone find the case with that number and the cases that mention them', async () => {
    const number = (await t.call('GET', `/api/cases/${id.C}`)).json.CaseNumber as string;
    const digits = number.replace(/\D/g, '');
    const mention = await createCase(t.ctx.db, {
      Subject: `Order #${digits}9 has not arrived`,
      Description: 'Where is it?',
    });
    try {
      const found = await search({ SearchText: digits });
      expect(found.status).toBe(200);
      expect(found.json.Items.map((c: { Id: string }) => c.Id).sort()).toEqual([id.C, mention.id].sort());
      // With a filter too, and the case-number match alone when the mention does not pass the filter.
      expect(await letters({ SearchText: digits, Status: 'In Progress' })).toEqual(['C']);
      expect(await letters({ SearchText: `00${digits}` })).toEqual(['C']);
    } finally {
      await t.ctx.db.deleteFrom('cases').where('id', '=', mention.id).execute();
    }
  });

  it('an email address finds the case exactly, ignoring letter case', async () => {
    expect(await letters({ SearchText: 'alice.b@example.com' })).toEqual(['B']);
    expect(await letters({ SearchText: 'ALICE.B@EXAMPLE.COM' })).toEqual(['B']);
    expect(await letters({ SearchText: 'lice.b@example.com' })).toEqual([]);
  });

  it('words match with stemming: refund finds refunded and refunds', async () => {
    expect(await letters({ SearchText: 'refund', SortOrder: 'CreatedAscending' })).toEqual(['A', 'C']);
    expect(await letters({ SearchText: 'refunding', SortOrder: 'CreatedAscending' })).toEqual(['A', 'C']);
  });

  it('words match as prefixes: parc finds parcel', async () => {
    expect(await letters({ SearchText: 'parc' })).toEqual(['B']);
    expect(await letters({ SearchText: 'PARC cour' })).toEqual(['B']);
  });

  it('every word must match, across subject, description and customer name', async () => {
    expect(await letters({ SearchText: 'crushed' })).toEqual(['E']);
    expect(await letters({ SearchText: 'carol money' })).toEqual(['A']);
    expect(await letters({ SearchText: 'carol parcel' })).toEqual([]);
  });

  it('text combines with filters', async () => {
    expect(await letters({ SearchText: 'refund', Tags: ['vip'] })).toEqual(['C']);
  });

  it.each([
    `'`,
    `"refund`,
    `refund'); DROP TABLE cases; --`,
    '&|!:*()',
    'a & | b',
    '!refund',
    'refund:*',
    '(refund',
    '\\',
    'back\\slash\\',
    '<->',
    'foo <-> bar',
    '  :*:*  ',
    '\ud83d refund',
    '🙂 refund',
    'x'.repeat(10_000),
    `${'word '.repeat(1999)}end`,
  ])('hostile text %# is answered with 200, never 500', async (text) => {
    const r = await search({ SearchText: text });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(Array.isArray(r.json.Items)).toBe(true);
  });

  it('a NUL character is a 400 naming the field, in SearchText as in the filters PostgreSQL compares', async () => {
    // OrderId and AssignedToUserId were refused by PostgreSQL ("invalid byte sequence for encoding UTF8: 0x00").
    for (const field of ['SearchText', 'OrderId', 'AssignedToUserId']) {
      const r = await search({ [field]: 'refund\u0000' });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.message).toBe(`Invalid request: body/${field} must not contain the NUL character (\\u0000)`);
    }
  });

  it('text over 10,000 characters is a 400, not a 500', async () => {
    const r = await search({ SearchText: 'x'.repeat(10_001) });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/SearchText/);
  });

  it('punctuation only matches nothing', async () => {
    const r = await search({ SearchText: '&|!:*()' });
    expect(r.json).toMatchObject({ Items: [], TotalHits: 0 });
  });
});

describe('soft delete', () => {
  it('hides deleted cases unless IncludeDeleted', async () => {
    expect(await letters({ SearchText: 'refund', SortOrder: 'CreatedAscending' })).toEqual(['A', 'C']);
    const r = await search({ SearchText: 'refund', SortOrder: 'SubjectAscending', IncludeDeleted: true });
    expect(r.json.Items.map((c: { Id: string }) => letterOf.get(c.Id))).toEqual(['A', 'C', 'F']);
    expect(r.json.Items[2].Deleted).not.toBeNull();
    expect(r.json.TotalHits).toBe(3);
  });
});

describe('pagination', () => {
  it('pages through the hits with the right TotalHits, Page and PageSize', async () => {
    const pages = [];
    for (const Page of [0, 1, 2]) {
      const r = await search({ SortOrder: 'CreatedAscending', Take: 2, Page });
      expect(r.json).toMatchObject({ TotalHits: 5, TotalHitsExact: true, Page, PageSize: 2 });
      pages.push(r.json.Items.map((c: { Id: string }) => letterOf.get(c.Id)));
    }
    expect(pages).toEqual([['A', 'B'], ['C', 'D'], ['E']]);
  });

  it('a page beyond the end is empty but still tells TotalHits', async () => {
    const r = await search({ SortOrder: 'CreatedAscending', Take: 2, Page: 7 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ Items: [], TotalHits: 5, Page: 7, PageSize: 2 });
  });

  it('Take defaults to 20 and may be 100, but not 101', async () => {
    expect((await search({})).json.PageSize).toBe(20);
    expect((await search({ Take: 100 })).json.PageSize).toBe(100);
    const r = await search({ Take: 101 });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/Take/);
  });

  it('a negative or fractional Page is a 400', async () => {
    for (const Page of [-1, 1.5]) {
      const r = await search({ Page });
      expect(r.status).toBe(400);
      expect(r.json.message).toMatch(/Page/);
    }
  });

  it('search items are the case JSON without notes and log', async () => {
    const r = await search({ SearchText: 'crushed' });
    expect(r.json.Items[0]).toMatchObject({
      Subject: 'Echo damaged item',
      Status: 'Reopened',
      CaseNotes: [],
      InternalNotes: [],
      CaseStatusLog: [],
    });
  });
});

describe('response document', () => {
  it('sends null for empty values, and the OpenAPI document marks those fields nullable', async () => {
    const r = await search({ SearchText: 'Bravo' });
    expect(r.json.Items).toHaveLength(1);
    expect(r.json.Items[0]).toMatchObject({ AssignedToName: null, AssignedToUserId: null, FollowUpDate: null });
    const doc = (await t.app.inject({ method: 'GET', url: '/swagger/json' })).json();
    const item =
      doc.paths['/api/cases/search'].post.responses['200'].content['application/json'].schema.properties.Items.items;
    expect(item.properties.AssignedToName).toEqual({ type: 'string', nullable: true });
    expect(item.properties.FollowUpDate).toEqual({ type: 'string', format: 'date-time', nullable: true });
    expect(item.required).toContain('AssignedToName');
  });
});

describe('access', () => {
  it('a read key may search; no key is a 401', async () => {
    expect((await search({}, t.readKey)).status).toBe(200);
    expect((await t.call('POST', '/api/cases/search', {}, null)).status).toBe(401);
  });
});

describe('many hits', () => {
  it(`counts exactly up to ${EXACT_COUNT_LIMIT} and estimates above, and refuses pages past the result window`, async () => {
    // A word PostgreSQL's statistics call common (more than RARE_WORD_ESTIMATE cases): the page is read in date
    // order and TotalHits is the planner's estimate.
    await sql`
      INSERT INTO cases (number, case_number, subject, status, priority, reply_token)
      SELECT 100000 + g, 'BULK-' || g, 'bulk generated row', 'New', 'Low', 'bulk' || g FROM generate_series(1, ${sql.lit(2 * RARE_WORD_ESTIMATE)}) g`.execute(
      t.ctx.db,
    );
    await sql`ANALYZE cases`.execute(t.ctx.db);
    const r = await search({ SearchText: 'bulk', Take: 100, Page: 1 });
    expect(r.status).toBe(200);
    expect(r.json.Items).toHaveLength(100);
    expect(r.json.TotalHitsExact).toBe(false);
    expect(r.json.TotalHits).toBeGreaterThan(EXACT_COUNT_LIMIT);
    // The planner's estimate comes from the table statistics and is reused for the same filter for a while
    // (ESTIMATE_CACHE_TTL_MS), even after the table was analysed again.
    await sql`
      INSERT INTO cases (number, case_number, subject, status, priority, reply_token)
      SELECT 200000 + g, 'BULK2-' || g, 'bulk generated row', 'New', 'Low', 'bulk2-' || g FROM generate_series(1, 2000) g`.execute(
      t.ctx.db,
    );
    await sql`ANALYZE cases`.execute(t.ctx.db);
    const again = await search({ SearchText: 'bulk', Take: 100, Page: 0 });
    expect(again.json).toMatchObject({ TotalHits: r.json.TotalHits, TotalHitsExact: false });
    const few = await search({ SearchText: 'crushed' });
    expect(few.json).toMatchObject({ TotalHits: 1, TotalHitsExact: true });
    expect((await search({ SearchText: 'bulk', Take: 100, Page: MAX_RESULT_WINDOW / 100 - 1 })).status).toBe(200);
    const deep = await search({ SearchText: 'bulk', Take: 100, Page: MAX_RESULT_WINDOW / 100 });
    expect(deep.status).toBe(400);
    expect(deep.json.message).toMatch(/reachable/);
  });

  it('a rare word (here: in old cases only) is read through the text index first, and its TotalHits is exact beyond the count limit', async () => {
    await sql`
      INSERT INTO cases (number, case_number, subject, status, priority, reply_token, created, changed)
      SELECT 400000 + g, 'SPARSE-' || g, 'sparse generated row', 'New', 'Low', 'sparse' || g,
        timestamptz '2020-01-01' + g * interval '1 minute', timestamptz '2020-01-01' + g * interval '1 minute'
      FROM generate_series(1, ${sql.lit(EXACT_COUNT_LIMIT + 50)}) g`.execute(t.ctx.db);
    await sql`ANALYZE cases`.execute(t.ctx.db);
    const page = await search({ SearchText: 'sparse', Take: 100, Page: 2, SortOrder: 'CreatedAscending' });
    expect(page.json).toMatchObject({ TotalHits: EXACT_COUNT_LIMIT + 50, TotalHitsExact: true });
    // The same page, in the same order (Created, then Id), as the database sorts them itself.
    const { rows } = await sql<{ case_number: string }>`
      SELECT case_number FROM cases WHERE subject = 'sparse generated row' ORDER BY created, id OFFSET 200 LIMIT 100`.execute(
      t.ctx.db,
    );
    expect(page.json.Items.map((c: { CaseNumber: string }) => c.CaseNumber)).toEqual(rows.map((r) => r.case_number));
    // With a common word beside it ("generated" is in every bulk row too): the same hits, still counted exactly.
    expect((await search({ SearchText: 'generated sparse', Take: 5 })).json).toMatchObject({
      TotalHits: EXACT_COUNT_LIMIT + 50,
      TotalHitsExact: true,
    });
    expect((await search({ SearchText: 'sparse zebra' })).json).toMatchObject({
      Items: [],
      TotalHits: 0,
      TotalHitsExact: true,
    });
    // A word no case has: an empty first page, and TotalHits 0, not an estimate.
    expect((await search({ SearchText: 'zebra' })).json).toMatchObject({
      Items: [],
      TotalHits: 0,
      TotalHitsExact: true,
    });
  });

  it('decides by the newest cases for newest-first pages: a prefix of many addresses walks, where the planner would call it rare', async () => {
    // 42,000 addresses c1@…, c2@…: 'c1:*' matches over 13,000 of them, each its own lexeme, none in PostgreSQL's
    // statistics, so the planner assumes 0.5 % and calls it rare; reading those through the GIN index costs a
    // bitmap of every match. Among the newest cases it is everywhere: a walk fills the page at once.
    await sql`UPDATE cases SET customer_email = 'c' || (number - 100000) || '@bulk.example' WHERE subject = 'bulk generated row'`.execute(
      t.ctx.db,
    );
    await sql`ANALYZE cases`.execute(t.ctx.db);
    expect(await rareTerms(t.ctx.db, 'c1:*', { wanted: 20, newestFirst: false })).toEqual(['c1:*']);
    expect(await rareTerms(t.ctx.db, 'c1:*', { wanted: 20, newestFirst: true })).toEqual([]);
    // Deeper than the newest cases can fill, the planner decides again.
    expect(await newestMatches(t.ctx.db, ['c1:*'])).toEqual([RARE_PROBE_CASES]);
    expect(await rareTerms(t.ctx.db, 'c1:*', { wanted: RARE_PROBE_CASES + 1, newestFirst: true })).toEqual(['c1:*']);
    // A word in a few of the newest cases only (a customer's address with a recent case) walks only if those few
    // fill the page; else the walk might pass every case looking for more, and the index is asked.
    await sql`UPDATE cases SET subject = subject || ' wombat' WHERE id IN (
      SELECT id FROM cases WHERE deleted_at IS NULL ORDER BY created DESC, id DESC LIMIT 3)`.execute(t.ctx.db);
    expect(await rareTerms(t.ctx.db, 'wombat:*', { wanted: 3, newestFirst: true })).toEqual([]);
    expect(await rareTerms(t.ctx.db, 'wombat', { wanted: 20, newestFirst: true })).toEqual(['wombat']);
    // Words no newest case has are rare; the old 'sparse' cases too.
    expect(await rareTerms(t.ctx.db, 'bulk:* & quokka:* & sparse:*', { wanted: 20, newestFirst: true })).toEqual([
      'quokka:*',
      'sparse:*',
    ]);
    const r = await search({ SearchText: 'c1', Take: 5 });
    expect(r.json.Items).toHaveLength(5);
    expect(r.json.Items.every((c: { CustomerEmail: string }) => c.CustomerEmail.startsWith('c1'))).toBe(true);
  });

  it('ignores stop words beside other words, whatever the sort order', async () => {
    for (const SortOrder of ['CreatedDescending', 'CreatedAscending', 'SubjectAscending'] as const) {
      const withStopWord = await search({ SearchText: 'the sparse', Take: 3, SortOrder });
      const without = await search({ SearchText: 'sparse', Take: 3, SortOrder });
      expect(withStopWord.json.Items, SortOrder).toHaveLength(3);
      expect(withStopWord.json.Items.map((c: { Id: string }) => c.Id)).toEqual(
        without.json.Items.map((c: { Id: string }) => c.Id),
      );
    }
    // Stop words alone are no text to match: nothing.
    expect((await search({ SearchText: 'the in' })).json).toMatchObject({ Items: [], TotalHits: 0 });
    expect(await newestMatches(t.ctx.db, ['the:*', 'bulk:*'])).toEqual([-1, RARE_PROBE_CASES]);
  });

  it('plans the estimates of all the words of a text in one statement, each as if planned alone, then from the cache', async () => {
    // A handle of its own (the cache is per handle) that counts what it sends.
    let sent = 0;
    const db = Object.create(t.ctx.db) as typeof t.ctx.db;
    db.executeQuery = ((q: Parameters<typeof t.ctx.db.executeQuery>[0]) => (
      sent++,
      t.ctx.db.executeQuery(q)
    )) as typeof db.executeQuery;
    const words = ['row:*', 'row', 'sparse:*', 'quokka', 'bulk:*', 'row'];
    const together = await wordEstimates(db, words);
    expect(sent).toBe(1);
    for (const [i, word] of words.entries()) {
      const { rows } = await sql<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>`
        EXPLAIN (FORMAT JSON) SELECT 1 FROM cases WHERE search_vector @@ to_tsquery('english', ${word})`.execute(
        t.ctx.db,
      );
      expect(together[i], word).toBe(Math.round(rows[0]!['QUERY PLAN'][0]!.Plan['Plan Rows']));
    }
    expect(together[1]).toBeGreaterThan(RARE_WORD_ESTIMATE);
    expect(together[3]).toBeLessThan(RARE_WORD_ESTIMATE);
    expect(await wordEstimates(db, ['quokka', 'row:*'])).toEqual([together[3], together[0]]);
    expect(sent).toBe(1);
  });
});
