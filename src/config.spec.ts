import { describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_URL, loadConfig } from './config.js';

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
});
