import { describe, expect, it } from 'vitest';
import { isolatedTestEnv } from './isolate-env.js';

const example = ['# comment', 'DATABASE_URL=postgres://x', '# IMAP_URL=imaps://a:b@c/INBOX', 'PORT=3000'].join('\n');

describe('isolatedTestEnv', () => {
  it("drops intake's variables, set or commented out in .env.example, and keeps TEST_* and the rest", () => {
    const env = isolatedTestEnv(
      {
        IMAP_URL: 'imaps://me:secret@imap.example.com/INBOX',
        DATABASE_URL: 'postgres://prod',
        PORT: '8080',
        INTAKE_API_KEY: 'k',
        TEST_DATABASE_URL: 'postgres://t',
        PATH: '/usr/bin',
      },
      example,
    );
    expect(env).toEqual({ TEST_DATABASE_URL: 'postgres://t', PATH: '/usr/bin', INTAKE_ENV_FILE: '' });
  });

  it('turns the .env file off for every process a test starts, whatever INTAKE_ENV_FILE said', () => {
    expect(isolatedTestEnv({ INTAKE_ENV_FILE: '/home/me/.env' }, example).INTAKE_ENV_FILE).toBe('');
  });
});
