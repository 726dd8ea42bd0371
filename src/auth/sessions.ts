import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DbOrTrx } from '../db/database.js';
import type { StaffUserRow } from './staff-users.js';

/** How long sessions live. */
export interface SessionPolicy {
  /** A session unused this long ends (SESSION_IDLE_MINUTES). */
  idleMinutes: number;
  /** A session ends this long after sign-in, used or not (SESSION_MAX_HOURS). */
  maxHours: number;
}

/** last_seen is written at most this often per session: a write on every request would cost more than it tells. */
const TOUCH_INTERVAL_MS = 60_000;

/** Tokens carry 256 random bits, so one SHA-256 is enough to store them (no slow hash needed). */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewSession {
  /** The cookie's value; only its hash is stored. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A new session for a user who has just proved who they are. */
export async function createSession(
  db: DbOrTrx,
  userId: string,
  client: { ip?: string; userAgent?: string },
  policy: SessionPolicy,
  now = new Date(),
): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const absolute = new Date(now.getTime() + policy.maxHours * 3_600_000);
  // Housekeeping on the rare write: sessions past either limit can never be used again.
  await db
    .deleteFrom('staff_sessions')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', now),
        eb('last_seen', '<=', new Date(now.getTime() - policy.idleMinutes * 60_000)),
      ]),
    )
    .execute();
  await db
    .insertInto('staff_sessions')
    .values({
      token_hash: hashSessionToken(token),
      user_id: userId,
      csrf_token: csrfToken,
      created: now,
      last_seen: now,
      expires_at: absolute,
      ip: client.ip?.slice(0, 100) ?? null,
      user_agent: client.userAgent?.slice(0, 500) ?? null,
    })
    .execute();
  return { token, csrfToken, expiresAt: effectiveExpiry(absolute, now, policy) };
}

export interface ActiveSession {
  id: string;
  csrfToken: string;
  /** When the session ends if it is not used again (the earlier of idle and absolute expiry). */
  expiresAt: Date;
  user: StaffUserRow;
}

function effectiveExpiry(absolute: Date, lastSeen: Date, policy: SessionPolicy): Date {
  return new Date(Math.min(absolute.getTime(), lastSeen.getTime() + policy.idleMinutes * 60_000));
}

/**
 * The session a cookie's token names, with its user, when it is neither idle nor past its absolute end and the
 * user is not disabled; marks it used. Undefined otherwise.
 */
export async function findSession(
  db: DbOrTrx,
  token: string,
  policy: SessionPolicy,
  now = new Date(),
): Promise<ActiveSession | undefined> {
  if (!token || token.length > 100) return undefined;
  const row = await db
    .selectFrom('staff_sessions as s')
    .innerJoin('staff_users as u', 'u.id', 's.user_id')
    .selectAll('u')
    .select(['s.id as session_id', 's.csrf_token', 's.last_seen', 's.expires_at', 's.token_hash'])
    .where('s.token_hash', '=', hashSessionToken(token))
    .where('s.expires_at', '>', now)
    .where('s.last_seen', '>', new Date(now.getTime() - policy.idleMinutes * 60_000))
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  let lastSeen = row.last_seen;
  if (now.getTime() - lastSeen.getTime() >= TOUCH_INTERVAL_MS) {
    await db.updateTable('staff_sessions').set({ last_seen: now }).where('id', '=', row.session_id).execute();
    lastSeen = now;
  }
  const { session_id, csrf_token, last_seen: _l, expires_at, token_hash: _t, ...user } = row;
  return { id: session_id, csrfToken: csrf_token, expiresAt: effectiveExpiry(expires_at, lastSeen, policy), user };
}

/** Ends the session a token names (sign-out); nothing when there is none. */
export async function endSession(db: DbOrTrx, token: string): Promise<void> {
  await db.deleteFrom('staff_sessions').where('token_hash', '=', hashSessionToken(token)).execute();
}

/** Whether `presented` is the session's CSRF token, compared in constant time. */
export function csrfTokenMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(presented), Buffer.from(expected));
}
