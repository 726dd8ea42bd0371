import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { changeCaseStatus, createCase, softDeleteCase } from '../src/cases/case.service.js';
import { planSearch, readPage } from '../src/cases/search.js';
import { RARE_PROBE_CASES } from '../src/cases/search-estimates.js';
import { checkFilters } from '../src/cases/search-filters.js';
import {
  CAPPED_WALK_MAX_CASES,
  CAPPED_WALK_MIN_NEWEST_HITS,
  WALK_MIN_CASES,
  WALK_MIN_HITS,
} from '../src/cases/search-plans.js';
import { searchStatements } from '../src/cases/search-statements.js';
import { createDb } from '../src/db/database.js';
import { readCaseSettings } from '../src/settings/settings.repository.js';
import * as migration from '../migrations/20261201120000_case_search_table.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { caseSearchOutOfStep } from './helpers/database.js';

// The `walk` plan (src/cases/search.ts): a text search sorted by date walks the narrow case_search table, which
// triggers keep in step with cases. Own database: the plan depends on the table's statistics.
let t: TestApp;

/**
 * 30,000 cases, one a minute: "gizmo" in every 5th, "widget" in every 7th, both in every 35th (857 cases). Every
 * 40th has a word of its own that starts with "zq" (zq40, zq80, ...: 750 words the planner has no statistics for),
 * and the 4 newest and 2 of the oldest one that starts with "yq".
 */
const CASES = 30_000;
const BOTH = Math.floor(CASES / 35);

const search = (body: Record<string, unknown>) => t.call('POST', '/api/cases/search', body);
const numbers = (r: { json: { Items: Array<{ CaseNumber: string }> } }) => r.json.Items.map((c) => c.CaseNumber);

/** What PostgreSQL itself finds in cases for both words (or `tsquery`), in the order and window asked. */
async function truth(
  order: 'ASC' | 'DESC',
  offset: number,
  limit: number,
  where = sql`true`,
  tsquery = 'gizmo:* & widget:*',
): Promise<string[]> {
  const { rows } = await sql<{ case_number: string }>`
    SELECT case_number FROM cases
     WHERE deleted_at IS NULL AND search_vector @@ to_tsquery('english', ${tsquery}) AND ${where}
     ORDER BY created ${sql.raw(order)}, id ${sql.raw(order)} OFFSET ${offset} LIMIT ${limit}`.execute(t.ctx.db);
  return rows.map((r) => r.case_number);
}

beforeAll(async () => {
  t = await createTestApp('casesearchwalk');
  await sql`
    INSERT INTO cases (number, case_number, subject, status, priority, reply_token, created, changed)
    SELECT 5000 + g, 'W-' || g,
           concat_ws(' ', 'report', CASE WHEN g % 5 = 0 THEN 'gizmo' END, CASE WHEN g % 7 = 0 THEN 'widget' END,
                     CASE WHEN g % 40 = 0 THEN 'zq' || g END, CASE WHEN g > ${sql.lit(CASES - 4)} OR g IN (10, 20) THEN 'yq' || g END),
           'New', 'Low', 'walk' || g, timestamptz '2026-01-01' + g * interval '1 minute', timestamptz '2026-01-01' + g * interval '1 minute'
      FROM generate_series(1, ${sql.lit(CASES)}) g`.execute(t.ctx.db);
  await sql`ANALYZE cases`.execute(t.ctx.db);
  await sql`ANALYZE case_search`.execute(t.ctx.db);
});

afterAll(async () => {
  await t?.close();
});

describe('the walk plan', () => {
  it('is taken for two words that rarely meet, and finds what PostgreSQL finds in cases, page by page', async () => {
    // The planner's estimate (independent words: 30,000 / 5 / 7) is high enough to stop early and low enough for a long walk.
    expect(BOTH).toBeGreaterThanOrEqual(WALK_MIN_HITS * 20);
    expect((20 * CASES) / BOTH).toBeGreaterThanOrEqual(WALK_MIN_CASES);
    expect((await planSearch(t.ctx.db, { SearchText: 'gizmo widget' })).plan).toBe('walk');
    for (const Page of [0, 1, 5]) {
      const r = await search({ SearchText: 'gizmo widget', Page });
      expect(r.status).toBe(200);
      expect(numbers(r), `page ${Page}`).toEqual(await truth('DESC', Page * 20, 20));
    }
    const r = await search({ SearchText: 'widget gizmo', Take: 7 });
    expect(numbers(r)).toEqual(await truth('DESC', 0, 7));
    expect(r.json.TotalHits).toBeGreaterThanOrEqual(20);
  });

  it('keeps DateFrom and DateTo, and walks oldest first as well', async () => {
    const DateFrom = '2026-01-05T00:00:00Z';
    const DateTo = '2026-01-10';
    expect((await planSearch(t.ctx.db, { SearchText: 'gizmo widget', DateFrom, DateTo })).plan).toBe('walk');
    const r = await search({ SearchText: 'gizmo widget', DateFrom, DateTo, Page: 1 });
    expect(numbers(r)).toEqual(
      await truth('DESC', 20, 20, sql`created >= ${DateFrom}::timestamptz AND created < '2026-01-11'::timestamptz`),
    );
    // Oldest first, the probe of the newest cases does not apply and these words count as rare (hits-first); the
    // walk's own statements read the same page.
    const settings = await readCaseSettings(t.ctx.db);
    const filters = checkFilters({ SearchText: 'gizmo widget' }, settings.settings);
    const { rows } = await readPage(
      t.ctx.db,
      searchStatements(filters, 'CreatedAscending', settings.settings, 2, 20, 'walk'),
    );
    expect(rows.map((row) => row.case_number)).toEqual(await truth('ASC', 40, 20));
  });

  it('is not taken where it does not pay or cannot filter: a common word, other filters, other sorts', async () => {
    // "report" is in every case: the walk through cases stops after 20 rows.
    expect((await planSearch(t.ctx.db, { SearchText: 'report' })).plan).toBe('ordered');
    expect((await planSearch(t.ctx.db, { SearchText: 'gizmo widget', Status: 'New' })).plan).not.toBe('walk');
    expect((await planSearch(t.ctx.db, { SearchText: 'gizmo widget', SortOrder: 'ChangedDescending' })).plan).not.toBe(
      'walk',
    );
    expect((await planSearch(t.ctx.db, { SearchText: 'gizmo widget', SortOrder: 'SubjectAscending' })).plan).not.toBe(
      'walk',
    );
    const filtered = await search({ SearchText: 'gizmo widget', Status: 'New', Take: 5 });
    expect(numbers(filtered)).toEqual(await truth('DESC', 0, 5));
  });
});

describe('the capped walk', () => {
  it('walks the newest cases for a prefix of many words the planner calls rare, where the probe finds it often', async () => {
    // 12 of the newest 500 cases have a zq word: fewer than a page, so the planner's estimate decides, and it calls the
    // prefix rare; walking the newest 3 * 20 * 500 / 12 cases instead is sure enough to fill the page.
    const plan = await planSearch(t.ctx.db, { SearchText: 'zq' });
    expect(plan.plan).toBe('capped-walk');
    expect(plan.fallback).toBeDefined();
    for (const Page of [0, 1]) {
      const r = await search({ SearchText: 'zq', Page });
      expect(numbers(r), `page ${Page}`).toEqual(await truth('DESC', Page * 20, 20, sql`true`, 'zq:*'));
      expect(r.json.TotalHits).toBe(CASES / 40);
    }
    const DateTo = '2026-01-20';
    const dated = await search({ SearchText: 'zq', DateTo });
    expect((await planSearch(t.ctx.db, { SearchText: 'zq', DateTo })).plan).toBe('capped-walk');
    expect(numbers(dated)).toEqual(await truth('DESC', 0, 20, sql`created < '2026-01-21'::timestamptz`, 'zq:*'));
    // Other sorts and filters do not walk case_search; a deep page would need more than the cap.
    expect((await planSearch(t.ctx.db, { SearchText: 'zq', SortOrder: 'CreatedAscending' })).plan).toBe('hits-first');
    expect((await planSearch(t.ctx.db, { SearchText: 'zq', Status: 'New' })).plan).toBe('hits-first');
    expect((3 * 20 * 20 * RARE_PROBE_CASES) / 12).toBeGreaterThan(CAPPED_WALK_MAX_CASES);
    expect((await planSearch(t.ctx.db, { SearchText: 'zq', Page: 19 })).plan).toBe('hits-first');
  });

  it('reads the page by hits-first when the capped walk does not fill it, and a page past the end keeps the exact TotalHits', async () => {
    // yq: the 4 newest cases (enough for the capped walk) and 2 of the oldest, which the walk does not reach.
    expect(4).toBeGreaterThanOrEqual(CAPPED_WALK_MIN_NEWEST_HITS);
    expect((await planSearch(t.ctx.db, { SearchText: 'yq' })).plan).toBe('capped-walk');
    const r = await search({ SearchText: 'yq' });
    expect(numbers(r)).toEqual(await truth('DESC', 0, 20, sql`true`, 'yq:*'));
    expect(numbers(r)).toHaveLength(6);
    expect(r.json.TotalHits).toBe(6);
    expect(r.json.TotalHitsExact).toBe(true);
    const past = await search({ SearchText: 'yq', Page: 3 });
    expect(past.json.Items).toEqual([]);
    expect(past.json.TotalHits).toBe(6);
    expect(past.json.TotalHitsExact).toBe(true);
    // Two of the newest cases are not enough: the GIN index at once.
    expect((await planSearch(t.ctx.db, { SearchText: `yq${CASES}` })).plan).toBe('hits-first');
  });
});

describe('case_search stays in step with cases', () => {
  it('follows new cases, text changes, soft and hard deletes, and skips writes that change no searchable field', async () => {
    expect(await caseSearchOutOfStep(t.ctx.db)).toBe(0);
    const made = await createCase(t.ctx.db, { Subject: 'gizmo widget brand new', Description: 'walk test' });
    expect(numbers(await search({ SearchText: 'gizmo widget', Take: 1 }))).toEqual([made.case_number]);

    // A status change leaves the row alone (the trigger's WHEN clause): same row version.
    const before = await sql<{ xmin: string }>`SELECT xmin::text FROM case_search WHERE id = ${made.id}`.execute(
      t.ctx.db,
    );
    await changeCaseStatus(t.ctx.db, made.id, 'In Progress');
    const after = await sql<{ xmin: string }>`SELECT xmin::text FROM case_search WHERE id = ${made.id}`.execute(
      t.ctx.db,
    );
    expect(after.rows[0]!.xmin).toBe(before.rows[0]!.xmin);

    // New text through the API: the case leaves this search and joins another.
    const patched = await t.call('PATCH', '/api/cases', { Id: made.id, Subject: 'sprocket only' });
    expect(patched.status).toBe(200);
    expect(numbers(await search({ SearchText: 'gizmo widget', Take: 1 }))).toEqual(await truth('DESC', 0, 1));
    expect(numbers(await search({ SearchText: 'sprocket' }))).toEqual([made.case_number]);

    // Soft delete: gone from the walk unless IncludeDeleted.
    const newest = (await truth('DESC', 0, 1))[0]!;
    const target = await t.ctx.db
      .selectFrom('cases')
      .select('id')
      .where('case_number', '=', newest)
      .executeTakeFirstOrThrow();
    await softDeleteCase(t.ctx.db, target.id);
    expect(numbers(await search({ SearchText: 'gizmo widget', Take: 1 }))).not.toEqual([newest]);
    expect((await planSearch(t.ctx.db, { SearchText: 'gizmo widget', IncludeDeleted: true })).plan).toBe('walk');
    expect(numbers(await search({ SearchText: 'gizmo widget', Take: 1, IncludeDeleted: true }))).toEqual([newest]);

    // Hard delete (no API does this, but an operator might).
    await t.ctx.db.deleteFrom('cases').where('id', '=', made.id).execute();
    expect(await caseSearchOutOfStep(t.ctx.db)).toBe(0);
  });

  it('the migration copies the cases that exist before it, holds writes back until it commits, and TRUNCATE empties both', async () => {
    // As the migrator runs it: in a transaction (the migration locks cases against writes until it commits).
    await t.ctx.db.transaction().execute((trx) => migration.down(trx));
    await sql`
      INSERT INTO cases (number, case_number, subject, status, priority, reply_token)
      SELECT 900000 + g, 'PRE-' || g, 'made before the migration', 'New', 'Low', 'pre' || g FROM generate_series(1, 50) g`.execute(
      t.ctx.db,
    );
    const other = createDb(t.database.url, { poolSize: 1 });
    const insertElsewhere = (n: number) =>
      other.transaction().execute(async (o) => {
        await sql`SET LOCAL lock_timeout = '300ms'`.execute(o);
        await sql`INSERT INTO cases (number, case_number, subject, status, priority, reply_token)
                  VALUES (${n}, ${`MID-${n}`}, 'written during the migration', 'New', 'Low', ${`mid${n}`})`.execute(o);
      });
    try {
      await t.ctx.db.transaction().execute(async (trx) => {
        await migration.up(trx);
        // A worker writing a case meanwhile waits for the migration to commit (the migration locks cases before it
        // copies them, so no case can be written between the copy and the triggers), then lands in both tables.
        await expect(insertElsewhere(950001)).rejects.toThrow(/lock timeout/);
      });
      await insertElsewhere(950002);
    } finally {
      await other.destroy();
    }
    expect(await caseSearchOutOfStep(t.ctx.db)).toBe(0);
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM case_search`.execute(t.ctx.db);
    expect(Number(rows[0]!.n)).toBe(CASES + 50 + 1);
    await sql`TRUNCATE cases CASCADE`.execute(t.ctx.db);
    const left = await sql<{ n: string }>`SELECT count(*) AS n FROM case_search`.execute(t.ctx.db);
    expect(Number(left.rows[0]!.n)).toBe(0);
  });
});
