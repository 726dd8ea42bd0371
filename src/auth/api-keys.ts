import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import { ValidationError } from '../errors.js';

export type Scope = 'read' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'admin'];
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
    .values({ name: input.name.trim(), scope: input.scope as Scope, key_prefix: key.slice(0, 8), key_hash: hashApiKey(key) })
    .returning(['id', 'name', 'scope'])
    .executeTakeFirstOrThrow();
  return { ...row, key };
}

export interface ApiPrincipal {
  keyId: string;
  name: string;
  scope: Scope;
}

/** Looks a presented key up by its hash. Returns undefined for unknown or revoked keys. */
export async function verifyApiKey(db: DbOrTrx, presented: string): Promise<ApiPrincipal | undefined> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 200) return undefined;
  const hash = hashApiKey(presented);
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scope', 'key_hash'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return undefined;
  return { keyId: row.id, name: row.name, scope: row.scope };
}

export async function revokeApiKey(db: DbOrTrx, id: string): Promise<boolean> {
  const r = await db.updateTable('api_keys').set({ revoked_at: sql`now()` }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function listApiKeys(db: DbOrTrx) {
  return db.selectFrom('api_keys').select(['id', 'name', 'scope', 'key_prefix', 'created', 'last_used_at', 'revoked_at']).orderBy('created').execute();
}
