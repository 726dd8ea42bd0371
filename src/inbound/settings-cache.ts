import type { DbOrTrx } from '../db/database.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';

/**
 * How long the worker reuses the case settings it read (ms). Settings change rarely and every job needs
 * them (the case-number prefix for parsing, Status Closed / Reopen for threading), so one query per
 * job is waste. A change is seen by the worker at most this late; creating a case (createCase) and
 * changing a status still read the settings inside their own transaction, so Status New, the number
 * prefix of a new case and the status rules are never stale.
 */
export const DEFAULT_SETTINGS_CACHE_MS = 5_000;

/** A getter that reads the case settings at most once per `ttlMs` (0: every call). Concurrent callers share one read. */
export function cachedCaseSettings(db: DbOrTrx, ttlMs: number = DEFAULT_SETTINGS_CACHE_MS, now: () => number = Date.now): () => Promise<CaseSettings> {
  let value: Promise<CaseSettings> | null = null;
  let readAt = 0;
  return () => {
    if (value && now() - readAt < ttlMs) return value;
    readAt = now();
    const read = getCaseSettings(db);
    value = read;
    // A failed read is not cached: the next job tries again.
    read.catch(() => {
      if (value === read) value = null;
    });
    return read;
  };
}
