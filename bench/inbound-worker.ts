import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_WORKER_BATCH_SIZE, DEFAULT_WORKER_CONCURRENCY, loadConfig } from '../src/config.js';
import { createDb, ensureDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { startInboundWorker } from '../src/inbound/inbound-worker.js';
import { storeRawMessage } from '../src/inbound/store.js';
import { createLogger } from '../src/logger.js';
import { acknowledgementHooks } from '../src/outbound/ack-hooks.js';
import { createQueues, createRedis, inboundJobId } from '../src/queue/queues.js';
import { cpuWindow, processGroups } from './ingest-cpu.js';
import { loadCorpus } from './ingest-corpus.js';

/**
 * `npx tsx bench/inbound-worker.ts [--count 500] [--concurrency 100] [--batch 50] [--reply-gap 100] [--no-ack] [--statements] [--profile FILE] [--corpus]`
 *
 * The worker alone, in-process, without IMAP: `count` small customer mails are stored with storeRawMessage
 * and queued, then startInboundWorker (real Redis, real PostgreSQL) drains the backlog. Every third
 * message (from `reply-gap` on) answers the message `reply-gap` earlier by In-Reply-To, so the run has
 * new cases and replies. New cases are acknowledged as in workers/worker.ts (queueAcknowledgement in the
 * inbound transaction) unless `--no-ack`. Prints messages/s, PostgreSQL round trips per message (by
 * statement with `--statements`) and CPU per message of this process and of the database's backends.
 * `--profile FILE` writes a V8 CPU profile of the drain alone (not the store phase) to FILE. `--corpus` takes the
 * SpamAssassin messages of bench:ingest (bench/ingest-corpus.ts, as customer mail) instead of the small mails.
 * Own database and queue prefix, removed afterwards.
 */
const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: String(DEFAULT_WORKER_CONCURRENCY) },
    batch: { type: 'string', default: String(DEFAULT_WORKER_BATCH_SIZE) },
    'reply-gap': { type: 'string', default: '100' },
    'no-ack': { type: 'boolean', default: false },
    statements: { type: 'boolean', default: false },
    profile: { type: 'string' },
    corpus: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const gap = Number(args['reply-gap']);
const tag = randomBytes(4).toString('hex');
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/intake_benchworker_${tag}`;
const prefix = `bench-worker-${tag}`;

// Counts every statement the pool sends (BEGIN and COMMIT included): the round trips per message.
let queries = 0;
const byText = new Map<string, number>();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  queries++;
  if (args.statements) {
    const q = a[0] as string | { text?: string; name?: string };
    const named = typeof q === 'object' && q?.name ? '[prepared] ' : '';
    const text = named + (typeof q === 'string' ? q : (q?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 100);
    byText.set(text, (byText.get(text) ?? 0) + 1);
  }
  return (query as (...x: unknown[]) => unknown).apply(this, a);
} as typeof query;

const paragraph =
  'I ordered a standing desk last month and the left leg wobbles when the desk is raised. I tightened every ' +
  'screw as the manual says, but it still moves by about a centimetre. Could you send a replacement part or ' +
  'tell me what else to try? The order confirmation is attached to this mail as text.\r\n';
const messageId = (i: number) => `bench-${tag}-${i}@customer.example`;
function mail(i: number): Buffer {
  const reply = i >= gap && i % 3 === 0;
  const lines = [
    `From: Customer ${i} <customer${i}@customer.example>`, // one sender each, as in the corpus: every new case is acknowledged
    'To: Support <support@example.com>',
    `Cc: Colleague <colleague${i % 7}@customer.example>`,
    `Subject: ${reply ? 'Re: ' : ''}Desk wobbles #${10000 + (i % 900)}`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    `Message-ID: <${messageId(i)}>`,
    ...(reply ? [`In-Reply-To: <${messageId(i - gap)}>`, `References: <${messageId(i - gap)}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    paragraph.repeat(6),
    ...(reply ? ['On Mon, 23 Nov 2026 Support wrote:', ...paragraph.split(' ').map(() => '> earlier text')] : []),
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

await ensureDatabase(dbUrl.toString());
const db = createDb(dbUrl.toString());
await migrateToLatest(db);
const config = loadConfig({
  DATABASE_URL: dbUrl.toString(),
  REDIS_URL: redisUrl,
  MAIL_FROM: 'support@example.com',
  QUEUE_PREFIX: prefix,
});
const producer = createRedis(redisUrl, 'producer');
const queues = createQueues(producer, prefix);
const connection = createRedis(redisUrl, 'worker');

try {
  let t = performance.now();
  const jobs = [];
  const corpus = args.corpus ? loadCorpus({ count, asCustomerMail: true }, tag) : null;
  for (let i = 0; i < count; i++)
    jobs.push((await storeRawMessage(db, { mailbox: 'bench', raw: corpus ? corpus[i]!.raw : mail(i) })).job);
  const storeMs = performance.now() - t;
  await queues.inbound.addBulk(jobs.map((job) => ({ name: 'message', data: job, opts: { jobId: inboundJobId(job) } })));

  queries = 0;
  byText.clear();
  const logger = createLogger('warn');
  const cpu = cpuWindow(processGroups({ worker: [process.pid] }, dbUrl.pathname.slice(1), '/nonexistent-dovecot'));
  const profiler = args.profile ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  t = performance.now();
  const worker = startInboundWorker({
    db,
    config,
    logger,
    connection,
    prefix,
    concurrency: Number(args.concurrency),
    batchSize: Number(args.batch),
    hooks: args['no-ack'] ? {} : acknowledgementHooks({ config, logger }),
  });
  for (;;) {
    const row = await db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', 'in', ['processed', 'ignored', 'failed'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) >= count) break;
    await sleep(20);
  }
  const ms = performance.now() - t;
  const used = cpu.stop();
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(args.profile!, JSON.stringify(profile));
    profiler.disconnect();
  }
  const polls = Math.ceil(ms / 20); // the wait loop's own count queries
  await worker.close();
  const cases = await db
    .selectFrom('cases')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  const byStatus = await db
    .selectFrom('messages')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  console.log(`store: ${(count / (storeMs / 1000)).toFixed(0)} msg/s (storeRawMessage, one at a time)`);
  console.log(
    `worker: ${count} messages in ${(ms / 1000).toFixed(2)} s = ${(count / (ms / 1000)).toFixed(0)} msg/s (concurrency ${args.concurrency}, batch ${args.batch})`,
  );
  console.log(
    `queries: ~${((queries - polls) / count).toFixed(1)} per message; cases ${cases.n}; ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ')}`,
  );
  const perMessage = (s: number) => ((s * 1000) / count).toFixed(1);
  console.log(
    `CPU per message: this process (worker + wait loop) ${perMessage(used.groups.worker!)} ms, PostgreSQL ${perMessage(used.groups.postgres!)} ms, ` +
      `Redis ${perMessage(used.groups.redis!)} ms; machine busy ${((100 * used.machineBusy) / used.machineTotal).toFixed(0)}%`,
  );
  if (args.statements) {
    for (const [text, n] of [...byText].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(`${(n / count).toFixed(2).padStart(6)}  ${text}`);
  }
} finally {
  await queues.inbound.obliterate({ force: true }).catch(() => undefined);
  await queues.close();
  connection.disconnect();
  producer.disconnect();
  await db.destroy();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbUrl.pathname.slice(1))} WITH (FORCE)`);
  await admin.end();
}
