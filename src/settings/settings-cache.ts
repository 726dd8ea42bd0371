import type { DbOrTrx } from '../db/database.js';
import { readCaseSettings, type VersionedCaseSettings } from './settings.repository.js';

/**
 * How long a process reuses the case settings it read (ms). Every API request needs them (next suggested
 * status, sort by status level, validation of a new case), and they change rarely. A change made through
 * the same cache's owner is seen at once (the writer invalidates); a change made by another process is seen
 * at most this late.
 */
export const DEFAULT_CASE_SETTINGS_TTL_MS = 10_000;

export interface CaseSettingsCacheOptions {
  /** How long a copy serves (ms); 0 reads on every call. Default DEFAULT_CASE_SETTINGS_TTL_MS. */
  ttlMs?: number;
  /** The clock (tests move it by hand). Default Date.now. */
  now?: () => number;
}

/**
 * One process's copy of the case settings with their version, made once per app context (src/app-context.ts)
 * or worker, never module state. Concurrent callers share one read; a failed read is not cached.
 */
export interface CaseSettingsCache {
  /**
   * The settings as `db` sees them, from the copy while it is fresh. Inside a transaction it always reads: a
   * transaction may be the one that changed them, and write rules that must see the current settings lock the
   * row (getCaseSettings(trx, { forUpdate: true })) instead.
   */
  get(db: DbOrTrx): Promise<VersionedCaseSettings>;
  /** Drops the copy; a read already under way is not kept either. Writers call it after their commit. */
  invalidate(): void;
}

interface Entry {
  value: Promise<VersionedCaseSettings>;
  readAt: number;
  generation: number;
}

export function createCaseSettingsCache(options: CaseSettingsCacheOptions = {}): CaseSettingsCache {
  const ttlMs = options.ttlMs ?? DEFAULT_CASE_SETTINGS_TTL_MS;
  const clock = options.now ?? Date.now;
  // Keyed by the pool's Kysely instance: a test or tool may read several databases through one cache.
  const entries = new WeakMap<object, Entry>();
  let generation = 0;
  return {
    get(db) {
      if (db.isTransaction || ttlMs <= 0) return readCaseSettings(db);
      const now = clock();
      const hit = entries.get(db);
      if (hit && hit.generation === generation && now - hit.readAt < ttlMs) return hit.value;
      const read = readCaseSettings(db).then(deepFreeze);
      const entry: Entry = { value: read, readAt: now, generation };
      entries.set(db, entry);
      read.catch(() => {
        if (entries.get(db) === entry) entries.delete(db);
      });
      return read;
    },
    invalidate() {
      generation += 1;
    },
  };
}

/**
 * The case settings with their version for reads that tolerate a copy up to the cache's TTL old (GET, search,
 * the first try of a create, the inbound worker): from `cache` when there is one, else read through `db`.
 * Callers must not mutate the result: a cached copy is shared (and frozen).
 */
export function cachedCaseSettings(db: DbOrTrx, cache?: CaseSettingsCache): Promise<VersionedCaseSettings> {
  return cache ? cache.get(db) : readCaseSettings(db);
}

/** Shared copies are frozen, so a caller that mutates one fails loudly instead of changing every request's settings. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
