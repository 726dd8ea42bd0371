/** First reconnect delay after a failure. */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
/** Reconnect delays never grow beyond this (plus a server's own suggestion, when it gives one). */
export const DEFAULT_BACKOFF_CAP_MS = 5 * 60_000;

export interface BackoffOptions {
  /** Delay before the first retry. Default {@link DEFAULT_BACKOFF_BASE_MS}. */
  baseMs?: number;
  /** Upper bound of the exponential part. Default {@link DEFAULT_BACKOFF_CAP_MS}. */
  capMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter in [50%, 100%]
 * so that many pollers cut off by the same outage do not all reconnect in the same instant
 * (a reconnect storm makes providers throttle harder).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const exp = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/**
 * The delay a server asked for, in ms, if its error says so. Office 365 answers throttled logins with
 * text like "Suggested Backoff Time: 299999 milliseconds"; reconnecting sooner only prolongs the throttle.
 */
export function suggestedBackoffMs(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { message?: unknown; responseText?: unknown; serverResponseCode?: unknown };
  const text = [e.message, e.responseText].filter((t): t is string => typeof t === 'string').join(' ');
  const m = /suggested\s+backoff\s+time:?\s*(\d+)\s*(milliseconds|ms|seconds|s)?/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  return unit === 'seconds' || unit === 's' ? n * 1000 : n;
}
