import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { CaseSearchRequest } from '../src/cases/search-request.js';
import { planSearch, readPlannedPage } from '../src/cases/search.js';
import { createDb } from '../src/db/database.js';
import { cpuTicks, TICKS_PER_SECOND } from './cpu.js';

/**
 * `npx tsx bench/search-cost.ts [--runs 300] '{"SearchText":"refund","Page":1}' 'damaged laptop' ...` (a request, or a SearchText alone): PostgreSQL's CPU per page
 * of each search request, read as the server reads it (planSearch's plan, readPlannedPage's prepared statement, two when a capped walk falls back), run --runs times in a row on ONE
 * connection against the bench database (or BENCH_DATABASE_URL), read from the backend's /proc CPU counters.
 * What one search costs the database, without the HTTP server, the load generator or the other connections.
 */
const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '300' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const db = createDb(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/intake_bench', {
  poolSize: 1,
});

/** CPU time of a process in ms. */
const cpuMs = (pid: number): number => (cpuTicks(pid) * 1000) / TICKS_PER_SECOND;

try {
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
  const pid = rows[0]!.pid;
  for (const text of positionals) {
    const request = (text.startsWith('{') ? JSON.parse(text) : { SearchText: text }) as CaseSearchRequest;
    const planned = await planSearch(db, request);
    const { plan } = planned;
    for (let i = 0; i < 10; i++) await readPlannedPage(db, planned); // warm: cache, prepared, plans
    const before = cpuMs(pid);
    const t = performance.now();
    for (let i = 0; i < runs; i++) await readPlannedPage(db, planned);
    const wall = (performance.now() - t) / runs;
    console.log(
      `${((cpuMs(pid) - before) / runs).toFixed(3)} ms CPU, ${wall.toFixed(3)} ms wall  ${plan.padEnd(10)} ${text}`,
    );
  }
} finally {
  await db.destroy();
}
