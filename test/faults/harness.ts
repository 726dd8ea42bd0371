import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createDb, ensureDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import {
  appendMany,
  createFolder,
  deleteFolder,
  listFolders,
  listMessages,
  testDovecot,
  type DovecotInfo,
} from '../helpers/dovecot.js';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
  type PrivateRedisOptions,
} from '../helpers/private-services.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import type { Corpus } from './corpus.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const FOLDER = 'Support';

/** A worker or poller run as a real child process. */
export interface ProcessHandle {
  child: ChildProcess;
  /** Its /readyz port. */
  healthPort: number;
  /** stderr so far (the one-line reasons of a refused start). */
  stderr(): string;
}

/** What a scenario measured, against the corpus's known structure. */
export interface FaultReport {
  cases: number;
  /** Messages not where a fault-free run puts them (wrong case, extra case, or a case where none belongs). */
  misfiled: number;
  /** Cases whose number of notes differs from its conversation's number of messages. */
  wrongNotes: number;
  /** Acknowledgement rows (outbox kind ack): one per case expected. */
  acks: number;
  casesWithoutOneAck: number;
  /** Rows not processed or ignored, and duplicate rows for a Message-ID. */
  unfinished: number;
  duplicates: number;
  drainSeconds: number;
}

/**
 * One scenario's world: its own database on the private PostgreSQL, its own queue prefix on the private Redis, its
 * own Dovecot user with the corpus in a folder, and the worker and poller processes the scenario starts and kills.
 */
export class FaultRun {
  readonly prefix = `fault-${randomBytes(3).toString('hex')}`;
  readonly user = `fault-${randomBytes(3).toString('hex')}`;
  readonly children = new Set<ChildProcess>();
  db!: Db;
  dovecot!: DovecotInfo;
  databaseName = `intake_fault_${randomBytes(3).toString('hex')}`;
  started = 0;

  constructor(
    readonly pg: PrivatePostgres,
    /** A Redis of the test's own: one server, a Sentinel set or a Cluster; `url` is intake's REDIS_URL. */
    readonly redis: { url: string },
    readonly corpus: Corpus,
  ) {}

  /** Database made and migrated, folder created with the whole corpus appended (the backlog). */
  async prepare(options: { append?: boolean } = {}): Promise<void> {
    this.dovecot = await testDovecot();
    const url = this.pg.url(this.databaseName);
    await ensureDatabase(url);
    this.db = createDb(url, { poolSize: 2 });
    await migrateToLatest(this.db);
    await createFolder(this.user, FOLDER);
    if (options.append !== false) await this.append();
  }

  /** Appends the whole corpus: at once (a backlog), or `perSecond` messages a second (a live stream). */
  async append(options: { perSecond?: number } = {}): Promise<void> {
    await appendMany(
      this.user,
      this.corpus.mails.map((m) => m.raw),
      FOLDER,
      options,
    );
  }

  /**
   * Deletes and recreates the folder with every message appended again: a new UIDVALIDITY, the same mail.
   * Dovecot may refuse DELETE for a moment ("[INUSE]") while the poller's session holds the folder, and the
   * poller's session, closing the deleted folder, can remove the new folder's index under a fast CREATE
   * ("Mailbox was deleted under us"). Either way the rebuild starts again, as an administrator would; a
   * second rebuild is one more UIDVALIDITY change for intake, and must not double anything either.
   */
  async recreateFolder(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await listFolders(this.user)).includes(FOLDER)) await deleteFolder(this.user, FOLDER);
        await createFolder(this.user, FOLDER);
        await this.append();
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        console.warn(`rebuilding ${FOLDER} again after: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const d = this.dovecot;
    return {
      ...process.env,
      DATABASE_URL: this.pg.url(this.databaseName),
      REDIS_URL: this.redis.url,
      QUEUE_PREFIX: this.prefix,
      IMAP_URL: `imap://${this.user}:${d.password}@${d.host}:${d.port}/${FOLDER}?tlsInsecure=1`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      FETCH_BATCH: '25',
      POLL_INTERVAL_MS: '1000',
      SMTP_URL: '',
      ...extra,
    };
  }

  /**
   * Starts workers/<name>.ts (`node --import tsx`, so a SIGKILL hits the process itself). `healthPort` is the worker's
   * or poller's health server, or the web process's own port.
   */
  async start(name: 'worker' | 'poller' | 'web', extra: Record<string, string> = {}): Promise<ProcessHandle> {
    if (this.started === 0) this.started = Date.now();
    const healthPort = await freePort();
    const portVariable = { worker: 'WORKER_HEALTH_PORT', poller: 'POLLER_HEALTH_PORT', web: 'PORT' }[name];
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, `workers/${name}.ts`)], {
      cwd: ROOT,
      env: this.env({ [portVariable]: String(healthPort), ...extra }),
      stdio: ['ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (process.env.TEST_LOG_LEVEL) process.stderr.write(chunk);
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return { child, healthPort, stderr: () => stderr };
  }

  /** SIGKILL, and waits for the exit. */
  async kill(handle: ProcessHandle): Promise<void> {
    const { child } = handle;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Messages of the corpus stored and finished (processed or ignored). */
  async finished(): Promise<number> {
    const r = await sql<{
      n: string;
    }>`SELECT count(*) AS n FROM messages WHERE status IN ('processed', 'ignored')`.execute(this.db);
    return Number(r.rows[0]!.n);
  }

  /** Rows by status, and the decisions of rows not finished: what a time-out message shows. */
  async state(): Promise<string> {
    const r = await sql<{ status: string; n: string }>`SELECT status, count(*) AS n FROM messages GROUP BY status`
      .execute(this.db)
      .catch(() => null);
    return r ? r.rows.map((x) => `${x.status} ${x.n}`).join(', ') : 'database not answering';
  }

  /** Waits (polling the database) until at least `n` messages are finished. */
  async finishedAtLeast(n: number, timeoutMs = 120_000): Promise<void> {
    await waitFor(
      async () => `${n} finished messages (${await this.state()})`,
      async () => (await this.finished().catch(() => 0)) >= n,
      timeoutMs,
      100,
    );
  }

  /**
   * Waits until every message of the corpus is finished and flagged \Seen on the server; returns the seconds since
   * the first process started.
   */
  async drained(timeoutMs = 180_000): Promise<number> {
    const total = this.corpus.mails.length;
    await waitFor(
      async () => `the backlog of ${total} to drain (${await this.state()})`,
      async () => (await this.finished().catch(() => 0)) >= total,
      timeoutMs,
      200,
    );
    await waitFor(
      'every message flagged on the server',
      async () => {
        const listed = await listMessages(this.user, FOLDER);
        return listed.length === total && listed.every((m) => m.flags.includes('\\Seen'));
      },
      60_000,
      500,
    );
    return (Date.now() - this.started) / 1000;
  }

  /** Compares where every message landed with the corpus's structure. */
  async report(drainSeconds: number): Promise<FaultReport> {
    const rows = await this.db.selectFrom('messages').select(['message_id', 'status', 'case_id']).execute();
    const byMessageId = new Map<string, { status: string; case_id: string | null }[]>();
    for (const r of rows) byMessageId.set(r.message_id ?? '', [...(byMessageId.get(r.message_id ?? '') ?? []), r]);
    let misfiled = 0;
    let unfinished = 0;
    let duplicates = 0;
    const caseOfConversation = new Map<number, string | null>();
    for (const m of this.corpus.mails) {
      const found = byMessageId.get(m.messageId) ?? [];
      if (found.length > 1) duplicates += found.length - 1;
      const row = found[0];
      if (!row || !['processed', 'ignored'].includes(row.status)) unfinished++;
      if (m.kind === 'root') caseOfConversation.set(m.conversation!, row?.case_id ?? null);
    }
    for (const m of this.corpus.mails) {
      const row = byMessageId.get(m.messageId)?.[0];
      if (m.kind === 'automatic') {
        if (row?.case_id) misfiled++;
      } else if (!row?.case_id || row.case_id !== caseOfConversation.get(m.conversation!)) misfiled++;
    }
    const cases = await this.db.selectFrom('cases').select('id').execute();
    const notes = await sql<{
      case_id: string;
      n: string;
    }>`SELECT case_id, count(*) AS n FROM case_notes GROUP BY case_id`.execute(this.db);
    const notesOf = new Map(notes.rows.map((r) => [r.case_id, Number(r.n)]));
    let wrongNotes = 0;
    for (const [conversation, caseId] of caseOfConversation) {
      if (!caseId || notesOf.get(caseId) !== this.corpus.perConversation[conversation]) wrongNotes++;
    }
    const acks = await sql<{
      case_id: string;
      n: string;
    }>`SELECT case_id, count(*) AS n FROM outbox WHERE kind = 'ack' GROUP BY case_id`.execute(this.db);
    const acksOf = new Map(acks.rows.map((r) => [r.case_id, Number(r.n)]));
    return {
      cases: cases.length,
      misfiled,
      wrongNotes,
      acks: acks.rows.reduce((sum, r) => sum + Number(r.n), 0),
      casesWithoutOneAck: cases.filter((c) => acksOf.get(c.id) !== 1).length,
      unfinished,
      duplicates,
      drainSeconds: Math.round(drainSeconds),
    };
  }

  /** The report a fault-free run gives for this corpus. */
  expected(): Omit<FaultReport, 'drainSeconds'> {
    const n = this.corpus.conversations;
    return { cases: n, misfiled: 0, wrongNotes: 0, acks: n, casesWithoutOneAck: 0, unfinished: 0, duplicates: 0 };
  }

  async close(): Promise<void> {
    await Promise.all([...this.children].map((child) => this.kill({ child, healthPort: 0, stderr: () => '' })));
    await this.db?.destroy();
  }
}

/** A test file's private PostgreSQL and Redis, and the scenario runs made on them (usePrivateServices). */
export interface PrivateServices<R extends { url: string } = PrivateRedis> {
  readonly pg: PrivatePostgres;
  readonly redis: R;
  /** A scenario run on these services, closed (its processes killed, its pool ended) after the file's tests. */
  run(corpus: Corpus): FaultRun;
}

/**
 * Starts a PostgreSQL and a Redis of the file's own before its tests (beforeAll) and, after them, closes every run
 * made with `run` and destroys both servers (afterAll). Call it at the top level of a test file. The Redis is one
 * server (with `redis` options), or whatever `startRedis` starts (a Sentinel set, a Cluster).
 */
export function usePrivateServices(options?: { redis?: PrivateRedisOptions }): PrivateServices;
export function usePrivateServices<R extends { url: string; destroy(): Promise<void> }>(options: {
  startRedis: () => Promise<R>;
}): PrivateServices<R>;
export function usePrivateServices(
  options: { redis?: PrivateRedisOptions; startRedis?: () => Promise<{ url: string; destroy(): Promise<void> }> } = {},
): PrivateServices<{ url: string; destroy(): Promise<void> }> {
  let pg: PrivatePostgres | undefined;
  let redis: { url: string; destroy(): Promise<void> } | undefined;
  const runs: FaultRun[] = [];
  beforeAll(async () => {
    [pg, redis] = await Promise.all([
      startPrivatePostgres(),
      options.startRedis ? options.startRedis() : startPrivateRedis(options.redis),
    ]);
  });
  afterAll(async () => {
    for (const run of runs) await run.close();
    await Promise.all([pg?.destroy(), redis?.destroy()]);
  });
  const started = <T>(service: T | undefined): T => {
    if (!service) throw new Error('usePrivateServices: the services start in beforeAll; use them inside a test');
    return service;
  };
  return {
    get pg() {
      return started(pg);
    },
    get redis() {
      return started(redis);
    },
    run(corpus) {
      const run = new FaultRun(started(pg), started(redis), corpus);
      runs.push(run);
      return run;
    },
  };
}

/** GET /readyz of a process: its status code, or 0 when nothing answers. */
export async function readyz(port: number): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** Prints one scenario's figures (the suite's record of cases, misfiled messages and drain time). */
export function printReport(scenario: string, report: FaultReport): void {
  process.stdout.write(
    `fault scenario "${scenario}": ${report.cases} cases, ${report.misfiled} misfiled, ${report.acks} acknowledgements, drained in ${report.drainSeconds} s\n`,
  );
}
