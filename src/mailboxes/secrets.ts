import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM with a 32-byte key (SECRETS_KEY), a fresh 12-byte IV per value, and the value's owner
 * (a mailbox id) as additional data, so a sealed value copied onto another row does not open there.
 *
 * Sealed form: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url). The key id (8 bytes of the key's SHA-256) says which
 * key sealed the value: old keys (SECRETS_OLD_KEYS) still open what they sealed, and `intake secrets rotate` seals
 * everything again with the current key.
 */
export class SecretBox {
  readonly #current: { id: string; key: Buffer };
  readonly #keys: Map<string, Buffer>;

  constructor(current: Buffer, old: readonly Buffer[] = []) {
    for (const k of [current, ...old]) if (k.length !== 32) throw new Error('a secrets key is 32 bytes');
    this.#current = { id: keyId(current), key: current };
    this.#keys = new Map([current, ...old].map((k) => [keyId(k), k]));
  }

  /** The id of the key that seals new values. */
  get keyId(): string {
    return this.#current.id;
  }

  seal(plaintext: string, owner: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.#current.id, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join('.');
  }

  /** Throws SecretOpenError when the value is malformed, sealed by an unknown key, or altered. */
  open(sealed: string, owner: string): string {
    const [version, id, iv, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !id || iv === undefined || tag === undefined || ct === undefined)
      throw new SecretOpenError('not a sealed secret');
    const key = this.#keys.get(id);
    if (!key) throw new SecretOpenError(`sealed with key ${id}, which is neither SECRETS_KEY nor in SECRETS_OLD_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(owner, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretOpenError('the sealed secret does not open with its key (altered, or moved from another row)');
    }
  }

  /** True when the value was sealed by an older key (or is not sealed at all). */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#current.id;
  }
}

export class SecretOpenError extends Error {}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
}

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

/** A key as SECRETS_KEY gives it: 64 hex characters or the base64 of 32 bytes. Null when neither. */
export function parseSecretsKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const buf = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
    if (buf.length === 32) return buf;
  }
  return null;
}

/** The development key, used when SECRETS_KEY is unset outside production: known to everyone, so never for real data. */
export const DEV_SECRETS_KEY = createHash('sha256').update('intake development secrets key (not secret)').digest();
