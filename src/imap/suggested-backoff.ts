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
