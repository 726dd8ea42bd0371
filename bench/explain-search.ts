import { CompiledQuery, sql, type Compilable } from 'kysely';
import { buildSearchQuery, EXACT_COUNT_LIMIT, type CaseSearchRequest } from '../src/cases/search.js';
import { createDb } from '../src/db/database.js';
import { getCaseSettings } from '../src/settings/settings.repository.js';

/**
 * `npx tsx bench/explain-search.ts '{"SearchText":"refund"}'`: EXPLAIN (ANALYZE, BUFFERS) of the page
 * query and the capped count query a search runs, and the planner's estimate of the hits, against the bench
 * database (or BENCH_DATABASE_URL).
 */
const db = createDb(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/intake_bench');
try {
  const request = JSON.parse(process.argv[2] ?? '{}') as CaseSearchRequest;
  const { filtered, pageQuery, countQuery } = buildSearchQuery(db, request, await getCaseSettings(db));
  // The planner estimate searchCases uses for TotalHits when the page is full (cached per filter for a minute).
  const f = filtered.select(sql`1`.as('one')).compile();
  const plan = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
    CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${f.sql}`, [...f.parameters]),
  );
  console.log(`--- planner estimate of the hits: ${plan.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows']} (an exact count runs only at ${EXACT_COUNT_LIMIT} or fewer)`);
  for (const [name, q] of [['page', pageQuery], ['count', countQuery]] as Array<[string, Compilable]>) {
    const c = q.compile();
    const r = await db.executeQuery<Record<string, string>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${c.sql}`, [...c.parameters]));
    console.log(`--- ${name} query\n${r.rows.map((row) => row['QUERY PLAN']).join('\n')}`);
  }
} finally {
  await db.destroy();
}
