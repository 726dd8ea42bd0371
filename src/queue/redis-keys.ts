/**
 * Redis keys that intake writes itself, besides BullMQ's. All start with the queue prefix, so installations
 * sharing one Redis stay apart. Named here, below both their writer and their readers: the poller takes a
 * mailbox's lease (src/imap/lease.ts), the operations view reads who holds it (src/ops/mailboxes.ts).
 */

/** The Redis key of a mailbox's poller lease. */
export function leaseKey(prefix: string, mailboxKey: string): string {
  return `${prefix}:lease:mailbox:${mailboxKey}`;
}

/** The Redis hash of who is viewing or replying to a case (src/live/presence.ts): field user id, value JSON. */
export function presenceKey(prefix: string, caseId: string): string {
  return `${prefix}:presence:case:${caseId}`;
}

/** The Redis sorted set of live poller processes (src/imap/poller-registry.ts): member token, score last heartbeat. */
export function pollersKey(prefix: string): string {
  return `${prefix}:pollers`;
}
