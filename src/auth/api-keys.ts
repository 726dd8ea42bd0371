import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { ValidationError } from '../errors.js';

export type Scope = 'read' | 'agent' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'agent', 'admin'];
const KEY_PREFIX = 'ik_';

/** Keys carry 192 random bits, so one SHA-256 is enough (no slow hash needed, unlike passwords). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface CreatedApiKey {
  id: string;
  name: string;
  scope: Scope;
  /** Shown once; only its hash is stored. */
  key: string;
}

export async function createApiKey(db: DbOrTrx, input: { name: string; scope: string }): Promise<CreatedApiKey> {
  if (!SCOPES.includes(input.scope as Scope)) throw new ValidationError(`scope must be one of ${SCOPES.join(', ')}`);
  if (!input.name.trim()) throw new ValidationError('an API key needs a name');
  const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      name: input.name.trim(),
      scope: input.scope as Scope,
      key_prefix: key.slice(0, 8),
      key_hash: hashApiKey(key),
    })
    .returning(['id', 'name', 'scope'])
    .executeTakeFirstOrThrow();
  return { ...row, key };
}

export interface ApiPrincipal {
  keyId: string;
  name: string;
  scope: Scope;
}

/**
 * How long a process trusts a key it verified (ms) before asking PostgreSQL again. Every request presents
 * a key, and one query per request was a measurable part of the API's cost. Revoking through the same cache
 * (revokeApiKey with it) takes effect at once; a key revoked by another process (the CLI, another web process)
 * keeps working here for at most this long. Unknown keys are never cached (nothing to fill memory with).
 */
export const DEFAULT_API_KEY_CACHE_TTL_MS = 15_000;
/** Bounds the cache when many distinct valid keys are in use; the oldest entry goes first. */
export const API_KEY_CACHE_MAX_ENTRIES = 1_000;

export interface ApiKeyCacheOptions {
  /** How long a verified key is trusted (ms); 0 asks PostgreSQL on every request. Default DEFAULT_API_KEY_CACHE_TTL_MS. */
  ttlMs?: number;
  /** The clock (tests move it by hand). Default Date.now. */
  now?: () => number;
}

/** One process's verified keys, made once per app context (src/app-context.ts), never module state. */
export interface ApiKeyCache {
  /**
   * Looks a presented key up by its hash. Returns undefined for unknown or revoked keys. A valid key is
   * remembered for the cache's TTL (see DEFAULT_API_KEY_CACHE_TTL_MS for what that means for revocation).
   */
  verify(db: DbOrTrx, presented: string): Promise<ApiPrincipal | undefined>;
  /** Drops every remembered key; a verification already under way is not remembered either. */
  clear(): void;
}

interface CachedKey {
  principal: ApiPrincipal;
  expiresAt: number;
}

export function createApiKeyCache(options: ApiKeyCacheOptions = {}): ApiKeyCache {
  const ttlMs = options.ttlMs ?? DEFAULT_API_KEY_CACHE_TTL_MS;
  const clock = options.now ?? Date.now;
  // Keyed by the hash of a 192-bit secret, so a lookup reveals nothing a timing attack could use.
  const verified = new Map<string, CachedKey>();
  // Bumped on revocation: a verification that was in flight when a key was revoked must not be remembered.
  let generation = 0;
  return {
    async verify(db, presented) {
      if (!isKeyShaped(presented)) return undefined;
      const hash = hashApiKey(presented);
      const hit = verified.get(hash);
      if (hit) {
        if (hit.expiresAt > clock()) return hit.principal;
        verified.delete(hash);
      }
      const started = generation;
      const principal = await findValidKey(db, hash);
      if (principal && ttlMs > 0 && started === generation) {
        if (verified.size >= API_KEY_CACHE_MAX_ENTRIES) verified.delete(verified.keys().next().value!);
        verified.set(hash, { principal, expiresAt: clock() + ttlMs });
      }
      return principal;
    },
    clear() {
      verified.clear();
      generation += 1;
    },
  };
}

const isKeyShaped = (presented: string) => presented.startsWith(KEY_PREFIX) && presented.length <= 200;

async function findValidKey(db: DbOrTrx, hash: string): Promise<ApiPrincipal | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scope', 'key_hash'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return undefined;
  return Object.freeze({ keyId: row.id, name: row.name, scope: row.scope });
}

/**
 * Revokes a key. The `cache` given (its app context's) stops accepting it at once; other processes within
 * their TTL (DEFAULT_API_KEY_CACHE_TTL_MS).
 */
export async function revokeApiKey(db: DbOrTrx, id: string, cache?: ApiKeyCache): Promise<boolean> {
  cache?.clear();
  const r = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('id', '=', id)
    .executeTakeFirst();
  // Again after the update: a verification that read the row before it changed must not stay cached.
  cache?.clear();
  return Number(r.numUpdatedRows) > 0;
}

export async function listApiKeys(db: DbOrTrx) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scope', 'key_prefix', 'created', 'last_used_at', 'revoked_at'])
    .orderBy('created')
    .execute();
}
