import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createDb } from '../src/db/database.js';
import { apiScenarios } from './api-scenarios.js';
import { DEFAULT_BENCH_PROJECTS, ensureProjects, projectScenarios } from './api-projects.js';
import { cpuMeter } from './cpu.js';
import { DEFAULT_CONNECTIONS, runOpenLoad, seededRandom } from './loadgen.js';
import { buildProduction, freePort, runAppCli, startProductionProcess } from './production.js';
import { findMaxRate, type RateStep } from './rate-search.js';
import { seedCases, seededCount } from './seed.js';
import { waitFor } from '../test/helpers/wait.js';

/**
 * `npm run bench:api [-- --cases N --reseed --step S --connections C --seed N --only NAME --profile DIR]`
 *
 * Seeds its own database (reused when it already holds the same number of cases), builds dist/ and starts the
 * production `web` process from it (of this checkout, or of BENCH_APP_DIR), then finds for each scenario the
 * highest rate whose p99 stays under the scenario's target. The load is an open model (bench/loadgen.ts):
 * Poisson arrivals from a seeded generator, latency counted from each request's scheduled time. The rate search
 * (bench/rate-search.ts) climbs a ladder of steps of S seconds (x1.5) and bisects between the last rate that
 * passed and the first that failed. `--profile DIR` writes a V8 CPU profile of the server to DIR.
 */
const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/intake_bench';
const DEFAULT_CASES = 1_000_000;
const DEFAULT_STEP_SECONDS = 6;
const LADDER_FACTOR = 1.5;
const REFINE_STEPS = 3;
const MAX_RATE = 20_000;

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: process.env.BENCH_CASES ?? String(DEFAULT_CASES) },
    reseed: { type: 'boolean', default: false },
    step: { type: 'string', default: String(DEFAULT_STEP_SECONDS) },
    connections: { type: 'string', default: String(DEFAULT_CONNECTIONS) },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    profile: { type: 'string' },
  },
});
const cases = Number(args.cases);
const stepSeconds = Number(args.step);
const connections = Number(args.connections);
const seed = Number(args.seed);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL;
const databaseName = new URL(databaseUrl).pathname.slice(1);
const log = (line: string) => process.stderr.write(`${line}\n`);
const began = performance.now();

buildProduction(log);
// The app's own CLI creates and migrates the database, so a checkout is measured on its own schema.
runAppCli(['migrate'], { DATABASE_URL: databaseUrl });
const db = createDb(databaseUrl);
// Settings recommended for production (docs/operations.md): JIT compiles a plan in ~40 ms, a loss for queries that
// run in a few; random_page_cost 1.1 tells the planner the data is on SSD or in RAM.
await sql`ALTER DATABASE ${sql.id(databaseName)} SET jit = off`.execute(db);
await sql`ALTER DATABASE ${sql.id(databaseName)} SET random_page_cost = 1.1`.execute(db);

let seedSeconds: number | null = null;
if (args.reseed || (await seededCount(db)) !== cases) {
  log(`seeding ${cases.toLocaleString('en')} cases into ${databaseName} ...`);
  const started = performance.now();
  await seedCases(db, cases, log);
  seedSeconds = (performance.now() - started) / 1000;
  log(`seeded in ${seedSeconds.toFixed(1)} s`);
} else {
  log(`reusing the seeded database (${cases.toLocaleString('en')} cases; --reseed to rebuild)`);
}
// Cases the last run created would make this run slower to compare: remove them, and vacuum their dead tuples
// (they are the newest rows, where every search sorted by Created starts reading).
const removed = await sql`DELETE FROM cases WHERE number > ${sql.lit(cases + 1000)}`.execute(db);
if (Number(removed.numAffectedRows ?? 0) > 0) {
  log(`removed ${removed.numAffectedRows} cases of the last run; vacuuming ...`);
  await sql`VACUUM cases`.execute(db);
  await sql`VACUUM case_search`.execute(db);
}

await ensureProjects(db, Number(process.env.BENCH_PROJECTS ?? DEFAULT_BENCH_PROJECTS), log);

const key = runAppCli(['apikey', 'create', '--scope', 'admin', '--name', `bench-${Date.now()}`], {
  DATABASE_URL: databaseUrl,
}).trim();
// The same ids on every run (a seeded draw of case numbers), so two runs read the same rows.
const pickNumber = seededRandom(seed);
const numbers = Array.from({ length: 20_000 }, () => 1001 + Math.floor(pickNumber() * cases));
const { rows: idRows } = await sql<{ id: string }>`
  SELECT id FROM cases WHERE number = ANY(${numbers}::bigint[]) AND deleted_at IS NULL ORDER BY number`.execute(db);
const ids = idRows.map((r) => r.id);

const server = await startServer(databaseUrl);
const meter = cpuMeter(server.child.pid!, databaseName);
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
// What the server and its backends spend with no request at all (timers, pool keep-alives), per second: taken off
// each step's CPU, so that CPU per request does not grow at low rates.
const IDLE_SECONDS = 3;
meter.start();
await sleep(IDLE_SECONDS * 1000);
const idle = meter.stop();
const idlePerSecond = {
  total: (idle?.total ?? 0) / IDLE_SECONDS,
  server: (idle?.server ?? 0) / IDLE_SECONDS,
  database: (idle?.database ?? 0) / IDLE_SECONDS,
};
log(`idle CPU: ${(idlePerSecond.total * 1000).toFixed(1)} ms/s`);
const perRequest = (seconds: number | undefined, idleSeconds: number, requests: number) =>
  seconds === undefined || requests === 0 ? null : (Math.max(0, seconds - idleSeconds) * 1000) / requests;

interface Result {
  scenario: string;
  target: number;
  best: RateStep | null;
  /** When no rate passed: the last step at the lowest rate tried, so the table still shows what it measured. */
  lowest: RateStep | undefined;
  steps: number;
}
const results: Result[] = [];
try {
  for (const [index, s] of [...apiScenarios(cases, ids), ...projectScenarios()].entries()) {
    if (args.only && !s.name.includes(args.only)) continue;
    // Every step's arrivals and requests come from a seed of its own (scenario, rate): runs send the same load.
    const step = async (rate: number, seconds: number): Promise<RateStep> => {
      const random = seededRandom(seed * 1_000_003 + index * 100_003 + rate);
      meter.start();
      const stepStart = performance.now();
      const r = await runOpenLoad({
        url: `http://127.0.0.1:${server.port}`,
        headers,
        rate,
        durationSeconds: seconds,
        seed: seed * 7919 + index * 104_729 + rate,
        next: () => s.request(random),
        connections,
      });
      const cpu = meter.stop();
      const elapsed = (performance.now() - stepStart) / 1000;
      await sleep(500); // let the server's queue and PostgreSQL's background work settle between steps
      const done = r.scheduled - r.errors;
      const row: RateStep = {
        rate,
        p50: r.p50,
        p99: r.p99,
        scheduled: r.scheduled,
        non2xx: r.non2xx,
        errors: r.errors,
        cpuMs: perRequest(cpu?.total, idlePerSecond.total * elapsed, done),
        nodeMs: perRequest(cpu?.server, idlePerSecond.server * elapsed, done),
        pgMs: perRequest(cpu?.database, idlePerSecond.database * elapsed, done),
      };
      log(
        `  ${s.name} @ ${rate}/s: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms` +
          `${r.errors || r.non2xx ? `, ${r.errors} errors, ${r.non2xx} non-2xx` : ''}` +
          `${row.cpuMs === null ? '' : `, CPU ${row.cpuMs.toFixed(2)} ms/req`}`,
      );
      return row;
    };
    await prewarm();
    log(`${s.name}: target p99 ${s.targetP99} ms; warm-up 3 s at ${s.startRate}/s`);
    await step(s.startRate, 3);
    const { best, steps } = await findMaxRate({
      start: s.startRate,
      targetP99: s.targetP99,
      maxRate: MAX_RATE,
      factor: LADDER_FACTOR,
      refine: REFINE_STEPS,
      run: (rate) => step(rate, stepSeconds),
    });
    const lowest = steps.reduce<RateStep | undefined>((low, x) => (low && low.rate < x.rate ? low : x), undefined);
    results.push({ scenario: s.name, target: s.targetP99, best, lowest, steps: steps.length });
  }
} finally {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
  await db.destroy();
}

const fixed = (n: number | null | undefined, digits: number) =>
  n === null || n === undefined ? '-' : n.toFixed(digits);
console.log(
  `\nintake API benchmark: ${cases.toLocaleString('en')} cases; open model (Poisson arrivals, seed ${seed}, ` +
    `latency from the scheduled send time), ${stepSeconds} s steps, up to ${connections} connections`,
);
console.log(seedSeconds === null ? 'seed: reused existing database' : `seed: ${seedSeconds.toFixed(1)} s`);
console.table(
  results.map((r) => {
    const shown = r.best ?? r.lowest;
    return {
      scenario: r.scenario,
      'p99 target ms': r.target,
      'max req/s': r.best ? r.best.rate : `none (${r.lowest?.rate ?? '-'} failed)`,
      'p50 ms': fixed(shown?.p50, 1),
      'p99 ms': fixed(shown?.p99, 1),
      'CPU ms/req': fixed(shown?.cpuMs, 2),
      'node ms': fixed(shown?.nodeMs, 2),
      'pg ms': fixed(shown?.pgMs, 2),
      steps: r.steps,
    };
  }),
);
console.log(
  'max req/s: the highest rate whose p99 stayed under the target with no error (when none did, the figures are\n' +
    'those of the lowest rate tried). CPU ms/req: CPU of the server and\n' +
    'its PostgreSQL backends per request at that rate (node + pg), less what they spend idle. ' +
    `Total time ${((performance.now() - began) / 60_000).toFixed(1)} min.`,
);

/**
 * Reads the tables the scenarios use and their indexes into memory (pg_prewarm, into the OS page cache), so that no
 * scenario measures the disk reads of pages the one before it left alone (a VM may page out memory idle for a
 * minute). Skipped, with a line, where the extension is not installed.
 */
async function prewarm(): Promise<void> {
  const started = performance.now();
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_prewarm`.execute(db);
    await sql`
      SELECT pg_prewarm(c.oid, 'read') FROM pg_class c
      WHERE c.oid IN ('cases'::regclass, 'case_search'::regclass, 'projects'::regclass)
         OR c.oid IN (SELECT indexrelid FROM pg_index
                      WHERE indrelid IN ('cases'::regclass, 'case_search'::regclass, 'projects'::regclass))`.execute(
      db,
    );
    log(
      `prewarmed cases, case_search, projects and their indexes in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    log(`no prewarm (${(err as Error).message})`);
  }
}

/** The production `web` process (as the Procfile starts it), answering on a free port. */
async function startServer(url: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
  // LOG_LEVEL=warn: what docs/operations.md recommends for production (no line per request).
  // QUEUE_PREFIX of its own: nothing the bench does can land in the queues of an intake that uses the same Redis.
  const env = {
    ...process.env,
    DATABASE_URL: url,
    NODE_ENV: 'production',
    // Production refuses the development default; the bench sends no mail, any value of its own will do.
    MESSAGE_ID_SECRET: 'bench-api-message-id-secret',
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
