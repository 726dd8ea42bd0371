import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { createDb } from '../src/db/database.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { makeMessage, startDovecot, type DovecotServer } from '../test/helpers/dovecot.js';
import { waitFor } from '../test/helpers/wait.js';
import { cpuTicks, TICKS_PER_SECOND } from './cpu.js';
import { percentile } from './loadgen.js';
import { buildProduction, runAppCli, startProductionProcess } from './production.js';

/**
 * `npm run bench:mailboxes` (env BENCH_MAILBOXES=1000, BENCH_RATE=50, BENCH_SECONDS=60, BENCH_REST_SECONDS=30,
 * BENCH_WORKERS=1, POLL_INTERVAL_MS=30000, IMAP_MAX_CONCURRENT_LOGINS; BENCH_PROFILE=1 writes the poller's CPU profile)
 *
 * One poller process watching BENCH_MAILBOXES mailboxes of a throw-away Dovecot (one user each, IMAP_URLS), worker
 * process(es), both from dist/ as the Procfile runs them, a database and queue prefix of their own:
 * 1. connect: time from the poller's start until every mailbox is connected and idle (mailbox_state.state);
 * 2. load: BENCH_RATE messages a second for BENCH_SECONDS, each APPENDed to a mailbox picked at random; per message the
 *    time from the APPEND to its row stored by the poller (messages.received_at) and to its case committed
 *    (messages.processed_at, set with clock_timestamp() in the transaction that creates or updates the case);
 * 3. rest: the poller's CPU time over BENCH_REST_SECONDS of quiet after the load, per mailbox and second, and the
 *    database transactions of the bench database meanwhile.
 * The poller's memory is read from /proc/<pid>/status (VmRSS sampled, VmHWM the kernel's peak).
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const mailboxes = env('BENCH_MAILBOXES', 1000);
const rate = env('BENCH_RATE', 50);
const seconds = env('BENCH_SECONDS', 60);
const restSeconds = env('BENCH_REST_SECONDS', 30);
const workerCount = env('BENCH_WORKERS', 1);
const pollIntervalMs = env('POLL_INTERVAL_MS', 30_000);
const total = Math.round(rate * seconds);
const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);
const tag = randomBytes(3).toString('hex');
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const users = Array.from({ length: mailboxes }, (_, i) => `mb${i}-${tag}`);

/**
 * Dovecot for a thousand connections and more (the poller's and the appenders'): logins in high-performance mode
 * (a few long-lived imap-login processes proxy every TLS session), and one imap process per connection, as Dovecot
 * runs by default.
 */
const DOVECOT_EXTRA = `
default_client_limit = ${mailboxes * 4 + 1000}
service imap-login {
  service_count = 0
  client_limit = ${mailboxes * 3 + 100}
  process_min_avail = 2
  vsz_limit = 1G
}
service imap {
  process_limit = ${mailboxes * 2 + 200}
}
service anvil {
  client_limit = ${mailboxes * 4 + 1000}
}
service auth {
  client_limit = ${mailboxes * 4 + 1000}
}
`;

// ---- Linux limits ------------------------------------------------------------------------------------------
/** Dovecot's IDLE watches the mailbox with inotify, one instance per imap process; without one it polls every 30 s. */
function checkLimits(): void {
  const file = '/proc/sys/fs/inotify/max_user_instances';
  const wanted = Math.max(1024, mailboxes * 2 + 512);
  try {
    const now = Number(readFileSync(file, 'utf8'));
    if (now < wanted) {
      if (userInfo().uid === 0) {
        writeFileSync(file, String(wanted));
        log(`fs.inotify.max_user_instances raised from ${now} to ${wanted} (Dovecot's IDLE uses inotify)`);
      } else {
        log(
          `fs.inotify.max_user_instances is ${now}: if Dovecot runs out of inotify instances, IDLE falls back to checking every 30 s (raise it: sudo sysctl fs.inotify.max_user_instances=${wanted})`,
        );
      }
    }
  } catch {
    log('could not read fs.inotify.max_user_instances (not Linux?)');
  }
  // Children inherit this process's limit: the poller needs a descriptor per mailbox, this process one per appender.
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? 0);
    if (soft && soft < mailboxes * 2 + 200)
      log(`open files limit (ulimit -n) is ${soft}, too low for ${mailboxes} mailboxes: raise it to ${mailboxes * 3}`);
  } catch {
    // not Linux
  }
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// ---- services ----------------------------------------------------------------------------------------------
checkLimits();
buildProduction(log);
const dovecot: DovecotServer = await startDovecot({ extraConfig: DOVECOT_EXTRA });
const dbName = `intake_bench_mailboxes_${tag}`;
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
runAppCli(['migrate'], { DATABASE_URL: dbUrl }); // creates the database too
const db = createDb(dbUrl, { poolSize: 2 });
const prefix = `bench-mb-${tag}`;
const redis = new Redis(redisUrl);
redis.on('error', () => undefined);
const children: ChildProcess[] = [];
/** One APPEND connection per mailbox, opened when the mailbox gets its first message. */
const appenders = new Map<string, Promise<ImapFlow>>();

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  await Promise.all([...appenders.values()].map((p) => p.then((c) => c.close()).catch(() => undefined)));
  await db.destroy();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
  await admin.end();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await dovecot.stop();
}
// Interrupted (Ctrl-C, or a time limit's SIGTERM): the database, the Redis keys and Dovecot go all the same.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));

function start(name: 'poller' | 'worker'): ChildProcess {
  const urls = users.map((u) => `imap://${u}:${dovecot.password}@${dovecot.host}:${dovecot.port}/INBOX?tlsInsecure=1`);
  // node --cpu-prof writes the profile when the process exits (the SIGTERM of cleanup()).
  const profileDir = join(tmpdir(), `intake-mailboxes-profile-${tag}`);
  const profile = name === 'poller' && process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profile.length) {
    mkdirSync(profileDir, { recursive: true });
    log(`the poller's CPU profile goes to ${profileDir} (npx tsx bench/profile-summary.ts ${profileDir}/*.cpuprofile)`);
  }
  const child = startProductionProcess(
    name,
    {
      ...process.env,
      NODE_ENV: 'production',
      MESSAGE_ID_SECRET: 'bench-message-id-secret',
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      // Every mailbox in one variable, as an installation configures them (the test server offers STARTTLS).
      IMAP_URLS: name === 'poller' ? urls.join(',') : '',
      IMAP_URL: '',
      POLL_INTERVAL_MS: String(pollIntervalMs),
      MAIL_FROM: 'support@example.com',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      WORKER_HEALTH_PORT: '0',
      POLLER_HEALTH_PORT: '0',
      SMTP_URL: '',
    },
    profile,
  );
  children.push(child);
  return child;
}

async function countWhere(query: RawBuilder<{ n: string }>): Promise<number> {
  return Number((await query.execute(db)).rows[0]!.n);
}
const idleCount = () => countWhere(sql<{ n: string }>`SELECT count(*) AS n FROM mailbox_state WHERE state = 'idle'`);
const finishedCount = () =>
  countWhere(sql<{ n: string }>`SELECT count(*) AS n FROM messages WHERE status IN ('processed', 'ignored', 'failed')`);
/** Rows of mailbox_state inserted or updated so far (the poller's own writes; pg_stat_user_tables). */
async function stateWrites(): Promise<number> {
  const r = await sql<{
    n: string;
  }>`SELECT n_tup_ins + n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'mailbox_state'`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
async function xactCommits(): Promise<number> {
  const r = await sql<{
    n: string;
  }>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = ${dbName}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

function appender(user: string): Promise<ImapFlow> {
  let p = appenders.get(user);
  if (!p) {
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: dovecot.password },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', (err: Error) => log(`appender ${user}: ${err.message}`));
    p = client.connect().then(() => client);
    appenders.set(user, p);
  }
  return p;
}

try {
  // ---- connect -----------------------------------------------------------------------------------------------
  const pollerStarted = Date.now();
  const poller = start('poller');
  for (let i = 0; i < workerCount; i++) start('worker');
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, procStatus(poller.pid!, 'VmRSS'))), 500);
  let lastLog = 0;
  await waitFor(
    async () => `every mailbox idle (${await idleCount()} of ${mailboxes})`,
    async () => {
      const n = await idleCount();
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`connected and idle: ${n} of ${mailboxes} after ${((Date.now() - pollerStarted) / 1000).toFixed(1)} s`);
      }
      return n >= mailboxes;
    },
    600_000,
    200,
  );
  const connectSeconds = (Date.now() - pollerStarted) / 1000;
  const connectCpu = cpuTicks(poller.pid!) / TICKS_PER_SECOND;
  const queue = new Queue(QUEUE_NAMES.inbound, { connection: redis, prefix });
  await waitFor('the workers', async () => (await queue.getWorkersCount()) >= workerCount, 60_000, 100);
  await queue.close();
  const rssConnected = procStatus(poller.pid!, 'VmRSS');
  log(`all ${mailboxes} mailboxes idle after ${connectSeconds.toFixed(1)} s; poller RSS ${mb(rssConnected)}`);

  // ---- load --------------------------------------------------------------------------------------------------
  log(`appending ${total} messages at ${rate}/s across ${mailboxes} mailboxes ...`);
  const appendedAt = new Map<string, number>();
  const failures: string[] = [];
  const loadCpuBefore = cpuTicks(poller.pid!);
  const loadStart = Date.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = loadStart + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const user = users[Math.floor(Math.random() * mailboxes)]!;
    const raw = makeMessage(i, { tag: `bench-${tag}` });
    const messageId = /^Message-ID: <(.+)>$/m.exec(raw)![1]!;
    // Open model: each message goes out at its time, whatever the earlier ones are doing.
    sends.push(
      appender(user)
        .then(async (client) => {
          appendedAt.set(messageId, Date.now());
          if (!(await client.append('INBOX', raw))) throw new Error('APPEND refused');
        })
        .catch((err: unknown) => void failures.push(`${user}: ${(err as Error).message}`)),
    );
  }
  await Promise.all(sends);
  const appendSeconds = (Date.now() - loadStart) / 1000;
  if (failures.length) log(`${failures.length} APPENDs failed, first: ${failures[0]}`);
  const expected = total - failures.length;
  await waitFor(
    async () => `every message to become a case (${await finishedCount()} of ${expected})`,
    async () => (await finishedCount()) >= expected,
    300_000,
    250,
  );
  const loadCpu = (cpuTicks(poller.pid!) - loadCpuBefore) / TICKS_PER_SECOND;
  const rows = await db
    .selectFrom('messages')
    .select(['message_id', 'received_at', 'processed_at', 'status'])
    .where('message_id', 'in', [...appendedAt.keys()])
    .execute();
  const stored: number[] = [];
  const done: number[] = [];
  for (const r of rows) {
    const t = appendedAt.get(r.message_id!)!;
    stored.push(r.received_at.getTime() - t);
    if (r.processed_at) done.push(r.processed_at.getTime() - t);
  }
  stored.sort((a, b) => a - b);
  done.sort((a, b) => a - b);
  const cases = await countWhere(sql<{ n: string }>`SELECT count(*) AS n FROM cases`);

  // ---- rest --------------------------------------------------------------------------------------------------
  await sleep(5_000);
  const restTicks = cpuTicks(poller.pid!);
  const restXacts = await xactCommits();
  const restStateWrites = await stateWrites();
  const restStart = Date.now();
  await sleep(restSeconds * 1000);
  const restWall = (Date.now() - restStart) / 1000;
  const restCpu = (cpuTicks(poller.pid!) - restTicks) / TICKS_PER_SECOND;
  // pg_stat_database counts this query's own transaction too, and is flushed about every second.
  const restDbXacts = (await xactCommits()) - restXacts - 2;
  const restStateRows = (await stateWrites()) - restStateWrites;
  clearInterval(sampler);
  const hwm = procStatus(poller.pid!, 'VmHWM');
  peakRss = Math.max(peakRss, procStatus(poller.pid!, 'VmRSS'));
  const stillIdle = await idleCount();

  // ---- report ------------------------------------------------------------------------------------------------
  const p = (list: number[], q: number) => `${percentile(list, q)} ms`;
  const usPerMailboxSecond = (restCpu * 1e6) / mailboxes / restWall;
  const row = (k: string, v: string, note = '') => out(`  ${k.padEnd(40)} ${v.padStart(12)}  ${note}`);
  out('');
  out(
    `intake mailboxes benchmark: ${mailboxes} mailboxes (IDLE) in one poller process, ${workerCount} worker process(es), POLL_INTERVAL_MS=${pollIntervalMs}`,
  );
  out(
    `  load: ${total} messages at ${rate}/s for ${seconds} s (appended in ${appendSeconds.toFixed(1)} s), each to a random mailbox; ${cases} cases; machine load average ${loadavg()[0]!.toFixed(1)} on this run's end`,
  );
  row('all mailboxes connected and idle', `${connectSeconds.toFixed(1)} s`, `poller CPU ${connectCpu.toFixed(1)} s`);
  row('APPEND -> stored by the poller  p50', p(stored, 50));
  row('                                p99', p(stored, 99), `max ${stored.at(-1)} ms`);
  row('APPEND -> case committed        p50', p(done, 50));
  row('                                p95', p(done, 95));
  row(
    '                                p99',
    p(done, 99),
    percentile(done, 99) < 2000 ? 'target < 2 s: met' : 'target < 2 s: MISSED',
  );
  row('                                max', `${done.at(-1)} ms`, `${done.length} of ${total} measured`);
  row('poller RSS, all connected', mb(rssConnected));
  row('poller RSS, peak', mb(Math.max(peakRss, hwm)), hwm < 1024 ** 3 ? 'target < 1 GB: met' : 'target < 1 GB: MISSED');
  row('poller CPU per message (load)', `${((loadCpu / Math.max(1, rows.length)) * 1000).toFixed(2)} ms`);
  row(
    'poller CPU at rest',
    `${usPerMailboxSecond.toFixed(1)} µs`,
    `per mailbox per second (${restCpu.toFixed(2)} CPU s over ${restWall.toFixed(0)} s)`,
  );
  row('database transactions at rest', String(restDbXacts), `bench database, all processes, ${restWall.toFixed(0)} s`);
  row('mailbox_state rows written at rest', String(restStateRows), `by the poller, ${restWall.toFixed(0)} s`);
  row('mailboxes idle at the end', `${stillIdle} of ${mailboxes}`);
  if (failures.length) row('APPENDs failed', String(failures.length));
} catch (err) {
  log(`Dovecot's log, last lines:\n${dovecotLogTail()}`);
  throw err;
} finally {
  await cleanup();
}

function dovecotLogTail(): string {
  try {
    return readFileSync(`${dovecot.dir}/dovecot.log`, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
