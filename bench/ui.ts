import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createAppContext } from '../src/app-context.js';
import { createStaffUser } from '../src/auth/staff-users.js';
import { loadConfig } from '../src/config.js';
import { createDb, ensureDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { buildServer } from '../src/http/server.js';
import { createLogger } from '../src/logger.js';
import { seedCases, seededCount } from './seed.js';

/**
 * `npm run bench:ui [-- --cases N --reseed --runs R]`
 *
 * The server time of what the staff inbox asks for most, at 1,000,000 cases: the case list (the default search
 * page), a filtered list (several statuses and an assignee), My Cases, the counts, and the case view (GET case and
 * its thread). Its own database, `intake_bench_ui` (BENCH_UI_DATABASE_URL), seeded like bench:api (bench/seed.ts)
 * and then given threads (notes, inbound messages with raw mail and attachments) on some cases; each stage is
 * recorded when done, so an interrupted seed resumes at the stage it was in. Requests go through the whole app
 * (app.inject: routing, session cookie, validation, serialisation) one at a time; p50 and p95 per operation.
 */
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/intake_bench_ui';
const DEFAULT_CASES = 1_000_000;
/** Cases that get a thread: every THREAD_EVERY-th case. */
const THREAD_EVERY = 20;
const TARGET_P95_MS = 100;
const STAGE_KEY = 'bench-ui';
const USER = { email: 'bench.agent@example.com', name: 'Bench Agent', password: 'bench-agent-password' };

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: process.env.BENCH_CASES ?? String(DEFAULT_CASES) },
    reseed: { type: 'boolean', default: false },
    runs: { type: 'string', default: '200' },
  },
});
const cases = Number(args.cases);
const runs = Number(args.runs);
const databaseUrl = process.env.BENCH_UI_DATABASE_URL ?? DEFAULT_DATABASE_URL;
const databaseName = new URL(databaseUrl).pathname.slice(1);
const log = (line: string) => process.stderr.write(`${line}\n`);

await ensureDatabase(databaseUrl);
const db = createDb(databaseUrl);
await migrateToLatest(db);
await sql`ALTER DATABASE ${sql.id(databaseName)} SET jit = off`.execute(db);
await sql`ALTER DATABASE ${sql.id(databaseName)} SET random_page_cost = 1.1`.execute(db);

const stage = async (): Promise<string | undefined> =>
  (
    (await db.selectFrom('settings').select('value').where('key', '=', STAGE_KEY).executeTakeFirst())?.value as
      { stage?: string } | undefined
  )?.stage;
const setStage = async (value: string) => {
  const json = JSON.stringify({ stage: value, cases });
  await db
    .insertInto('settings')
    .values({ key: STAGE_KEY, value: json })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json }))
    .execute();
};

if (args.reseed || (await seededCount(db)) !== cases) {
  log(`seeding ${cases.toLocaleString('en')} cases into ${databaseName} ...`);
  const started = performance.now();
  await db.deleteFrom('settings').where('key', '=', STAGE_KEY).execute();
  await seedCases(db, cases, log);
  log(`  cases seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} else log(`reusing ${cases.toLocaleString('en')} seeded cases in ${databaseName} (--reseed to rebuild)`);

// The bench user, and the cases of one seeded agent made theirs (My Cases).
let userId = (await db.selectFrom('staff_users').select('id').where('email', '=', USER.email).executeTakeFirst())?.id;
userId ??= (await createStaffUser(db, { ...USER, role: 'agent' })).user.id;

if ((await stage()) === undefined) {
  log('  threads: notes and inbound messages on every 20th case ...');
  await sql`UPDATE cases SET assigned_to_user_id = ${userId}, assigned_to_name = ${USER.name}
    WHERE assigned_to_user_id = 'agent-1'`.execute(db);
  // One inbound message per thread case (raw mail with an attachment), the note it became, and two staff notes.
  await sql`
    INSERT INTO messages (dedupe_key, mailbox, message_id, envelope, raw, size, status, case_id, received_at, processed_at)
    SELECT 'bench-' || c.number, 'bench', 'bench-' || c.number || '@customer.example',
      jsonb_build_object('from', c.customer_email, 'subject', c.subject),
      convert_to('From: ' || c.customer_name || ' <' || c.customer_email || '>' || chr(13) || chr(10) ||
        'To: support@example.com' || chr(13) || chr(10) || 'Subject: ' || c.subject || chr(13) || chr(10) ||
        'Message-ID: <bench-' || c.number || '@customer.example>' || chr(13) || chr(10) ||
        'Content-Type: text/plain; charset=utf-8' || chr(13) || chr(10) || chr(13) || chr(10) || c.description ||
        chr(13) || chr(10) || chr(13) || chr(10) || 'On Monday, support wrote:' || chr(13) || chr(10) || '> Earlier text',
        'UTF8'),
      400, 'processed', c.id, c.created, c.created
    FROM cases c WHERE c.number % ${sql.lit(THREAD_EVERY)} = 0
    ON CONFLICT (dedupe_key) DO NOTHING`.execute(db);
  await sql`
    INSERT INTO case_notes (case_id, comment, full_text, is_public, created_by, created_by_email, source, message_id, created)
    SELECT m.case_id, c.description, c.description || E'\\n\\nOn Monday, support wrote:\\n> Earlier text', true,
      c.customer_name, c.customer_email, 'Email', m.id, c.created
    FROM messages m JOIN cases c ON c.id = m.case_id WHERE m.mailbox = 'bench'`.execute(db);
  await sql`
    INSERT INTO attachments (case_id, message_id, file_name, content_type, size, sha256, content)
    SELECT m.case_id, m.id, 'receipt.txt', 'text/plain', 12, md5(m.id::text), convert_to('receipt text', 'UTF8')
    FROM messages m WHERE m.mailbox = 'bench'`.execute(db);
  await sql`
    INSERT INTO case_notes (case_id, comment, is_public, created_by, created_by_email, source, created)
    SELECT c.id, n.text, n.pub, ${USER.name}, ${USER.email}, 'api', c.created + n.after
    FROM cases c CROSS JOIN (VALUES ('Looked into it, the parcel is with the courier.', false, interval '1 hour'),
                                    ('We have sent a replacement.', true, interval '2 hours')) n(text, pub, after)
    WHERE c.number % ${sql.lit(THREAD_EVERY)} = 0`.execute(db);
  await sql`UPDATE cases SET comment_count = 3 WHERE number % ${sql.lit(THREAD_EVERY)} = 0`.execute(db);
  log('  vacuum analyze');
  for (const t of ['cases', 'case_notes', 'messages', 'attachments', 'case_status_log'])
    await sql`VACUUM ANALYZE ${sql.table(t)}`.execute(db);
  await setStage('threads');
}

// The app as the web process builds it, over this database.
const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
const appDb = createDb(databaseUrl, { poolSize: 4 });
const app = await buildServer(createAppContext({ config, db: appDb, logger: createLogger('silent'), caseHooks: {} }), {
  logger: false,
});
await app.ready();
const signIn = await app.inject({
  method: 'POST',
  url: '/api/session',
  payload: { Email: USER.email, Password: USER.password },
});
if (signIn.statusCode !== 200) throw new Error(`sign-in failed: ${signIn.statusCode} ${signIn.body}`);
const cookie = `intake_session=${signIn.cookies.find((c) => c.name === 'intake_session')!.value}`;

const threadCases = (
  await sql<{ n: string }>`SELECT number::text AS n FROM cases
    WHERE number % ${sql.lit(THREAD_EVERY)} = 0 AND deleted_at IS NULL ORDER BY random() LIMIT ${sql.lit(runs)}`.execute(
    db,
  )
).rows.map((r) => `CS-${r.n}`);
const anyCases = (
  await sql<{
    id: string;
  }>`SELECT id FROM cases TABLESAMPLE SYSTEM (1) WHERE deleted_at IS NULL LIMIT ${sql.lit(runs)}`.execute(db)
).rows.map((r) => r.id);
const OPEN = ['New', 'In Progress', 'Reopened'];

async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<void> {
  const res = await app.inject({
    method,
    url,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
}

const operations: { name: string; run: (i: number) => Promise<void> }[] = [
  { name: 'case list (default search page)', run: () => call('POST', '/api/cases/search', {}) },
  {
    name: 'filtered list (Statuses + assignee)',
    run: (i) =>
      call('POST', '/api/cases/search', {
        Statuses: OPEN,
        AssignedToUserId: `agent-${2 + (i % 19)}`,
        SortOrder: 'ChangedDescending',
      }),
  },
  {
    name: 'My Cases (open, newest change first)',
    run: () =>
      call('POST', '/api/cases/search', { Statuses: OPEN, AssignedToUserId: userId, SortOrder: 'ChangedDescending' }),
  },
  { name: 'unassigned list', run: () => call('POST', '/api/cases/search', { Statuses: OPEN, Unassigned: true }) },
  { name: 'counts', run: () => call('GET', '/api/cases/counts') },
  {
    name: 'case view (GET case + thread), with a thread',
    run: async (i) => {
      const n = threadCases[i % threadCases.length]!;
      await call('GET', `/api/cases/${n}`);
      await call('GET', `/api/cases/${n}/thread`);
    },
  },
  {
    name: 'case view (GET case + thread), any case',
    run: async (i) => {
      const id = anyCases[i % anyCases.length]!;
      await call('GET', `/api/cases/${id}`);
      await call('GET', `/api/cases/${id}/thread`);
    },
  },
];

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const rows: string[] = [];
let failed = false;
for (const op of operations) {
  for (let i = 0; i < Math.min(20, runs); i++) await op.run(i); // warm-up: plans, caches, pages
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await op.run(i + 20);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p95 = pct(times, 95);
  if (p95 >= TARGET_P95_MS) failed = true;
  rows.push(
    `${op.name.padEnd(48)} p50 ${pct(times, 50).toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms   ${p95 < TARGET_P95_MS ? 'ok' : 'OVER TARGET'}`,
  );
  log(rows.at(-1)!);
}
console.log(
  `\nbench:ui — ${cases.toLocaleString('en')} cases, ${runs} requests per operation, one at a time (target p95 < ${TARGET_P95_MS} ms)`,
);
for (const r of rows) console.log(r);
await app.close();
await appDb.destroy();
await db.destroy();
process.exitCode = failed ? 1 : 0;
