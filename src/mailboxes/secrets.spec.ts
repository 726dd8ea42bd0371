import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSecretsKey, SecretBox, SecretOpenError } from './secrets.js';

describe('SecretBox', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('opens what it sealed, and the sealed form shows neither the secret nor the same bytes twice', () => {
    const box = new SecretBox(k1);
    const a = box.seal('hunter2', 'mailbox-1');
    const b = box.seal('hunter2', 'mailbox-1');
    expect(a).not.toContain('hunter2');
    expect(a).not.toBe(b);
    expect(box.open(a, 'mailbox-1')).toBe('hunter2');
  });

  it('refuses a value moved to another owner, or altered', () => {
    const box = new SecretBox(k1);
    const sealed = box.seal('s3cret', 'mailbox-1');
    expect(() => box.open(sealed, 'mailbox-2')).toThrow(SecretOpenError);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('x'.repeat(6)).toString('base64url');
    expect(() => box.open(parts.join('.'), 'mailbox-1')).toThrow(SecretOpenError);
    expect(() => box.open('plain text', 'mailbox-1')).toThrow(/not a sealed secret/);
  });

  it('rotation: an old key still opens its values, which are stale until sealed again', () => {
    const before = new SecretBox(k1);
    const sealed = before.seal('token', 'm');
    const after = new SecretBox(k2, [k1]);
    expect(after.open(sealed, 'm')).toBe('token');
    expect(after.isStale(sealed)).toBe(true);
    expect(after.isStale(after.seal('token', 'm'))).toBe(false);
    expect(() => new SecretBox(k2).open(sealed, 'm')).toThrow(/neither SECRETS_KEY nor in SECRETS_OLD_KEYS/);
  });
});

describe('parseSecretsKey', () => {
  it('takes 64 hex characters or base64 of 32 bytes, and nothing shorter', () => {
    const key = randomBytes(32);
    expect(parseSecretsKey(key.toString('hex'))?.equals(key)).toBe(true);
    expect(parseSecretsKey(key.toString('base64'))?.equals(key)).toBe(true);
    expect(parseSecretsKey(key.toString('base64url'))?.equals(key)).toBe(true);
    expect(parseSecretsKey('abc')).toBeNull();
    expect(parseSecretsKey(randomBytes(16).toString('hex'))).toBeNull();
  });
});
