import type { DbOrTrx } from '../db/database.js';
import { readCaseSettings, type VersionedCaseSettings } from '../settings/settings.repository.js';

/**
 * How long the worker reuses the case settings it read (ms). Settings change rarely and every job needs
 * them (the case-number prefix for parsing, Status Closed / Reopen for threading, the acknowledgement
 * template), so one query per job is waste. A change is seen by the worker at most this late, except
 * where it matters: a new case is created against these settings and its insert confirms they are still
 * the stored version (createCase `settings`); when they are not, the message's transaction runs again
 * with fresh ones and the cache is dropped. Changing a status reads them inside its own transaction.
 */
export const DEFAULT_SETTINGS_CACHE_MS = 5_000;

/** A getter of the case settings (with their version) that reads them at most once per TTL; `invalidate` drops the copy. */
export interface CachedCaseSettings {
  (): Promise<VersionedCaseSettings>;
  invalidate(): void;
}

/** A getter that reads the case settings at most once per `ttlMs` (0: every call). Concurrent callers share one read. */
export function cachedCaseSettings(
  db: DbOrTrx,
  ttlMs: number = DEFAULT_SETTINGS_CACHE_MS,
  now: () => number = Date.now,
): CachedCaseSettings {
  let value: Promise<VersionedCaseSettings> | null = null;
  let readAt = 0;
  const get = () => {
    if (value && now() - readAt < ttlMs) return value;
    readAt = now();
    const read = readCaseSettings(db);
    value = read;
    // A failed read is not cached: the next job tries again.
    read.catch(() => {
      if (value === read) value = null;
    });
    return read;
  };
  return Object.assign(get, {
    invalidate() {
      value = null;
    },
  });
}
