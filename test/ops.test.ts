import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Worker } from 'bullmq';
import type { RedisClient } from '../src/queue/redis-target.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseMailboxUrl } from '../src/config.js';
import { secretBoxFor, seedEnvMailboxes } from '../src/mailboxes/mailbox-store.js';
import { leaseKey } from '../src/queue/redis-keys.js';
import { createLogger } from '../src/logger.js';
import { createQueues, createRedis, QUEUE_NAMES, type Queues } from '../src/queue/queues.js';
import { databaseCheck, imapCheck, redisCheck, runChecks } from '../src/ops/health.js';
import { startProcessServer, type ProcessServer } from '../src/ops/process-server.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { freePort, startThrowawayRedis, type ThrowawayRedis } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';

const MAILBOX_A = 'imap://support%40example.com:secret-a@127.0.0.1:1143/INBOX';
const MAILBOX_B = 'imaps://returns:secret-b@127.0.0.1:1993/Returns?mark=move&moveTo=Done';
const ADMIN = { user: 'ops', password: 'correct horse battery staple' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let redisServer: ThrowawayRedis;
let redis: RedisClient;
let queues: Queues;
let t: TestApp;
let base: string;
const prefix = `test-ops-${randomBytes(4).toString('hex')}`;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  const text = await res.text();
  // The bodies of several kinds of endpoint (health, errors, queue stats), each read by the test that knows its shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: HTML or Prometheus text */
  }
  return { status: res.status, text, json, headers: res.headers };
}

const until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000) =>
  waitFor(what, fn, timeoutMs, 200);

beforeAll(async () => {
  redisServer = await startThrowawayRedis();
  redis = createRedis(redisServer.url, 'producer');
  queues = createQueues(redis, prefix);
  // This test kills Redis on purpose; the queues would otherwise print every connection error.
  queues.inbound.on('error', () => undefined);
  queues.outbound.on('error', () => undefined);
  t = await createTestApp(
    'ops',
    {
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: prefix,
      ADMIN_USER: ADMIN.user,
      ADMIN_PASSWORD: ADMIN.password,
      IMAP_URLS: `${MAILBOX_A} ${MAILBOX_B}`,
    },
    { redis, queues },
  );
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await t?.close();
  await queues?.close();
  redis?.disconnect();
  await redisServer?.kill();
});

describe('health endpoints', () => {
  it('/healthz answers 200 without credentials while the process lives', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('ok');
  });

  it('/readyz is 200 when PostgreSQL and Redis answer, 503 naming Redis while it is down, and 200 again when it returns', async () => {
    const up = await get('/readyz');
    expect(up.status).toBe(200);
    expect(up.json.checks.database.ok).toBe(true);
    expect(up.json.checks.redis.ok).toBe(true);

    await redisServer.kill();
    const down = await until('readyz to fail', async () => {
      const r = await get('/readyz');
      return r.status === 503 && r;
    });
    expect(down.json.code).toBe('NOT_READY');
    expect(down.json.message).toMatch(/redis/);
    expect(down.json.checks.redis.ok).toBe(false);
    expect(down.json.checks.database.ok).toBe(true);

    await redisServer.restart();
    const back = await until('readyz to recover', async () => {
      const r = await get('/readyz');
      return r.status === 200 && r;
    });
    expect(back.json.checks.redis.ok).toBe(true);
  });
});

describe('re-queue while Redis is down', () => {
  it('retry and retry-all answer 503 at once, and the failed message stays failed and free to retry later', async () => {
    const row = await t.database.db
      .insertInto('messages')
      .values({
        dedupe_key: `ops-${randomUUID()}`,
        mailbox: 'file:ops',
        raw: Buffer.from('x'),
        size: 1,
        status: 'failed',
        error: 'boom',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    try {
      await redisServer.kill();
      await until('the producer to see Redis gone', async () => redis.status !== 'ready');
      // Both hung until Redis came back, holding the row lock: a second retry answered 409 meanwhile.
      for (const url of [`/api/inbound/failed/${row.id}/retry`, '/api/inbound/failed/retry-all']) {
        // A return of the hang shows as this test's timeout; no time is asserted.
        const r = await t.call('POST', url);
        expect(r.status, `${url}: ${JSON.stringify(r.json)}`).toBe(503);
        expect(r.json.message).toMatch(
          /^Redis is not reachable \(connection \w+\): nothing was re-queued; try again when it is back$/,
        );
      }
      const kept = await t.database.db
        .selectFrom('messages')
        .select('status')
        .where('id', '=', row.id)
        .forUpdate()
        .noWait()
        .executeTakeFirstOrThrow();
      expect(kept.status).toBe('failed');
    } finally {
      await redisServer.restart();
      await until('the producer to reconnect', async () => redis.status === 'ready');
      await t.database.db.deleteFrom('messages').where('id', '=', row.id).execute();
    }
  });
});

describe('/metrics', () => {
  it('serves the documented metric names, queue depths and ages, and HTTP latency by route pattern', async () => {
    await queues.inbound.add('message', { messageRowId: '1' } as never, {
      jobId: 'ops-old',
      timestamp: Date.now() - 120_000,
    });
    await queues.inbound.add('message', { messageRowId: '2' } as never, { jobId: 'ops-new' });
    const caseId = randomUUID();
    const missing = await t.call('GET', `/api/cases/${caseId}`);
    expect(missing.status).toBe(404);

    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    for (const name of [
      'intake_messages_received_total',
      'intake_messages_processed_total',
      'intake_cases_created_total',
      'intake_replies_threaded_total',
      'intake_case_reopens_total',
      'intake_messages_suppressed_total',
      'intake_messages_failed_total',
      'intake_ingest_latency_seconds',
      'intake_outbound_sent_total',
      'intake_outbound_failed_total',
      'intake_http_request_duration_seconds',
      'intake_queue_jobs',
      'intake_queue_oldest_waiting_seconds',
      'intake_dependency_up',
      'intake_inbound_backlog_messages',
      'intake_inbound_backlog_oldest_seconds',
    ]) {
      expect(res.text, name).toContain(`# TYPE ${name} `);
    }
    expect(res.text).toContain(`intake_queue_jobs{queue="inbound",state="waiting"} 2`);
    expect(res.text).toContain(`intake_queue_jobs{queue="outbound",state="waiting"} 0`);
    const age = Number(/intake_queue_oldest_waiting_seconds\{queue="inbound"\} ([\d.]+)/.exec(res.text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(120);
    expect(age).toBeLessThan(600);
    // One series per route pattern, never per raw URL (which would be one series per case).
    expect(res.text).toMatch(
      /intake_http_request_duration_seconds_count\{method="GET",route="\/api\/cases\/:id",status="404"\} 1/,
    );
    expect(res.text).not.toContain(caseId);
  });
});

describe('queue dashboard at /admin/queues', () => {
  it('refuses requests without or with wrong credentials, asking the browser for basic auth', async () => {
    const none = await get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(none.json.message).toMatch(/admin user name and password/);
    expect((await get('/admin/queues', { authorization: basic(ADMIN.user, 'wrong') })).status).toBe(401);
    expect((await get('/admin/queues/api/queues', { authorization: basic('admin', ADMIN.password) })).status).toBe(401);
  });

  it('serves the Bull Board page and its assets to the admin, and its API lists every intake queue', async () => {
    const auth = { authorization: basic(ADMIN.user, ADMIN.password) };
    const page = await get('/admin/queues', auth);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<div id="root">');
    expect(page.text).toContain('<title>intake queues</title>');
    expect(page.text).toContain('<base href="/admin/queues/" />');
    // The page loads: the app's script is served from under the base path.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const js = await get(`/admin/queues/${script}`, auth);
    expect(js.status).toBe(200);
    expect(js.text.length).toBeGreaterThan(1000);

    const api = await get('/admin/queues/api/queues', auth);
    expect(api.status).toBe(200);
    const names = api.json.queues.map((q: { name: string }) => q.name).sort();
    expect(names).toEqual(Object.values(QUEUE_NAMES).sort());
  });

  it('retries failed jobs from the dashboard API', async () => {
    await queues.outbound.add('send', { outboxId: 'ops-fail' }, { jobId: 'ops-fail', attempts: 1 });
    const workerConnection = createRedis(redisServer.url, 'worker');
    const worker = new Worker(
      QUEUE_NAMES.outbound,
      async () => {
        throw new Error('smtp down');
      },
      { connection: workerConnection, prefix },
    );
    await until('the job to fail', async () => (await queues.outbound.getJobState('ops-fail')) === 'failed');
    await worker.close();
    workerConnection.disconnect();

    const auth = { authorization: basic(ADMIN.user, ADMIN.password) };
    const res = await fetch(`${base}/admin/queues/api/queues/outbound/retry/failed`, { method: 'PUT', headers: auth });
    expect(res.status).toBe(200);
    expect(await queues.outbound.getJobState('ops-fail')).toBe('waiting');
  });
});

describe('GET /api/admin/mailboxes', () => {
  it('shows each configured mailbox with its poller state, last fetch and error, UIDs, backlog and failures', async () => {
    const a = parseMailboxUrl(MAILBOX_A);
    const b = parseMailboxUrl(MAILBOX_B);
    const fetchedAt = new Date('2026-11-23T10:00:00Z');
    await t.database.db
      .insertInto('mailbox_state')
      .values({ mailbox: a.key, uidvalidity: 1700000000, last_uid: 42, state: 'idle', last_fetch_at: fetchedAt })
      .execute();
    await t.database.db
      .insertInto('mailbox_state')
      .values({ mailbox: b.key, state: 'error', last_error: 'Authentication failed', last_error_at: fetchedAt })
      .execute();
    const statuses = ['queued', 'queued', 'processing', 'processed', 'failed'] as const;
    await t.database.db
      .insertInto('messages')
      .values(
        statuses.map((status, i) => ({
          dedupe_key: `ops-${i}-${randomUUID()}`,
          mailbox: a.key,
          raw: Buffer.from(`Subject: ${i}\r\n\r\nbody`),
          size: 20,
          status,
        })),
      )
      .execute();
    await t.database.db
      .insertInto('messages')
      .values({ dedupe_key: `ops-file-${randomUUID()}`, mailbox: 'file:/tmp/x.eml', raw: Buffer.from('x'), size: 1 })
      .execute();

    await redis.set(leaseKey(prefix, a.key), 'poller-token-1', 'PX', 30_000);

    // The poller puts the IMAP_URLS mailboxes into the mailboxes table at its start; the API lists the table.
    await seedEnvMailboxes(t.database.db, secretBoxFor(t.ctx.config.secretsKeys), t.ctx.config.mailboxes, t.ctx.logger);
    const res = await t.call('GET', '/api/admin/mailboxes');
    expect(res.status).toBe(200);
    expect(res.json.BacklogTotal).toBe(4);
    type Listed = { Key: string; Health: { OldestBacklogAt: string | null; Lease: { Holder: string; TtlMs: number } } };
    const byKey = new Map((res.json.Mailboxes as Listed[]).map((m) => [m.Key, m]));
    const ma = byKey.get(a.key)!;
    const mb = byKey.get(b.key)!;
    expect(ma).toMatchObject({
      Key: 'support@example.com@127.0.0.1:1143/INBOX',
      Host: '127.0.0.1',
      Port: 1143,
      Tls: 'starttls',
      User: 'support@example.com',
      Folder: 'INBOX',
      AfterImport: 'seen',
      Enabled: true,
      Source: 'env',
      Auth: { Type: 'password', Secrets: ['Password'] },
      Health: {
        State: 'idle',
        LastFetchAt: fetchedAt.toISOString(),
        LastError: null,
        Uidvalidity: '1700000000',
        LastUid: '42',
        Backlog: 3,
        Failed: 1,
      },
    });
    expect(ma.Health.OldestBacklogAt).toEqual(expect.any(String));
    expect(ma.Health.Lease.Holder).toBe('poller-token-1');
    expect(ma.Health.Lease.TtlMs).toBeGreaterThan(20_000);
    expect(mb).toMatchObject({
      Key: b.key,
      Tls: 'tls',
      Folder: 'Returns',
      AfterImport: 'move',
      MoveTo: 'Done',
      Health: { State: 'error', LastError: 'Authentication failed', Backlog: 0, Failed: 0, Lease: null },
    });
    // Passwords from the mailbox URLs never appear.
    expect(JSON.stringify(res.json)).not.toMatch(/secret-a|secret-b/);

    // The same backlog, as the database sees it, is a metric to alert on.
    const scraped = await get('/metrics');
    expect(scraped.text).toMatch(/^intake_inbound_backlog_messages 4$/m);
    expect(
      Number(/^intake_inbound_backlog_oldest_seconds ([\d.e+-]+)$/m.exec(scraped.text)?.[1]),
    ).toBeGreaterThanOrEqual(0);
  });

  it('needs an admin API key', async () => {
    expect((await t.call('GET', '/api/admin/mailboxes', undefined, null)).status).toBe(401);
    expect((await t.call('GET', '/api/admin/mailboxes', undefined, t.readKey)).status).toBe(403);
  });
});

describe('the health server of the worker and poller processes', () => {
  let server: ProcessServer | null;
  let port: number;

  afterAll(async () => server?.close());

  it('serves /healthz, /readyz with the named checks, and /metrics', async () => {
    port = await freePort();
    server = await startProcessServer({
      port,
      host: '127.0.0.1',
      logger: createLogger('silent'),
      checks: {
        database: databaseCheck(t.database.db),
        redis: redisCheck(redis),
        'imap:unreachable': async () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
    });
    expect(server?.port).toBe(port);
    const h = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(h.status).toBe(200);
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(r.status).toBe(503);
    const body = (await r.json()) as { message: string; checks: Record<string, { ok: boolean }> };
    expect(body.message).toBe('not ready: imap:unreachable (connect ECONNREFUSED)');
    expect(body.checks.database.ok).toBe(true);
    const m = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('intake_dependency_up{dependency="imap:unreachable"} 0');
  });

  it('protects /metrics with METRICS_TOKEN when one is set', async () => {
    const tokenPort = await freePort();
    const guarded = await startProcessServer({
      port: tokenPort,
      host: '127.0.0.1',
      logger: createLogger('silent'),
      checks: {},
      metricsToken: 'scrape-me',
    });
    try {
      expect((await fetch(`http://127.0.0.1:${tokenPort}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`http://127.0.0.1:${tokenPort}/metrics`, { headers: { authorization: 'Bearer nope' } })).status,
      ).toBe(401);
      const ok = await fetch(`http://127.0.0.1:${tokenPort}/metrics`, {
        headers: { authorization: 'Bearer scrape-me' },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE intake_messages_received_total counter');
      expect((await fetch(`http://127.0.0.1:${tokenPort}/healthz`)).status).toBe(200);
    } finally {
      await guarded?.close();
    }
  });

  it('checks an IMAP server by its greeting, without logging in', async () => {
    const greeter = (greeting: string) =>
      new Promise<Server>((resolve) => {
        const srv = createServer((socket) => socket.end(greeting));
        srv.listen(0, '127.0.0.1', () => resolve(srv));
      });
    const ok = await greeter('* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n');
    const bye = await greeter('* BYE Too many connections\r\n');
    const closedPort = await freePort();
    const at = (srv: Server) => ({
      host: '127.0.0.1',
      port: (srv.address() as { port: number }).port,
      secure: false,
      tlsInsecure: false,
    });
    try {
      const result = await runChecks({
        'imap:ok': imapCheck(at(ok)),
        'imap:bye': imapCheck(at(bye)),
        'imap:closed': imapCheck({ host: '127.0.0.1', port: closedPort, secure: false, tlsInsecure: false }),
      });
      expect(result.ok).toBe(false);
      expect(result.checks['imap:ok']!.ok).toBe(true);
      expect(result.checks['imap:bye']!.error).toMatch(/refused: \* BYE Too many connections/);
      expect(result.checks['imap:closed']!.error).toMatch(/ECONNREFUSED/);
    } finally {
      ok.close();
      bye.close();
    }
  });

  it('listens on HOST only, as the web process does: bound to 127.0.0.2 it does not answer on 127.0.0.1', async () => {
    const config = loadConfig({ HOST: '127.0.0.2', WORKER_HEALTH_PORT: String(await freePort()) });
    const bound = await startProcessServer({
      host: config.host,
      port: config.workerHealthPort,
      logger: createLogger('silent'),
      checks: {},
    });
    try {
      expect(bound).toMatchObject({ host: '127.0.0.2', port: config.workerHealthPort });
      expect((await fetch(`http://127.0.0.2:${config.workerHealthPort}/healthz`)).status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${config.workerHealthPort}/healthz`)).rejects.toMatchObject({
        cause: { code: 'ECONNREFUSED' },
      });
    } finally {
      await bound?.close();
    }
  });

  it('stays off when its port is 0', async () => {
    expect(
      await startProcessServer({ host: '127.0.0.1', port: 0, logger: createLogger('silent'), checks: {} }),
    ).toBeNull();
  });
});

describe('without ADMIN_USER and ADMIN_PASSWORD', () => {
  it('does not mount the dashboard at all', async () => {
    const plain = await createTestApp('opsnodash', {});
    try {
      const res = await plain.app.inject({ method: 'GET', url: '/admin/queues' });
      expect(res.statusCode).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
