import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { freePort } from './helpers/redis-server.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { testDovecot } from './helpers/dovecot.js';
import { deleteTestKeys } from './helpers/redis-server.js';

// `npm run dev` as a user runs it: a real child process, real services, real ports.
const prefix = `test-dev-${randomBytes(4).toString('hex')}`;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('dev');
});
afterAll(async () => {
  await database?.drop();
  await deleteTestKeys(prefix);
});

const baseEnv = (extra: Record<string, string>) => {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.IMAP_URL;
  delete env.IMAP_URLS;
  return { ...env, ...extra } as NodeJS.ProcessEnv;
};

describe('npm run dev', () => {
  it('says in one line which service is unreachable, where it looked and what to do, and exits 1', () => {
    // 127.0.0.2 is not treated as this machine, so nothing is auto-started; nothing listens there.
    const res = spawnSync(process.execPath, ['scripts/dev.mjs'], {
      env: baseEnv({
        DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.2:5499/intake',
        REDIS_URL: 'redis://127.0.0.2:6399',
      }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.includes('PostgreSQL'))).toMatch(
      /PostgreSQL is not reachable at 127\.0\.0\.2:5499 .*start it.*or set DATABASE_URL/,
    );
    expect(lines.find((l) => l.includes('Redis'))).toMatch(
      /Redis is not reachable at 127\.0\.0\.2:6399 .*or set REDIS_URL/,
    );
    expect(res.stdout).not.toContain('hunter2');
  });

  it('starts web, worker and poller with prefixed readable logs, serves the API without a mailbox, and Ctrl-C stops all', async () => {
    const [port, workerPort, pollerPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, ['scripts/dev.mjs'], {
      env: baseEnv({
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        WORKER_HEALTH_PORT: String(workerPort),
        POLLER_HEALTH_PORT: String(pollerPort),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      const up = async (p: number) => (await fetch(`http://127.0.0.1:${p}/healthz`).catch(() => null))?.ok === true;
      // Health servers answer before the worker and poller have started their work: wait for those lines too.
      const started = () =>
        /inbound worker started/.test(out) && /poller is idle/.test(out) && out.includes('Ctrl-C stops everything');
      while (!((await up(port)) && (await up(workerPort)) && (await up(pollerPort)) && started())) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`dev did not come up:\n${out}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(out).toContain(
        'no mailbox configured (set IMAP_URL in .env, or try "npm run dev -- --with-mailbox"): the API still serves',
      );
      // The banner names the staff inbox first and, with no staff user in the database, how to make one.
      expect(out).toContain(`intake dev staff inbox http://localhost:${port}/  API http://localhost:${port}/api  docs`);
      expect(out).toContain(
        'intake dev no staff user yet: create the first one with npx intake user create --email you@example.com --name "Your Name" --role admin (it prints the password)',
      );
      expect(out).toMatch(/^web +│ \[\d\d:\d\d:\d\d\] INFO: Server listening/m);
      expect(out).toMatch(/^worker +│ .*INFO: inbound worker started/m);
      expect(out).toMatch(/^poller +│ .*poller is idle/m);
      // The health servers listen on HOST (127.0.0.1 here), as the web process does.
      expect(out).toMatch(
        new RegExp(`^worker +│ .*health server listening on http://127\\.0\\.0\\.1:${workerPort} `, 'm'),
      );
      expect(out).toMatch(
        new RegExp(`^poller +│ .*health server listening on http://127\\.0\\.0\\.1:${pollerPort} `, 'm'),
      );
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/api/cases/x`)).status).toBe(401);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const name of ['web', 'worker', 'poller'])
        expect(out).toMatch(new RegExp(`^${name} +│ .*shutting down`, 'm'));
      expect(out).toMatch(/intake dev stopped\s*$/);
      expect(await up(port)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('npm run demo', () => {
  it('appends the sample mails to the configured mailbox and prints the cases the running stack made of them', async () => {
    const dovecot = await testDovecot();
    const user = `demo-${randomBytes(3).toString('hex')}`;
    const demoDb = await createTestDatabase('demo');
    const [port, workerPort, pollerPort] = [await freePort(), await freePort(), await freePort()];
    const env = baseEnv({
      DATABASE_URL: demoDb.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: `${prefix}-demo`,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: String(workerPort),
      POLLER_HEALTH_PORT: String(pollerPort),
      IMAP_URL: `imap://${user}:${encodeURIComponent(dovecot.password)}@${dovecot.host}:${dovecot.port}/INBOX?tlsInsecure=1`,
      POLL_INTERVAL_MS: '1000',
    });
    const dev = spawn(process.execPath, ['scripts/dev.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let devOut = '';
    dev.stdout.on('data', (d: Buffer) => (devOut += d.toString()));
    dev.stderr.on('data', (d: Buffer) => (devOut += d.toString()));
    const devExited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (
        !devOut.includes('Ctrl-C stops everything') ||
        !(await fetch(`http://127.0.0.1:${pollerPort}/healthz`).catch(() => null))?.ok
      ) {
        if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`dev did not come up:\n${devOut}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(devOut).toContain(`polling ${user}@${dovecot.host}:${dovecot.port}/INBOX`);

      const demo = spawn(process.execPath, ['scripts/demo.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let demoOut = '';
      demo.stdout.on('data', (d: Buffer) => (demoOut += d.toString()));
      demo.stderr.on('data', (d: Buffer) => (demoOut += d.toString()));
      const code = await new Promise<number | null>((resolve) => demo.once('exit', (c) => resolve(c)));
      expect(code, demoOut).toBe(0);
      expect(demoOut).toContain(
        `appended 01-order-question.eml, 02-refund-request.eml, 03-out-of-office.eml to ${user}@`,
      );
      const caseOf = (file: string) =>
        new RegExp(`^${file.replace('.', '\\.')} +(\\S+) +(\\S+)`, 'm').exec(demoOut)?.slice(1);
      expect(caseOf('01-order-question.eml')?.[0]).toBe('new-case');
      expect(caseOf('02-refund-request.eml')?.[0]).toBe('new-case');
      expect(caseOf('03-out-of-office.eml')?.[0]).toBe('ignore');
      // The follow-up threads onto Alice's case.
      expect(caseOf('04-order-follow-up.eml')).toEqual(['reply', caseOf('01-order-question.eml')?.[1]]);
      expect(demoOut).toMatch(/^CS-\d+ +New +2 +Alice Example <alice@example\.com> +Where is my order #10042\?$/m);
      expect(demoOut).toMatch(/^CS-\d+ +New +1 +Bob Builder <bob@example\.org> +Refund for a damaged mug$/m);
      // Its temporary API key is revoked again.
      const keys = await demoDb.db.selectFrom('api_keys').select(['name', 'revoked_at']).execute();
      expect(keys.filter((k) => k.revoked_at === null)).toEqual([]);

      // The mailbox as the operator sees it, written by the real poller.
      const admin = (await createApiKey(demoDb.db, { name: 'ops-test', scope: 'admin' })).key;
      const health = await fetch(`http://127.0.0.1:${port}/api/admin/mailboxes`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      type Listed = {
        Health: { State: string; LastFetchAt: string | null; LastImportAt: string | null; Lease: unknown };
      };
      const [mailbox] = ((await health.json()) as { Mailboxes: Listed[] }).Mailboxes;
      expect(mailbox).toMatchObject({
        Key: `${user}@${dovecot.host}:${dovecot.port}/INBOX`,
        Source: 'env',
        Health: { LastUid: '4', Backlog: 0, Failed: 0, LastError: null },
      });
      expect(['idle', 'polling']).toContain(mailbox!.Health.State);
      expect(mailbox!.Health.LastFetchAt).toEqual(expect.any(String));
      expect(mailbox!.Health.LastImportAt).toEqual(expect.any(String));
      expect(mailbox!.Health.Lease).toMatchObject({ Holder: expect.any(String), TtlMs: expect.any(Number) });

      dev.kill('SIGINT');
      expect(await devExited).toBe(0);
    } finally {
      dev.kill('SIGKILL');
      await demoDb.drop();
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis.keys(`${prefix}-demo:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});
