import type { DbOrTrx } from '../db/database.js';
import type { CaseSettings } from './case-settings.js';
import { readCaseSettings, type VersionedCaseSettings } from './settings.repository.js';

/**
 * How long a process reuses the case settings it read (ms). Every API request needs them (next suggested
 * status, sort by status level, validation of a new case), and they change rarely. A change made by this
 * process is seen at once (saving invalidates); a change made by another process is seen at most this late.
 */
export const DEFAULT_CASE_SETTINGS_TTL_MS = 10_000;

interface Entry {
  value: Promise<VersionedCaseSettings>;
  readAt: number;
  generation: number;
}

// Keyed by the pool's Kysely instance: tests and tools may hold several databases in one process.
const entries = new WeakMap<object, Entry>();
let generation = 0;
let ttlMs = DEFAULT_CASE_SETTINGS_TTL_MS;
let clock: () => number = Date.now;

/** Drops every cached copy in this process; a read already under way is not cached either. */
export function invalidateCaseSettingsCache(): void {
  generation += 1;
}

/** Test hook: a different TTL (0 turns the cache off) or clock. */
export function configureCaseSettingsCache(options: { ttlMs?: number; now?: () => number }): void {
  ttlMs = options.ttlMs ?? DEFAULT_CASE_SETTINGS_TTL_MS;
  clock = options.now ?? Date.now;
  invalidateCaseSettingsCache();
}

/**
 * The case settings with their version, from this process's cache when fresh. Inside a transaction it
 * always reads: a transaction may be the one that changed them, and write rules that must see the
 * current settings lock the row (getCaseSettings(trx, { forUpdate: true })) instead of calling this.
 * Concurrent callers share one read; a failed read is not cached.
 */
export function cachedCaseSettingsWithVersion(db: DbOrTrx): Promise<VersionedCaseSettings> {
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
}

/**
 * The case settings for reads that tolerate a copy up to DEFAULT_CASE_SETTINGS_TTL_MS old (GET, search).
 * Callers must not mutate the result: it is shared.
 */
export async function cachedCaseSettings(db: DbOrTrx): Promise<CaseSettings> {
  return (await cachedCaseSettingsWithVersion(db)).settings;
}

/** Shared copies are frozen, so a caller that mutates one fails loudly instead of changing every request's settings. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
