// How `npm run dev` and `npm test` ask whether PostgreSQL and Redis answer: one probe each, shared by both.
import pg from 'pg';
import { Redis } from 'ioredis';

/** Host names that mean this machine: a service there can be installed or started by us. */
export const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A URL fit for a message: its password, if any, replaced by ***. */
export const safeUrl = (raw) => {
  const u = new URL(raw);
  if (u.password) u.password = '***';
  return u.toString();
};

/** null when PostgreSQL at `url` accepts a connection, else the error it gave. */
export async function pgProbe(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return null;
  } catch (err) {
    return err;
  }
}

/** `err` null when Redis at `url` answers PING, with its maxmemory-policy where CONFIG is allowed. */
export async function redisProbe(url) {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    let policy = null;
    try {
      policy = (await r.config('GET', 'maxmemory-policy'))?.[1] ?? null;
    } catch {
      // Managed Redis often forbids CONFIG; then we cannot tell and say nothing.
    }
    return { err: null, policy };
  } catch (err) {
    return { err, policy: null };
  } finally {
    r.disconnect();
  }
}
