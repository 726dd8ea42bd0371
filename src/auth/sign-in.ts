import type { DbOrTrx } from '../db/database.js';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { findStaffUserByEmail, type StaffUserRow } from './staff-users.js';

/** How many failed sign-ins lock an account, and for how long. */
export interface LockoutPolicy {
  /** Failures within `lockMinutes` that lock the email (LOGIN_MAX_FAILURES; 0 = never lock). */
  maxFailures: number;
  /** Both the window failures are counted in and how long the lock lasts after the last one (LOGIN_LOCK_MINUTES). */
  lockMinutes: number;
}

export type SignInResult = { ok: true; user: StaffUserRow } | { ok: false; reason: 'wrong' | 'locked' };

/**
 * Checks an email and password. Unknown email, wrong password, disabled user and a locked email are told apart only
 * in `reason` (for logs); the person signing in sees one message. Every attempt is written to
 * staff_sign_in_failures before the password is checked and removed again on success, so attempts running at the
 * same time in several web processes each count the others: at most `maxFailures` of them are ever checked within
 * the window. While locked, attempts are not recorded, so the lock ends `lockMinutes` after the failure that set it,
 * and the password is not checked at all (the right one does not help).
 */
export async function signIn(
  db: DbOrTrx,
  input: { email: string; password: string; ip?: string },
  policy: LockoutPolicy,
  now = new Date(),
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase().slice(0, 320);
  const attempt = await db
    .insertInto('staff_sign_in_failures')
    .values({ email, ip: input.ip?.slice(0, 100) ?? null, at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const last = await db
    .selectFrom('staff_sign_in_failures')
    .select('at')
    .where('email', '=', email)
    .where('id', '<>', attempt.id)
    .orderBy('at', 'desc')
    .limit(policy.maxFailures)
    .execute();
  if (
    isLocked(
      last.map((r) => r.at),
      policy,
      now,
    )
  ) {
    await db.deleteFrom('staff_sign_in_failures').where('id', '=', attempt.id).execute();
    return { ok: false, reason: 'locked' };
  }
  const user = email ? await findStaffUserByEmail(db, email) : undefined;
  // A hash is checked either way, so an unknown email takes as long to refuse as a wrong password.
  const matches = await verifyPassword(input.password, user?.password_hash || (await decoyHash()));
  if (!user || !matches || user.disabled_at !== null) {
    await db
      .deleteFrom('staff_sign_in_failures')
      .where('email', '=', email)
      .where('at', '<', new Date(now.getTime() - 2 * policy.lockMinutes * 60_000))
      .execute();
    return { ok: false, reason: 'wrong' };
  }
  await db.deleteFrom('staff_sign_in_failures').where('email', '=', email).execute();
  // A hash made with weaker parameters than today's is replaced while the password is at hand.
  const rehash = needsRehash(user.password_hash) ? await hashPassword(input.password) : undefined;
  const updated = await db
    .updateTable('staff_users')
    .set({ last_sign_in: now, ...(rehash ? { password_hash: rehash } : {}) })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ok: true, user: updated };
}

/**
 * Locked: the newest `maxFailures` failures (newest first) all fell within `lockMinutes` of each other, and the
 * newest of them is less than `lockMinutes` old.
 */
export function isLocked(failures: readonly Date[], policy: LockoutPolicy, now: Date): boolean {
  if (policy.maxFailures === 0 || failures.length < policy.maxFailures) return false;
  const lockMs = policy.lockMinutes * 60_000;
  const newest = failures[0]!.getTime();
  const oldest = failures[policy.maxFailures - 1]!.getTime();
  return newest - oldest <= lockMs && now.getTime() - newest < lockMs;
}
