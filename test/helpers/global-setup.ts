import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL } from './env.js';
import { startDovecot } from './dovecot.js';

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A redis-server on TEST_REDIS_URL's local port for this run only (no persistence), stopped at teardown. */
async function startRunRedis(url: string): Promise<ChildProcess> {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname))
    throw new Error(`Redis is not reachable at ${url}: start it, or set TEST_REDIS_URL`);
  const port = u.port || '6379';
  const child = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(url)) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Redis is not reachable at ${url} and redis-server could not be started there`);
}

/**
 * Runs once before the integration tests: checks the services they need and says in one line
 * what is missing. Each test file then makes its own database (test/helpers/context.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: TEST_ADMIN_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_ADMIN_DATABASE_URL} (${(err as Error).message}): start it, or set TEST_DATABASE_URL`,
      { cause: err },
    );
  }
  // Redis: the one at TEST_REDIS_URL, or, when nothing answers there on this machine, one started for this run.
  const ownRedis = await redisAnswers(TEST_REDIS_URL).then((ok) => (ok ? null : startRunRedis(TEST_REDIS_URL)));
  // One Dovecot for the run (test/helpers/dovecot.ts); tests that need it read it with testDovecot().
  // When it cannot start, only those tests fail, with the reason.
  const dovecot = await startDovecot().catch((err: Error) => err);
  project.provide(
    'dovecot',
    dovecot instanceof Error
      ? null
      : {
          host: dovecot.host,
          port: dovecot.port,
          tlsPort: dovecot.tlsPort,
          password: dovecot.password,
          dir: dovecot.dir,
        },
  );
  project.provide('dovecotError', dovecot instanceof Error ? dovecot.message : '');
  return async () => {
    if (!(dovecot instanceof Error)) await dovecot.stop();
    ownRedis?.kill('SIGTERM');
  };
}
