import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { backoffDelay } from '../queue/backoff.js';

/**
 * Ordering during a backlog. After an outage the poller stores many messages at once and several jobs
 * run in parallel, so a reply B can be processed while (or before) the message A it answers: B would
 * find no thread reference for A and start a case of its own. So B waits (its job is delayed, which
 * costs no attempt) while A is stored EARLIER (a smaller row id) and is still on its way: `queued` or
 * `processing`. Only earlier rows count, so two messages can never wait for each other.
 *
 * The wait has no time bound, because a faulty recovery can take any time: a killed worker's job comes
 * back after BullMQ's lock expires, a job Redis lost is queued again by the stale-row sweep
 * (requeue-stale.ts), a database outage delays everything. Deciding B without A while A is still on its
 * way would file B as a new case with its own acknowledgement, and later replies onto the wrong case.
 * B is decided without A only when A can no longer arrive: it `failed` (it waits for a person), or its
 * row is gone (deleted). The checks grow apart (backoff) so a long wait costs little.
 */

/** Delay before the first re-check of a waiting message (ms); it doubles per wait up to DEFAULT_ORDER_WAIT_MAX_DELAY_MS. */
export const DEFAULT_ORDER_WAIT_DELAY_MS = 500;
/** The longest delay between two checks of a waiting message (ms). */
export const DEFAULT_ORDER_WAIT_MAX_DELAY_MS = 5_000;

export interface OrderWaitOptions {
  /** Delay before the first re-check (ms). Default DEFAULT_ORDER_WAIT_DELAY_MS. */
  delayMs?: number;
  /** Longest delay between checks (ms). Default DEFAULT_ORDER_WAIT_MAX_DELAY_MS. */
  maxDelayMs?: number;
}

/** What a job remembers between its waits (kept in the job's data). */
export interface OrderWaitState {
  waits: number;
  /** Epoch ms of the first wait. */
  since: number;
}

/** The delay before the next check of a message that waited `waits` times already (doubling, capped, jittered). */
export function orderWaitDelay(waits: number, options: OrderWaitOptions = {}, random: () => number = Math.random) {
  return backoffDelay(
    waits,
    {
      baseMs: options.delayMs ?? DEFAULT_ORDER_WAIT_DELAY_MS,
      capMs: Math.max(options.delayMs ?? 0, options.maxDelayMs ?? DEFAULT_ORDER_WAIT_MAX_DELAY_MS),
      // Many replies released by one recovery should not all ask again in the same instant.
      jitter: 0.2,
    },
    random,
  );
}

export interface PendingParent {
  id: string;
  messageId: string;
  status: string;
}

/** The query of findPendingParent, also run as a subquery of the message's locking statement (thread-lookup.ts). */
export function pendingParentQuery(db: DbOrTrx, messageRowId: string, messageIds: readonly string[]) {
  return db
    .selectFrom('messages')
    .select(['id', 'message_id', 'status'])
    .where(sql<boolean>`message_id = ANY(${messageIds}::text[])`)
    .where('id', '<', messageRowId)
    .where('status', 'in', ['queued', 'processing'])
    .orderBy('id')
    .limit(1);
}

/** The earliest stored, not yet processed message (queued or processing) among the ones `messageIds` name. */
export async function findPendingParent(
  db: DbOrTrx,
  messageRowId: string,
  messageIds: readonly string[],
): Promise<PendingParent | null> {
  if (messageIds.length === 0) return null;
  const row = await pendingParentQuery(db, messageRowId, [...new Set(messageIds)]).executeTakeFirst();
  return row ? { id: row.id, messageId: row.message_id!, status: row.status } : null;
}

export const describeWaits = (state: OrderWaitState, now = Date.now()): string =>
  `waited ${state.waits}× (${((now - state.since) / 1000).toFixed(1)} s)`;
