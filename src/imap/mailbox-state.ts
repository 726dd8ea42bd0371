import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';

/** What a mailbox's poller is doing, as shown by /api/admin/mailboxes. */
export type MailboxRunState = 'connecting' | 'idle' | 'polling' | 'error' | 'stopped';

export interface MailboxPosition {
  /** The UIDVALIDITY the stored `lastUid` belongs to; null before the first successful open. */
  uidvalidity: string | null;
  /** Every message with a UID up to this one is stored (and queued). */
  lastUid: number;
}

/** Reads the stored position of a mailbox, creating its row (position 0) on first use. */
export async function loadPosition(db: DbOrTrx, mailbox: string): Promise<MailboxPosition> {
  await db
    .insertInto('mailbox_state')
    .values({ mailbox })
    .onConflict((oc) => oc.column('mailbox').doNothing())
    .execute();
  const row = await db
    .selectFrom('mailbox_state')
    .select(['uidvalidity', 'last_uid'])
    .where('mailbox', '=', mailbox)
    .executeTakeFirstOrThrow();
  return { uidvalidity: row.uidvalidity, lastUid: Number(row.last_uid) };
}

/**
 * Records the UIDVALIDITY the server reported. When it differs from the stored one, the old UIDs mean
 * nothing any more: last_uid goes back to 0 and the whole folder is read again (de-duplication by
 * messages.dedupe_key keeps already stored mail from being stored twice).
 */
export async function resetForUidvalidity(db: DbOrTrx, mailbox: string, uidvalidity: string): Promise<void> {
  await db
    .updateTable('mailbox_state')
    .set({ uidvalidity, last_uid: 0, changed: sql<Date>`now()` })
    .where('mailbox', '=', mailbox)
    .execute();
}

/**
 * Moves the position forward to `uid`, only ever forward and only within the same UIDVALIDITY:
 * called after the messages up to `uid` are stored and queued, before they are marked on the server.
 */
export async function advanceLastUid(db: DbOrTrx, mailbox: string, uidvalidity: string, uid: number): Promise<void> {
  await db
    .updateTable('mailbox_state')
    .set({
      last_uid: sql<string>`greatest(last_uid, ${uid})`,
      last_fetch_at: sql<Date>`now()`,
      last_import_at: sql<Date>`now()`,
      changed: sql<Date>`now()`,
    })
    .where('mailbox', '=', mailbox)
    .where('uidvalidity', '=', uidvalidity)
    .execute();
}

/** Notes that a sweep ran (even one that found nothing new). */
export async function touchFetch(db: DbOrTrx, mailbox: string): Promise<void> {
  await db
    .updateTable('mailbox_state')
    .set({ last_fetch_at: sql<Date>`now()` })
    .where('mailbox', '=', mailbox)
    .execute();
}

/**
 * Records a state transition; an `error` message is kept with its time until the next error, or until
 * `error` is null (the mailbox connected again), which clears it.
 */
export async function setRunState(
  db: DbOrTrx,
  mailbox: string,
  state: MailboxRunState,
  error?: string | null,
): Promise<void> {
  const errorColumns =
    error === undefined
      ? {}
      : error === null
        ? { last_error: null, last_error_at: null }
        : { last_error: error, last_error_at: sql<Date>`now()` };
  await db
    .insertInto('mailbox_state')
    .values({ mailbox, state, ...errorColumns })
    .onConflict((oc) => oc.column('mailbox').doUpdateSet({ state, changed: sql<Date>`now()`, ...errorColumns }))
    .execute();
}
