import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../src/queue/queues.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { TEST_REDIS_URL } from './helpers/env.js';

const limits = { RATE_LIMIT_PER_API_KEY: '3', RATE_LIMIT_PER_ADDRESS: '2', RATE_LIMIT_WINDOW_MS: '60000' };

describe('rate limits, in this process', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('ratelimit', limits);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an API key past its limit gets a 429 with Retry-After and the JSON error shape; another key is not affected', async () => {
    const key = (await createApiKey(t.database.db, { name: 'busy', scope: 'read' })).key;
    for (let i = 0; i < 3; i++) expect((await t.call('GET', '/api/cases/settings', undefined, key)).status).toBe(200);
    const r = await t.call('GET', '/api/cases/settings', undefined, key);
    expect(r.status).toBe(429);
    expect(Number(r.res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(r.res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(r.json).toEqual({
      error: 'TooManyRequestsError',
      code: 'RATE_LIMITED',
      statusCode: 429,
      message: expect.stringMatching(/^Too many requests with the API key "busy": at most 3 per 60 s; retry in /),
    });
    expect((await t.call('GET', '/api/cases/settings', undefined, t.readKey)).status).toBe(200);
  });

  it('a limited request is refused before its body is read: a POST past the limit creates nothing', async () => {
    const key = (await createApiKey(t.database.db, { name: 'writer', scope: 'admin' })).key;
    for (let i = 0; i < 3; i++) await t.call('GET', '/api/cases/settings', undefined, key);
    const r = await t.call('POST', '/api/cases', { Subject: 'over the limit' }, key);
    expect(r.status).toBe(429);
    const found = await t.call('POST', '/api/cases/search', { SearchText: 'over the limit' });
    expect(found.json.TotalHits).toBe(0);
  });

  it('requests without a valid key count against the client address: bad keys, no key, the OpenAPI document', async () => {
    const from = (remoteAddress: string, url: string, authorization?: string) =>
      t.app.inject({ method: 'GET', url, remoteAddress, headers: authorization ? { authorization } : {} });
    expect((await from('192.0.2.1', '/api/cases/settings', 'Bearer ik_guess1')).statusCode).toBe(401);
    expect((await from('192.0.2.1', '/api/cases/settings')).statusCode).toBe(401);
    const third = await from('192.0.2.1', '/api/cases/settings', 'Bearer ik_guess3');
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBeDefined();
    expect(third.json()).toMatchObject({ code: 'RATE_LIMITED', statusCode: 429 });
    expect(third.json().message).toContain('from this address without a valid API key: at most 2 per 60 s');
    expect((await from('192.0.2.1', '/swagger/json')).statusCode).toBe(429);
    // A valid key from the same address is counted against the key, not the address.
    expect((await from('192.0.2.1', '/api/cases/settings', `Bearer ${t.adminKey}`)).statusCode).toBe(200);
    // Another address has its own count.
    expect((await from('192.0.2.2', '/swagger/json')).statusCode).toBe(200);
  });

  it('the OpenAPI document lists the 429 on every /api route', async () => {
    const doc = (await t.call('GET', '/swagger/json', undefined, null)).json;
    const operations = Object.entries(doc.paths as Record<string, Record<string, { responses: object }>>).flatMap(
      ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ at: `${method} ${path}`, op })),
    );
    const api = operations.filter((o) => o.at.includes(' /api/'));
    expect(api.length).toBeGreaterThan(10);
    for (const { at, op } of api) expect(Object.keys(op.responses), at).toContain('429');
    expect(doc.paths['/api/cases/search'].post.responses['429'].description).toContain('Retry-After');
  });

  it('health probes and /metrics scrapes are never limited', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.9' })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.9' })).statusCode).toBe(200);
    }
  });
});

describe('rate limits behind a reverse proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('ratelimitproxy', { ...limits, TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('count each client by the X-Forwarded-For of a trusted proxy, not by the proxy', async () => {
    const via = (client: string) =>
      t.app.inject({ method: 'GET', url: '/swagger/json', headers: { 'x-forwarded-for': client } });
    expect((await via('203.0.113.1')).statusCode).toBe(200);
    expect((await via('203.0.113.1')).statusCode).toBe(200);
    expect((await via('203.0.113.1')).statusCode).toBe(429);
    expect((await via('203.0.113.2')).statusCode).toBe(200);
  });
});

describe('rate limits on a guessed METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('ratelimitmetrics', { ...limits, METRICS_TOKEN: 'right-token' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a wrong token counts against the address; the right one is never limited', async () => {
    const scrape = (token: string) =>
      t.app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress: '192.0.2.20',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await scrape('guess-1')).statusCode).toBe(401);
    expect((await scrape('guess-2')).statusCode).toBe(401);
    expect((await scrape('guess-3')).statusCode).toBe(429);
    for (let i = 0; i < 3; i++) expect((await scrape('right-token')).statusCode).toBe(200);
  });
});

describe('rate limits in Redis, shared by every web process', () => {
  const prefix = `test-rl-${randomUUID().slice(0, 8)}`;
  const redis = createRedis(TEST_REDIS_URL, 'producer');
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    await redis.ping().catch(() => undefined);
    a = await createTestApp('ratelimita', { ...limits, QUEUE_PREFIX: prefix }, { redis });
    // A second web process over the same Redis, database and keys.
    b = await createTestApp('ratelimitb', { ...limits, QUEUE_PREFIX: prefix }, { redis });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    const keys = await redis.keys(`${prefix}:rate-limit:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts one client address across two processes, in keys under QUEUE_PREFIX', async () => {
    const from = (app: TestApp) =>
      app.app.inject({ method: 'GET', url: '/swagger/json', remoteAddress: '198.51.100.7' });
    expect((await from(a)).statusCode).toBe(200);
    expect((await from(b)).statusCode).toBe(200);
    const third = await from(a);
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(await redis.keys(`${prefix}:rate-limit:*`)).toEqual([`${prefix}:rate-limit:address:198.51.100.7`]);
  });
});
