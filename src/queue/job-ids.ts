// Job ids that modules without a queue connection need (the message repository, which `intake parse` loads):
// kept apart from queues.ts so that loading them does not load BullMQ and ioredis.

/**
 * A re-queued message (after it was kept as failed) needs a new id: the failed job may still exist in
 * Redis under its first id, and adding a job with an existing id is a silent no-op.
 */
export const inboundRetryJobId = (messageRowId: string | number, requestedAt: number = Date.now()): string =>
  `msg-${messageRowId}-retry-${requestedAt}`;
