import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { ConflictError } from '../errors.js';

/**
 * The thread version of a case: a digest of the keys of its thread's items (an inbound email by its message, a
 * note, a status change, an outbound mail that is not a note's). Items are only ever added, so it changes exactly
 * when one is: a reply sent with the version it was written against can tell whether the thread moved on.
 */
export function threadVersionOf(keys: readonly string[]): string {
  return createHash('sha256')
    .update([...keys].sort().join('\n'))
    .digest('base64url')
    .slice(0, 22);
}

/** The key of a note in the thread: an inbound email is keyed by its message. */
export const noteThreadKey = (n: { id: string; message_id: string | null }) =>
  n.message_id ? `m:${n.message_id}` : `n:${n.id}`;
export const statusThreadKey = (id: string) => `s:${id}`;
export const outboxThreadKey = (id: string) => `o:${id}`;

/** The current thread version of a case, read cheaply (keys only). */
export async function currentThreadVersion(db: DbOrTrx, caseId: string): Promise<string> {
  const { rows } = await sql<{ k: string }>`
    SELECT CASE WHEN message_id IS NULL THEN 'n:' || id::text ELSE 'm:' || message_id::text END AS k
      FROM case_notes WHERE case_id = ${caseId}
    UNION ALL SELECT 's:' || id::text FROM case_status_log WHERE case_id = ${caseId}
    UNION ALL SELECT 'o:' || id::text FROM outbox WHERE case_id = ${caseId} AND note_id IS NULL`.execute(db);
  return threadVersionOf(rows.map((r) => r.k));
}

/** A reply written against an older thread: nothing was saved (HTTP 409, STALE_THREAD). */
export class StaleThreadError extends ConflictError {
  override readonly name = 'StaleThreadError';
  constructor(readonly threadVersion: string) {
    super('The thread has changed since you loaded it: read what is new, then send again', {
      ThreadVersion: threadVersion,
    });
  }
}
