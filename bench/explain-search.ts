import { CompiledQuery, type Compilable } from 'kysely';
import { buildSearchQuery, type CaseSearchRequest } from '../src/cases/search.js';
import { createDb } from '../src/db/database.js';
import { getCaseSettings } from '../src/settings/settings.repository.js';

/**
 * `npx tsx bench/explain-search.ts '{"SearchText":"refund"}'`: EXPLAIN (ANALYZE, BUFFERS) of the page
 * query and the capped count query a search runs, against the bench database (or BENCH_DATABASE_URL).
 */
const db = createDb(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/intake_bench');
try {
  const request = JSON.parse(process.argv[2] ?? '{}') as CaseSearchRequest;
  const { pageQuery, countQuery } = buildSearchQuery(db, request, await getCaseSettings(db));
  for (const [name, q] of [['page', pageQuery], ['count', countQuery]] as Array<[string, Compilable]>) {
    const c = q.compile();
    const r = await db.executeQuery<Record<string, string>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${c.sql}`, [...c.parameters]));
    console.log(`--- ${name} query\n${r.rows.map((row) => row['QUERY PLAN']).join('\n')}`);
  }
} finally {
  await db.destroy();
}
