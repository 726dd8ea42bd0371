import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createApiKey } from '../src/auth/api-keys.js';
import { createDb, ensureDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { cpuMeter } from './cpu.js';
import { chooseLoadGenerator, runLoad, SAMPLES_PER_SCENARIO, type SampleRequest } from './loadgen.js';
import { buildProduction, freePort, startProductionProcess } from './production.js';
import { BENCH_TAGS, seedCases, seededCount } from './seed.js';
import { waitFor } from '../test/helpers/wait.js';

/**
 * `npm run bench:api [-- --cases N --reseed --duration S --connections C --rate R --loadgen wrk|autocannon --only NAME --profile DIR]`
 *
 * Seeds its own database (reused when it already holds the same number of cases), builds dist/ and starts the
 * production `web` process from it (bench/production.ts) and runs a load generator (bench/loadgen.ts: wrk when it can be had, else
 * autocannon) against four scenarios. `--rate` (autocannon only) caps the overall request rate (open model);
 * without it every connection sends as fast as the server answers (closed model). `--profile DIR` writes a V8 CPU
 * profile of the server (warm-ups included) to DIR; `npx tsx bench/profile-summary.ts DIR/*.cpuprofile` reads it.
 */
const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/intake_bench';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    reseed: { type: 'boolean', default: false },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string' },
    only: { type: 'string' },
    loadgen: { type: 'string' },
    profile: { type: 'string' },
  },
});
const cases = Number(args.cases);
const duration = Number(args.duration);
const connections = Number(args.connections);
const rate = args.rate ? Number(args.rate) : undefined;
const databaseUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL;
const log = (line: string) => process.stderr.write(`${line}\n`);
const generator = rate
  ? chooseLoadGenerator(args.loadgen ?? 'autocannon', log)
  : chooseLoadGenerator(args.loadgen, log);

await ensureDatabase(databaseUrl);
const db = createDb(databaseUrl);
await migrateToLatest(db);
// The settings docs/search-and-bench.md recommends for production: JIT compiles a plan in ~40 ms, a loss for
// queries that run in a few; random_page_cost 1.1 tells the planner the data is on SSD or in RAM, so it uses
// the (status, changed) index for filtered queue views instead of filtering the changed index.
const benchDatabase = sql.id(new URL(databaseUrl).pathname.slice(1));
await sql`ALTER DATABASE ${benchDatabase} SET jit = off`.execute(db);
await sql`ALTER DATABASE ${benchDatabase} SET random_page_cost = 1.1`.execute(db);

let seedSeconds: number | null = null;
if (args.reseed || (await seededCount(db)) !== cases) {
  log(`seeding ${cases.toLocaleString('en')} cases into ${new URL(databaseUrl).pathname.slice(1)} ...`);
  const started = performance.now();
  await seedCases(db, cases, log);
  seedSeconds = (performance.now() - started) / 1000;
  log(`seeded in ${seedSeconds.toFixed(1)} s`);
} else {
  log(`reusing the seeded database (${cases.toLocaleString('en')} cases; --reseed to rebuild)`);
}
// Cases the benchmark created last time make the next run slower to compare: remove them. They are the newest
// rows, where every search sorted by Created starts reading, so vacuum their dead tuples away too (autovacuum
// would only start at 20 % of the table: measured 196,000 dead tuples raised the text search's PostgreSQL
// CPU from 1.1 to 2.1 ms per request).
const removed = await sql`DELETE FROM cases WHERE number > ${sql.lit(cases + 1000)}`.execute(db);
if (Number(removed.numAffectedRows ?? 0) > 0) {
  log(`removed ${removed.numAffectedRows} cases of the last run; vacuuming ...`);
  await sql`VACUUM cases`.execute(db);
  await sql`VACUUM case_search`.execute(db);
}

const { key } = await createApiKey(db, { name: `bench-${Date.now()}`, scope: 'admin' });
const { rows: idRows } = await sql<{ id: string }>`
  SELECT id FROM cases TABLESAMPLE SYSTEM (1) WHERE deleted_at IS NULL LIMIT 20000`.execute(db);
const ids = idRows.map((r) => r.id);

buildProduction(log);
const server = await startServer(databaseUrl);
const base = `http://127.0.0.1:${server.port}`;

const random = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const TEXTS = [
  'refund',
  'parcel',
  'damaged laptop',
  'invoic',
  'broken camera',
  'courier deliver',
  'password locked',
  'warranty claim',
];
const RARE_TEXTS: Array<() => string> = [
  () => random(['zebra', 'kumquat', 'xylophone', 'quarantine refund']),
  () => String(1001 + Math.floor(Math.random() * cases)),
  () => `customer${Math.floor(Math.random() * 100_000) + 1}`,
];
const STATUSES = ['New', 'In Progress', 'Resolved'];
const PRIORITIES = ['High', 'Critical'];
const SORTS = ['ChangedDescending', 'CreatedAscending', 'CreatedDescending'];

const post =
  (path: string, body: () => unknown): (() => SampleRequest) =>
  () => ({ method: 'POST', path, body: JSON.stringify(body()) });

// Each scenario is SAMPLES_PER_SCENARIO requests made up front, sent in random order (by either generator).
const scenarios: Array<{ name: string; request: () => SampleRequest }> = [
  { name: 'GET /api/cases/{id}', request: () => ({ method: 'GET', path: `/api/cases/${random(ids)}` }) },
  { name: 'search: text', request: post('/api/cases/search', () => ({ SearchText: random(TEXTS) })) },
  // What agents also type: a word no case has, a case number without its prefix, a customer's address part.
  { name: 'search: rare text', request: post('/api/cases/search', () => ({ SearchText: random(RARE_TEXTS)() })) },
  {
    name: 'search: filtered+sorted',
    request: post('/api/cases/search', () => ({
      Status: random(STATUSES),
      Priority: random(PRIORITIES),
      Tags: [random(BENCH_TAGS)],
      SortOrder: random(SORTS),
      Page: Math.floor(Math.random() * 3),
    })),
  },
  {
    name: 'POST /api/cases',
    request: post('/api/cases', () => ({
      Subject: `Bench ${random(TEXTS)} ${Math.random().toString(36).slice(2, 8)}`,
      Description: 'Created by the API benchmark.',
      CustomerEmail: `customer${Math.floor(Math.random() * 100_000) + 1}@example${Math.floor(Math.random() * 50)}.com`,
    })),
  },
];

interface Row {
  scenario: string;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  non2xx: number;
  /** CPU milliseconds (server + its PostgreSQL backends) per request. */
  cpuMs: number | null;
  /** The same, the Node server's part and the PostgreSQL backends' part. */
  nodeMs: number | null;
  pgMs: number | null;
}
const rows: Row[] = [];
const perRequest = (seconds: number | undefined, requests: number) =>
  seconds === undefined || requests === 0 ? null : (seconds * 1000) / requests;
const meter = cpuMeter(server.child.pid!, new URL(databaseUrl).pathname.slice(1));
try {
  for (const s of scenarios) {
    if (args.only && !s.name.includes(args.only)) continue;
    const samples = Array.from({ length: SAMPLES_PER_SCENARIO }, s.request);
    const run = (seconds: number) =>
      runLoad(generator, samples, {
        url: base,
        connections,
        durationSeconds: seconds,
        rate,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      });
    log(`${s.name}: warm-up 3 s, then ${duration} s (${generator})`);
    await run(3);
    meter.start();
    const r = await run(duration);
    const cpu = meter.stop();
    rows.push({
      scenario: s.name,
      p50: r.p50,
      p99: r.p99,
      rps: r.rps,
      errors: r.errors,
      non2xx: r.non2xx,
      cpuMs: perRequest(cpu?.total, r.requests),
      nodeMs: perRequest(cpu?.server, r.requests),
      pgMs: perRequest(cpu?.database, r.requests),
    });
  }
} finally {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
  await db.destroy();
}

const mode = rate ? `open model, ${rate} req/s overall` : 'closed model, as fast as answered';
console.log(
  `\nintake API benchmark: ${cases.toLocaleString('en')} cases, ${connections} connections, ${duration} s per scenario (${mode}, ${generator})`,
);
console.log(seedSeconds === null ? 'seed: reused existing database' : `seed: ${seedSeconds.toFixed(1)} s`);
console.table(
  rows.map((r) => ({
    scenario: r.scenario,
    'p50 ms': r.p50,
    'p99 ms': r.p99,
    'req/s': Math.round(r.rps),
    errors: r.errors,
    'non-2xx': r.non2xx,
    'CPU ms/req': r.cpuMs === null ? '-' : Number(r.cpuMs.toFixed(2)),
    'node ms': r.nodeMs === null ? '-' : Number(r.nodeMs.toFixed(2)),
    'pg ms': r.pgMs === null ? '-' : Number(r.pgMs.toFixed(2)),
  })),
);
console.log(
  'CPU ms/req: CPU time of the server and its PostgreSQL backends per request. Unlike latency it hardly depends on\n' +
    `other load on the machine: ${availableParallelism()} idle cores could serve about ${availableParallelism()} * 1000 / (CPU ms/req) requests/s.`,
);

/** The production `web` process (workers/web.ts from dist/, as the Procfile starts it), answering on a free port. */
async function startServer(url: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
  // LOG_LEVEL=warn: what docs/operations.md recommends for production (no line per request).
  // QUEUE_PREFIX of its own: nothing the bench does can land in the queues of an intake that uses the same Redis.
  const env = {
    ...process.env,
    DATABASE_URL: url,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: 'intake-bench-api',
    // One key sends every request: counted as in production (one Redis call each), never refused.
    RATE_LIMIT_PER_API_KEY: String(1e9),
  };
  const child = startProductionProcess('web', env, profile);
  await waitFor(
    'the web process to answer /healthz',
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the web process exited (${child.exitCode ?? child.signalCode}) before it answered /healthz`);
      }
      return fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    60_000,
    100,
  );
  return { child, port };
}
