/**
 * Every retry of intake waits by the same rule: exponential from a base delay, doubled per retry, never more
 * than a cap, with an optional random part. The policies below are the only place that names those numbers;
 * the queues' BullMQ backoff (queues.ts), the IMAP and LISTEN reconnects and the sender's short retries use them.
 */
export interface BackoffPolicy {
  /** Delay before the first retry (ms). */
  baseMs: number;
  /** The delay never grows beyond this (ms). */
  capMs: number;
  /**
   * Share of the delay that is random, from 0 to 1: 0.5 waits between 50% and 100% of the exponential value,
   * so that many clients cut off by the same outage do not all come back in the same instant; 0 waits exactly.
   */
  jitter: number;
}

/**
 * Reconnects of a mailbox poller (1 s doubling, at most 5 min, jittered): a reconnect storm makes providers
 * throttle harder. A server's own "Suggested Backoff Time" is honoured on top (src/imap/suggested-backoff.ts).
 */
export const DEFAULT_IMAP_RECONNECT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1_000,
  capMs: 5 * 60_000,
  jitter: 0.5,
});

/** Reconnects of the outbox relay's LISTEN connection (1 s doubling, at most 30 s); its timer sweep covers the gap. */
export const DEFAULT_LISTEN_RECONNECT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1_000,
  capMs: 30_000,
  jitter: 0,
});

/** Retries of an inbound job (2 s, 4 s, 8 s, ...): a database outage or a bug, not the message itself. */
export const DEFAULT_INBOUND_RETRY_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 2_000,
  capMs: 5 * 60_000,
  jitter: 0,
});
/** Attempts of an inbound job before its message is kept as failed. */
export const DEFAULT_INBOUND_ATTEMPTS = 5;

/** Retries of an outbound mail (5 s, 10 s, ... at most 15 min): an SMTP server that is down or deferring. */
export const DEFAULT_OUTBOUND_RETRY_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 5_000,
  capMs: 15 * 60_000,
  jitter: 0,
});
/** Attempts of one outbound mail before it is marked failed (with the backoff above, about 8 hours). */
export const DEFAULT_OUTBOUND_ATTEMPTS = 40;

/** Short in-process retries of one database write that must not be lost (0.5 s, 1 s, 2 s, 2 s). */
export const DEFAULT_WRITE_RETRY_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 500,
  capMs: 2_000,
  jitter: 0,
});
/** Tries of such a write, the first included. */
export const DEFAULT_WRITE_RETRY_TRIES = 5;

/** Doubling stops here: 2^30 times any base is far beyond every cap, and 2^1000 would be Infinity. */
const MAX_DOUBLINGS = 30;

/**
 * The delay before retry number `retry` (0 for the first retry): `baseMs * 2^retry`, at most `capMs`, of which the
 * `jitter` share is random (`random` returns a number in [0, 1], as Math.random does).
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(0, retry), MAX_DOUBLINGS));
  return Math.round(exp * (1 - policy.jitter + policy.jitter * random()));
}

/** Runs `fn` up to `tries` times, waiting `backoffDelay` between tries; rethrows the last error. */
export async function retryWithBackoff<T>(
  fn: () => Promise<T>,
  options: { tries?: number; policy?: BackoffPolicy } = {},
): Promise<T> {
  const tries = options.tries ?? DEFAULT_WRITE_RETRY_TRIES;
  const policy = options.policy ?? DEFAULT_WRITE_RETRY_BACKOFF;
  for (let retry = 0; ; retry++) {
    try {
      return await fn();
    } catch (err) {
      if (retry + 1 >= tries) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(retry, policy)));
    }
  }
}
