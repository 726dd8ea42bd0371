import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { ServiceUnavailableError } from '../errors.js';
import { presenceKey } from '../queue/redis-keys.js';
import type { RedisClient } from '../queue/redis-target.js';
import { PRESENCE_CHANNEL, type PresenceEvent, type PresenceUserJson } from './live-hub.js';

// Who is looking at a case right now: each staff member's activity in a Redis hash per case, each entry with its own
// end (Redis before 7.4 has no per-field expiry), and every change told to all web processes by NOTIFY.

/** An entry ends this long after its last PUT; clients PUT again every PRESENCE_REFRESH_MS. */
export const PRESENCE_TTL_MS = 60_000;
/** How often a client should repeat its PUT (documented for the app; the server does not enforce it). */
export const PRESENCE_REFRESH_MS = 20_000;

export type PresenceActivity = 'viewing' | 'replying' | 'left';

interface StoredPresence extends PresenceUserJson {
  /** Epoch ms the entry ends. */
  Until: number;
}

function live(hash: Record<string, string>, now: number): { users: PresenceUserJson[]; expired: string[] } {
  const users: PresenceUserJson[] = [];
  const expired: string[] = [];
  for (const [field, value] of Object.entries(hash)) {
    try {
      const p = JSON.parse(value) as StoredPresence;
      if (p.Until > now) users.push({ UserId: p.UserId, Name: p.Name, Activity: p.Activity });
      else expired.push(field);
    } catch {
      expired.push(field);
    }
  }
  users.sort((a, b) => a.Name.localeCompare(b.Name) || a.UserId.localeCompare(b.UserId));
  return { users, expired };
}

const fingerprint = (users: PresenceUserJson[]) => users.map((u) => `${u.UserId}=${u.Activity}`).join(',');

async function redisCall<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    throw new ServiceUnavailableError(`Presence is unavailable: Redis answered ${(err as Error).message}`);
  }
}

/** The users present on a case now (expired entries left out and removed). */
export async function readPresence(
  redis: RedisClient,
  prefix: string,
  caseId: string,
  now = Date.now(),
): Promise<PresenceUserJson[]> {
  const key = presenceKey(prefix, caseId);
  const { users, expired } = live(await redisCall(() => redis.hgetall(key)), now);
  if (expired.length) await redisCall(() => redis.hdel(key, ...expired));
  return users;
}

/**
 * Records `user`'s activity on a case (or removes it: `left`) and, when the set of users or their activities
 * changed (an entry that ran out counts), tells every web process by NOTIFY. The current users are returned.
 */
export async function setPresence(
  deps: { db: DbOrTrx; redis: RedisClient; prefix: string },
  caseId: string,
  user: { id: string; name: string },
  activity: PresenceActivity,
  now = Date.now(),
): Promise<PresenceEvent> {
  const key = presenceKey(deps.prefix, caseId);
  const before = live(await redisCall(() => deps.redis.hgetall(key)), now);
  const pipeline = deps.redis.multi();
  if (before.expired.length) pipeline.hdel(key, ...before.expired);
  if (activity === 'left') pipeline.hdel(key, user.id);
  else {
    const entry: StoredPresence = {
      UserId: user.id,
      Name: user.name,
      Activity: activity,
      Until: now + PRESENCE_TTL_MS,
    };
    pipeline.hset(key, user.id, JSON.stringify(entry));
    pipeline.pexpire(key, PRESENCE_TTL_MS);
  }
  await redisCall(() => pipeline.exec());
  const others = before.users.filter((u) => u.UserId !== user.id);
  const users =
    activity === 'left'
      ? others
      : [...others, { UserId: user.id, Name: user.name, Activity: activity }].sort(
          (a, b) => a.Name.localeCompare(b.Name) || a.UserId.localeCompare(b.UserId),
        );
  const event: PresenceEvent = { CaseId: caseId, Users: users };
  if (fingerprint(users) !== fingerprint(before.users) || before.expired.length > 0)
    await sql`SELECT pg_notify(${PRESENCE_CHANNEL}, ${JSON.stringify(event)})`.execute(deps.db);
  return event;
}
