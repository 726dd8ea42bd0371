import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { alive, descendants, listening, ROOT, startDev } from './helpers/dev.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { freePort } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';
import { deleteTestKeys } from './helpers/redis-server.js';

// What `npm run dev` leaves behind when it ends badly: nothing.
const prefix = `test-devlife-${randomBytes(4).toString('hex')}`;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('devlife');
});
afterAll(async () => {
  await database?.drop();
  await deleteTestKeys(prefix);
});

async function devEnv(): Promise<Record<string, string>> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    WORKER_HEALTH_PORT: String(await freePort()),
    POLLER_HEALTH_PORT: String(await freePort()),
  };
}

describe('npm run dev ends everything it started', () => {
  it('web, worker and poller end when dev is killed with SIGKILL', async () => {
    const dev = startDev(await devEnv());
    try {
      await dev.up();
      const started = descendants(dev.child.pid!);
      expect(started.length).toBeGreaterThanOrEqual(3);
      dev.child.kill('SIGKILL');
      await dev.exited;
      await waitFor(
        () => `the processes dev started to end; alive: ${started.filter(alive).join(', ')}`,
        async () => started.every((pid) => !alive(pid)),
        40_000,
        200,
      );
    } finally {
      dev.child.kill('SIGKILL');
    }
  }, 180_000);

  it('dev and its processes end when the npm that ran it is killed with SIGKILL', async () => {
    const npm = startDev(await devEnv(), [], ['npm', 'run', '--silent', 'dev']);
    try {
      await npm.up();
      const started = descendants(npm.child.pid!);
      // npm, then sh, then node scripts/dev.mjs and the three processes.
      expect(started.length).toBeGreaterThanOrEqual(4);
      npm.child.kill('SIGKILL');
      await waitFor(
        () => `dev and its processes to end; alive: ${started.filter(alive).join(', ')}`,
        async () => started.every((pid) => !alive(pid)),
        40_000,
        200,
      );
    } finally {
      npm.child.kill('SIGKILL');
    }
  }, 180_000);

  it('a Redis that dev started for a run that then fails is stopped again', async () => {
    const redisPort = await freePort();
    const res = spawnSync(process.execPath, ['scripts/dev.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...(await devEnv()),
        NO_COLOR: '1',
        // Nothing listens on 127.0.0.2: PostgreSQL is missing, so the run fails after Redis was started.
        DATABASE_URL: 'postgres://postgres@127.0.0.2:5499/intake',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(
      `Redis is installed but not running on 127.0.0.1:${redisPort}; starting one for this run`,
    );
    expect(res.stdout).toMatch(/PostgreSQL is not reachable at 127\.0\.0\.2:5499/);
    await waitFor(`Redis on port ${redisPort} to stop`, async () => !(await listening(redisPort)), 20_000, 100);
  });
});

describe("a terminal's Ctrl-C", () => {
  it('stops everything at once without a shutdown timeout, though the signal reaches the Redis and mailbox too', async () => {
    const [redisPort, imapPort] = [await freePort(), await freePort()];
    const devDir = mkdtempSync(join(tmpdir(), 'intake-devlife-'));
    // Its own process group, as a shell gives a command it runs: Ctrl-C signals the whole group.
    const child = spawn(process.execPath, ['scripts/dev.mjs', '--with-mailbox'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...(await devEnv()),
        NO_COLOR: '1',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        DEV_IMAP_PORT: String(imapPort),
        DEV_SMTP_PORT: String(await freePort()),
        INTAKE_DEV_DIR: devDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(
        () => `dev to come up with its own Redis and the mailbox; it printed:\n${out}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`dev exited (${child.exitCode}):\n${out}`);
          return out.includes('Ctrl-C stops everything') && /poller +│ .*mailbox connected/.test(out);
        },
        120_000,
        200,
      );
      expect(out).toContain(`starting one for this run`);
      const pressed = Date.now();
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      // The worker and poller let go of Redis and the mailbox before those stop: no shutdown waits out its timeout.
      expect(Date.now() - pressed).toBeLessThan(15_000);
      expect(out).not.toMatch(/timed out/);
      expect(out).toMatch(/intake dev stopped\s*$/);
      await waitFor(
        'Redis and the mailbox to stop',
        async () => !(await listening(redisPort)) && !(await listening(imapPort)),
        20_000,
        100,
      );
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(devDir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('npm run dev checks its ports first', () => {
  it('a taken port is one line naming it and its variable, and nothing starts', async () => {
    const env = await devEnv();
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(Number(env.WORKER_HEALTH_PORT), '0.0.0.0', () => r()));
    try {
      const res = spawnSync(process.execPath, ['scripts/dev.mjs'], {
        cwd: ROOT,
        env: { ...process.env, ...env, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(res.status).toBe(1);
      expect(res.stdout.trim().split('\n')).toEqual([
        `intake dev port ${env.WORKER_HEALTH_PORT} for worker health and metrics (WORKER_HEALTH_PORT) is taken (another "npm run dev" running?): stop what holds it, or set another port in .env`,
      ]);
    } finally {
      holder.close();
    }
  });
});
