import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';

/**
 * Ordering during a backlog. After an outage the poller stores many messages at once and several jobs
 * run in parallel, so a reply B can be processed while (or before) the message A it answers: B would
 * find no thread reference for A and start a case of its own. So B waits (its job is delayed, which
 * costs no attempt) while A is stored EARLIER (a smaller row id) and not yet processed. Only earlier rows
 * count, so two messages can never wait for each other; a failed A never blocks (it waits for a person);
 * and the wait is bounded, because A's job may be gone (Redis lost it) or stuck.
 */

/** Delay between two checks of a waiting message (ms). */
export const DEFAULT_ORDER_WAIT_DELAY_MS = 500;
/** A message waits at most this many times for an earlier message it refers to... */
export const DEFAULT_ORDER_WAIT_MAX_WAITS = 20;
/** ...and at most this long (ms) after its first wait; then the normal rules decide. */
export const DEFAULT_ORDER_WAIT_MAX_MS = 60_000;

export interface OrderWaitOptions {
  /** Delay between checks (ms). Default DEFAULT_ORDER_WAIT_DELAY_MS. */
  delayMs?: number;
  /** Most waits per message. Default DEFAULT_ORDER_WAIT_MAX_WAITS. */
  maxWaits?: number;
  /** Longest total wait (ms) from the first wait. Default DEFAULT_ORDER_WAIT_MAX_MS. */
  maxWaitMs?: number;
}

/** What a job remembers between its waits (kept in the job's data). */
export interface OrderWaitState {
  waits: number;
  /** Epoch ms of the first wait. */
  since: number;
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

/** True when a message that waited `state` may wait once more. */
export function mayWaitAgain(
  state: OrderWaitState | undefined,
  options: OrderWaitOptions = {},
  now = Date.now(),
): boolean {
  if (!state) return true;
  const maxWaits = options.maxWaits ?? DEFAULT_ORDER_WAIT_MAX_WAITS;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_ORDER_WAIT_MAX_MS;
  return state.waits < maxWaits && now - state.since < maxWaitMs;
}

export const describeWaits = (state: OrderWaitState, now = Date.now()): string =>
  `waited ${state.waits}× (${((now - state.since) / 1000).toFixed(1)} s)`;
