import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_RATE_LIMIT_PER_ADDRESS,
  DEFAULT_RATE_LIMIT_PER_API_KEY,
  DEFAULT_RATE_LIMIT_WINDOW_MS,
  loadConfig,
} from './config.js';

describe('loadConfig', () => {
  it('works with an empty environment, on the documented defaults', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe(DEFAULT_DATABASE_URL);
    // Unset: each process takes its own default (runtime.ts startProcess).
    expect(c.databasePoolSize).toBeUndefined();
  });

  it('reads DATABASE_POOL_SIZE and refuses what is not a pool size in one line', () => {
    expect(loadConfig({ DATABASE_POOL_SIZE: '6' }).databasePoolSize).toBe(6);
    expect(loadConfig({ DATABASE_POOL_SIZE: ' ' }).databasePoolSize).toBeUndefined();
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(
      'DATABASE_POOL_SIZE must be a whole number >= 1, got "0"',
    );
    expect(() => loadConfig({ DATABASE_POOL_SIZE: 'many' })).toThrow(/DATABASE_POOL_SIZE must be a whole number/);
  });

  it('reads DATABASE_STATEMENT_TIMEOUT_MS, where 0 turns the timeout off', () => {
    expect(loadConfig({}).databaseStatementTimeoutMs).toBeUndefined();
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '2500' }).databaseStatementTimeoutMs).toBe(2500);
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }).databaseStatementTimeoutMs).toBe(0);
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(
      /DATABASE_STATEMENT_TIMEOUT_MS must be a whole number >= 0/,
    );
  });

  it('reads the rate limits of the web process, on named defaults, where 0 turns a limit off', () => {
    expect(loadConfig({})).toMatchObject({
      rateLimitPerApiKey: DEFAULT_RATE_LIMIT_PER_API_KEY,
      rateLimitPerAddress: DEFAULT_RATE_LIMIT_PER_ADDRESS,
      rateLimitWindowMs: DEFAULT_RATE_LIMIT_WINDOW_MS,
    });
    expect(loadConfig({ RATE_LIMIT_PER_API_KEY: '0', RATE_LIMIT_PER_ADDRESS: '10' })).toMatchObject({
      rateLimitPerApiKey: 0,
      rateLimitPerAddress: 10,
    });
    expect(() => loadConfig({ RATE_LIMIT_WINDOW_MS: '10' })).toThrow(
      /RATE_LIMIT_WINDOW_MS must be a whole number >= 1000/,
    );
  });

  it("reads TRUST_PROXY as true/false or the proxies' addresses", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16 ::1' }).trustProxy).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
      '::1',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY must be true or false/);
  });
});
