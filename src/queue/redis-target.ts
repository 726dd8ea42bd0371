import type { Cluster, Redis } from 'ioredis';

/**
 * Where intake's Redis is: one server (`redis://`, `rediss://`), a master found through Redis Sentinel
 * (`redis-sentinel://`), or a Redis Cluster (`redis-cluster://`). REDIS_URL says which; createRedis (queues.ts) makes
 * the matching ioredis client, and every Redis use of intake (BullMQ, leases, shared metrics, rate limits) goes
 * through it. Kept apart from queues.ts so that config.ts can check REDIS_URL without loading BullMQ.
 */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      /** The master's name in the sentinels' configuration (`sentinel monitor <name> ...`). */
      name: string;
      username?: string;
      password?: string;
      /** The sentinels' own password (`?sentinelPassword=`), when they require one. */
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    }
  | {
      mode: 'cluster';
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls: boolean;
    };

/** A client of any of them: the API of both is ioredis's commands. */
export type RedisClient = Redis | Cluster;

export const DEFAULT_SENTINEL_PORT = 26379;
export const DEFAULT_REDIS_PORT = 6379;

const MULTI_HOST = /^(redis-sentinel|redis-cluster):\/\/(?:([^@/]*)@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/;

/**
 * Parses REDIS_URL. Sentinel: `redis-sentinel://[[user]:password@]host1:26379,host2:26379/<master-name>[/<db>]`;
 * Cluster: `redis-cluster://[[user]:password@]host1:6379,host2:6379` (a few nodes are enough: the client learns the
 * rest). Query options of both: `tls=1`; of Sentinel: `sentinelPassword=`. Throws an Error with one clear line.
 */
export function parseRedisUrl(raw: string): RedisTarget {
  const url = raw.trim();
  if (/^rediss?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new Error('REDIS_URL is not a valid URL');
    }
    return { mode: 'single', url };
  }
  const m = MULTI_HOST.exec(url);
  if (!m) {
    throw new Error(
      'REDIS_URL must start with redis://, rediss://, redis-sentinel://host:26379,.../<master-name> or redis-cluster://host:port,...',
    );
  }
  const [, scheme, auth, hostList, path, query] = m;
  const sentinel = scheme === 'redis-sentinel';
  const defaultPort = sentinel ? DEFAULT_SENTINEL_PORT : DEFAULT_REDIS_PORT;
  const hosts = hostList!.split(',').map((h) => parseHost(h.trim(), defaultPort));
  const params = new URLSearchParams(query ?? '');
  const tls = ['1', 'true', 'yes'].includes(params.get('tls') ?? '');
  const [username, password] = credentials(auth);
  if (!sentinel) {
    if (path)
      throw new Error('REDIS_URL: a Redis Cluster has no database number or name (redis-cluster://host:port,...)');
    return { mode: 'cluster', nodes: hosts, username, password, tls };
  }
  const [name, db, ...rest] = (path ?? '').split('/').map(decodeURIComponent);
  if (!name)
    throw new Error('REDIS_URL: name the Sentinel master after the hosts (redis-sentinel://host:26379/mymaster)');
  if (rest.length > 0 || (db !== undefined && db !== '' && !/^\d+$/.test(db)))
    throw new Error('REDIS_URL: after the Sentinel master name only a database number may follow (/mymaster/0)');
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return { mode: 'sentinel', sentinels: hosts, name, username, password, sentinelPassword, db: Number(db || 0), tls };
}

function parseHost(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(text);
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (!m || port < 1 || port > 65535) throw new Error(`REDIS_URL: "${text}" is not host:port`);
  return { host: m[1] ?? m[2]!, port };
}

function credentials(auth: string | undefined): [string | undefined, string | undefined] {
  if (!auth) return [undefined, undefined];
  const colon = auth.indexOf(':');
  const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  // `redis-sentinel://:secret@...`: a password without a user name, as in redis:// URLs.
  return [user || undefined, password || undefined];
}

/**
 * The key prefix for a queue prefix on this target. On a Redis Cluster every key of one installation carries the
 * prefix as a hash tag (`{intake}`): BullMQ's scripts and intake's own MULTI blocks touch several keys at once, and
 * Redis Cluster runs those only when all keys are in one slot. Elsewhere the prefix is used as it is, so the keys of
 * existing single-server and Sentinel installations stay where they are. A prefix that already holds a hash tag is
 * kept.
 */
export function keyPrefixFor(target: RedisTarget, queuePrefix: string): string {
  if (target.mode !== 'cluster' || /\{[^}]+\}/.test(queuePrefix)) return queuePrefix;
  return `{${queuePrefix}}`;
}
