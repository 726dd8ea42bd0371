import { describe, expect, it } from 'vitest';
import {
  assertPasswordAcceptable,
  DEFAULT_SCRYPT_PARAMS,
  generatePassword,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './passwords.js';

// Cheap parameters where the cost is not what is tested: the format and the comparison are the same.
const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('stores scrypt with its parameters and salt, and verifies the password it was made from', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash: the same password twice gives two hashes, both valid', async () => {
    const [a, b] = await Promise.all([hashPassword('same password', FAST), hashPassword('same password', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('the default parameters are memory-hard (32 MiB) and verify', async () => {
    expect(128 * DEFAULT_SCRYPT_PARAMS.N * DEFAULT_SCRYPT_PARAMS.r).toBe(32 * 1024 * 1024);
    const stored = await hashPassword('a default password');
    expect(stored.startsWith(`scrypt$${DEFAULT_SCRYPT_PARAMS.N}$8$${DEFAULT_SCRYPT_PARAMS.p}$`)).toBe(true);
    expect(await verifyPassword('a default password', stored)).toBe(true);
    expect(needsRehash(stored)).toBe(false);
  });

  it('a hash made with weaker parameters still verifies and asks to be remade', async () => {
    const old = await hashPassword('older password', FAST);
    expect(await verifyPassword('older password', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });

  it('a malformed stored hash never verifies', async () => {
    for (const stored of ['', 'plain', 'scrypt$x$8$1$abc$def', 'bcrypt$10$8$1$abc$def', 'scrypt$1024$8$1$abc'])
      expect(await verifyPassword('anything', stored), stored).toBe(false);
  });

  it('composes Unicode the same way however it was typed', async () => {
    const stored = await hashPassword('caf\u00e9 au lait', FAST);
    expect(await verifyPassword('cafe\u0301 au lait', stored)).toBe(true);
  });

  it('refuses short and huge passwords; generated ones are long and random', () => {
    expect(() => assertPasswordAcceptable('short')).toThrow(/at least 10/);
    expect(() => assertPasswordAcceptable('x'.repeat(1025))).toThrow(/at most 1024/);
    expect(() => assertPasswordAcceptable('long enough')).not.toThrow();
    const a = generatePassword();
    expect(a).toMatch(/^[\w-]{24}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
