import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL } from './env.js';
import { startDovecot } from './dovecot.js';

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
    );
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${TEST_REDIS_URL} (${(err as Error).message}): start redis-server, or set TEST_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
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
  };
}
