import type { DbOrTrx } from '../db/database.js';

/**
 * Whether a staff session is still in force, read without touching it: a page left open on the live events must
 * not keep its session alive past the idle limit the way a request does (src/auth/sessions.ts findSession).
 */
export async function sessionStillActive(
  db: DbOrTrx,
  sessionId: string,
  policy: { idleMinutes: number },
  now = new Date(),
): Promise<boolean> {
  const row = await db
    .selectFrom('staff_sessions as s')
    .innerJoin('staff_users as u', 'u.id', 's.user_id')
    .select('s.id')
    .where('s.id', '=', sessionId)
    .where('s.expires_at', '>', now)
    .where('s.last_seen', '>', new Date(now.getTime() - policy.idleMinutes * 60_000))
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  return !!row;
}
