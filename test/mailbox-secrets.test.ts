import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createMailbox, loadRunnableMailboxes, secretBoxFor } from '../src/mailboxes/mailbox-store.js';
import { createTestApp, type TestApp } from './helpers/app.js';

/** Mailbox secrets at rest: sealed by SECRETS_KEY, rotated by `intake secrets rotate`, refused without a key. */

const ROOT = resolve(import.meta.dirname, '..');
const oldKey = randomBytes(32).toString('hex');
const newKey = randomBytes(32).toString('base64');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp('mbsecrets', { SECRETS_KEY: oldKey });
});
afterAll(async () => t?.close());

function intake(env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ['bin/intake.mjs', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATABASE_URL: t.database.url, INTAKE_ENV_FILE: '', LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const input = (name: string, password: string) => ({
  name,
  host: 'imap.example.com',
  user: `${name}@example.com`,
  auth: { type: 'password' as const, password },
});

describe('mailbox secrets', () => {
  it('rotation: after SECRETS_KEY changes, intake secrets rotate seals every secret with the new key', async () => {
    const before = secretBoxFor(loadConfig({ SECRETS_KEY: oldKey }).secretsKeys);
    await createMailbox(t.database.db, before, input('rot-a', 'pw-a'));
    await createMailbox(t.database.db, before, input('rot-b', 'pw-b'));

    // The new key alone cannot open the old values: the poller says so, it does not guess.
    const newOnly = secretBoxFor(loadConfig({ SECRETS_KEY: newKey }).secretsKeys);
    const refused = await loadRunnableMailboxes(t.database.db, newOnly, []);
    expect(refused.runnable).toEqual([]);
    expect(refused.unusable.map((u) => u.reason)).toEqual([
      expect.stringContaining('neither SECRETS_KEY nor in SECRETS_OLD_KEYS'),
      expect.stringContaining('neither SECRETS_KEY nor in SECRETS_OLD_KEYS'),
    ]);

    const rotated = await intake({ SECRETS_KEY: newKey, SECRETS_OLD_KEYS: oldKey }, 'secrets', 'rotate');
    expect(rotated.stderr).not.toMatch(/error/i);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('2 of 2 stored secrets sealed again');
    const after = await loadRunnableMailboxes(t.database.db, newOnly, []);
    expect(after.runnable.map((r) => r.config.pass).sort()).toEqual(['pw-a', 'pw-b']);
    // Run again: nothing left to do.
    expect((await intake({ SECRETS_KEY: newKey }, 'secrets', 'rotate')).stdout).toContain('0 of 2');
  });

  it('in production without SECRETS_KEY nothing secret is stored: 503 with the way out', async () => {
    const prod = await createTestApp('mbsecretsprod', { NODE_ENV: 'production', MESSAGE_ID_SECRET: 'x'.repeat(32) });
    try {
      const res = await prod.call('POST', '/api/admin/mailboxes', {
        Name: 'Support',
        Host: 'imap.example.com',
        User: 'support@example.com',
        Auth: { Type: 'password', Password: 'never-stored' },
      });
      expect(res.status).toBe(503);
      expect(res.json.message).toContain('SECRETS_KEY is not set');
      expect(await prod.database.db.selectFrom('mailboxes').selectAll().execute()).toEqual([]);
    } finally {
      await prod.close();
    }
  });

  it('a malformed SECRETS_KEY stops the process with one line', () => {
    expect(() => loadConfig({ SECRETS_KEY: 'too-short' })).toThrow(
      'SECRETS_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)',
    );
  });
});
