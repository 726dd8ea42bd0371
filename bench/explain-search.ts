import { CompiledQuery } from 'kysely';
import { EXACT_COUNT_LIMIT, type CaseSearchRequest } from '../src/cases/search-request.js';
import { planSearch } from '../src/cases/search.js';
import { createDb } from '../src/db/database.js';

/**
 * `npx tsx bench/explain-search.ts '{"SearchText":"refund"}'`: the plan the server chooses for a search
 * (ordered, hits-first, ids-first, walk or capped-walk, src/cases/search.ts), then EXPLAIN (ANALYZE, BUFFERS) of the page statement
 * (for every plan but `ordered` the ids are an InitPlan, and intake_cases_in_order() reads their cases by id)
 * and of the capped count statement it would send, and the planner's estimate of the hits, against the bench
 * database (or BENCH_DATABASE_URL).
 */
const db = createDb(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/intake_bench');
try {
  const request = JSON.parse(process.argv[2] ?? '{}') as CaseSearchRequest;
  const { plan, statements } = await planSearch(db, request);
  console.log(`--- plan: ${plan}`);
  // The planner estimate searchCases uses for TotalHits when the page is full (cached per filter for a minute).
  const estimate = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
    CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${statements.estimate.sql}`, [...statements.estimate.parameters]),
  );
  console.log(
    `--- planner estimate of the hits: ${estimate.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows']} (an exact count runs only at ${EXACT_COUNT_LIMIT} or fewer)`,
  );
  for (const [name, q] of [
    ['page', statements.page],
    ['count', statements.count],
  ] as const) {
    const r = await db.executeQuery<Record<string, string>>(
      CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, [...q.parameters]),
    );
    console.log(`--- ${name} statement\n${r.rows.map((row) => row['QUERY PLAN']).join('\n')}`);
  }
} finally {
  await db.destroy();
}
