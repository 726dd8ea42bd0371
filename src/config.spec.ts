import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ACK_DOMAIN_HOURLY_LIMIT,
  DEFAULT_ACK_HOURLY_LIMIT,
  DEFAULT_DATABASE_URL,
  DEFAULT_IMAP_MAX_CONCURRENT_LOGINS,
  DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST,
  DEV_MESSAGE_ID_SECRET,
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

  it('takes a Sentinel or Cluster REDIS_URL, hash-tags the prefix on a Cluster only, and refuses other schemes', () => {
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', QUEUE_PREFIX: 'acme' }).queuePrefix).toBe('acme');
    const sentinel = loadConfig({ REDIS_URL: 'redis-sentinel://s1:26379,s2:26379/main', QUEUE_PREFIX: 'acme' });
    expect(sentinel).toMatchObject({ redisUrl: 'redis-sentinel://s1:26379,s2:26379/main', queuePrefix: 'acme' });
    expect(loadConfig({ REDIS_URL: 'redis-cluster://n1:7000,n2:7001', QUEUE_PREFIX: 'acme' }).queuePrefix).toBe(
      '{acme}',
    );
    expect(() => loadConfig({ REDIS_URL: 'memcached://cache' })).toThrow(/REDIS_URL must start with redis:\/\//);
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

  it('refuses the development MESSAGE_ID_SECRET (or none) when NODE_ENV=production, in one line', () => {
    const message = 'MESSAGE_ID_SECRET must be set to a secret of your own when NODE_ENV=production';
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(message);
    expect(() => loadConfig({ NODE_ENV: 'production', MESSAGE_ID_SECRET: DEV_MESSAGE_ID_SECRET })).toThrow(message);
    expect(loadConfig({ NODE_ENV: 'production', MESSAGE_ID_SECRET: 's3cr3t-of-ours' }).messageIdSecret).toBe(
      's3cr3t-of-ours',
    );
    expect(loadConfig({}).messageIdSecret).toBe(DEV_MESSAGE_ID_SECRET);
  });

  it('reads the old Message-ID secrets, the trusted authserv-ids and the acknowledgement limits', () => {
    const c = loadConfig({
      MESSAGE_ID_OLD_SECRETS: 'one, two',
      TRUSTED_AUTHSERV_IDS: 'MX.Google.com (none)',
      ACK_DOMAIN_HOURLY_LIMIT: '5',
      ACK_HOURLY_LIMIT: '0',
    });
    expect(c).toMatchObject({
      messageIdOldSecrets: ['one', 'two'],
      trustedAuthservIds: ['mx.google.com', '(none)'],
      ackDomainHourlyLimit: 5,
      ackHourlyLimit: 0,
    });
    expect(loadConfig({})).toMatchObject({
      messageIdOldSecrets: [],
      trustedAuthservIds: [],
      ackDomainHourlyLimit: DEFAULT_ACK_DOMAIN_HOURLY_LIMIT,
      ackHourlyLimit: DEFAULT_ACK_HOURLY_LIMIT,
    });
  });

  it('reads the IMAP login and per-host connection caps, on named defaults, where 0 turns a cap off', () => {
    expect(loadConfig({})).toMatchObject({
      imapMaxConcurrentLogins: DEFAULT_IMAP_MAX_CONCURRENT_LOGINS,
      imapMaxConnectionsPerHost: DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST,
    });
    expect(DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST).toBe(0);
    expect(loadConfig({ IMAP_MAX_CONCURRENT_LOGINS: '25', IMAP_MAX_CONNECTIONS_PER_HOST: '8' })).toMatchObject({
      imapMaxConcurrentLogins: 25,
      imapMaxConnectionsPerHost: 8,
    });
    expect(() => loadConfig({ IMAP_MAX_CONNECTIONS_PER_HOST: '-1' })).toThrow(
      'IMAP_MAX_CONNECTIONS_PER_HOST must be a whole number >= 0, got "-1"',
    );
    expect(() => loadConfig({ IMAP_MAX_CONCURRENT_LOGINS: 'lots' })).toThrow(/IMAP_MAX_CONCURRENT_LOGINS must be/);
  });
});
