import { describe, expect, it } from 'vitest';
import { MailboxAuthError } from './auth-error.js';
import { OAuth2Credentials } from './credentials.js';
import { refreshDueAt, TokenCache } from './token-cache.js';

describe('refreshDueAt', () => {
  it('renews an hour-long token 5 minutes early and a short one at 90 % of its life', () => {
    expect(refreshDueAt(0, 3_600_000)).toBe(3_300_000);
    expect(refreshDueAt(0, 10_000)).toBe(9_000);
  });
});

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

describe('TokenCache', () => {
  it('asks once for many callers at the same time, then serves the cached token', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cache = new TokenCache({
      fetchToken: async () => {
        calls++;
        await gate;
        return { accessToken: `t${calls}`, expiresInMs: 60_000 };
      },
    });
    const all = Promise.all([cache.get(), cache.get(), cache.get()]);
    release();
    expect(await all).toEqual(['t1', 't1', 't1']);
    expect(await cache.get()).toBe('t1');
    expect(calls).toBe(1);
  });

  it('renews a token that is due, and after invalidate()', async () => {
    const c = clock();
    let n = 0;
    const cache = new TokenCache({
      now: c.now,
      fetchToken: async () => ({ accessToken: `t${++n}`, expiresInMs: 10_000 }),
    });
    expect(await cache.get()).toBe('t1');
    c.t += 8_999;
    expect(await cache.get()).toBe('t1');
    c.t += 2;
    expect(await cache.get()).toBe('t2');
    cache.invalidate();
    expect(await cache.get()).toBe('t3');
  });

  it('does not ask again before the backoff delay after a failure, and keeps the provider text', async () => {
    const c = clock();
    let fail = true;
    const cache = new TokenCache({
      now: c.now,
      random: () => 1,
      backoff: { baseMs: 2_000, capMs: 300_000, jitter: 0 },
      fetchToken: async () => {
        if (fail)
          throw new MailboxAuthError('token endpoint refused (HTTP 400): invalid_grant: Token has been revoked', {
            providerError: 'invalid_grant',
          });
        return { accessToken: 'ok', expiresInMs: 60_000 };
      },
    });
    await expect(cache.get()).rejects.toMatchObject({ code: 'token_refused', providerError: 'invalid_grant' });
    expect(cache.requests).toBe(1);
    c.t += 1_999;
    await expect(cache.get()).rejects.toMatchObject({ code: 'backing_off', message: /invalid_grant/ });
    expect(cache.requests).toBe(1);
    c.t += 1;
    await expect(cache.get()).rejects.toThrow(/invalid_grant/);
    expect(cache.requests).toBe(2);
    // The second failure doubles the delay: 4 s.
    fail = false;
    c.t += 3_999;
    await expect(cache.get()).rejects.toMatchObject({ code: 'backing_off' });
    c.t += 1;
    expect(await cache.get()).toBe('ok');
    expect(cache.lastError).toBeUndefined();
  });

  it('keeps using a still-valid token while its renewal fails', async () => {
    const c = clock();
    let fail = false;
    const cache = new TokenCache({
      now: c.now,
      fetchToken: async () => {
        if (fail) throw new MailboxAuthError('token endpoint answered HTTP 503', { code: 'token_unreachable' });
        return { accessToken: 'first', expiresInMs: 100_000 };
      },
    });
    expect(await cache.get()).toBe('first');
    fail = true;
    c.t += 95_000;
    expect(await cache.get()).toBe('first');
    expect(cache.lastError?.message).toMatch(/503/);
    c.t += 5_000;
    await expect(cache.get()).rejects.toThrow(/503/);
  });
});

describe('OAuth2Credentials', () => {
  it('hands a rotated refresh token to the callback and uses it for the next refresh', async () => {
    const seen: string[] = [];
    const saved: string[] = [];
    let n = 0;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      seen.push(new URLSearchParams(init.body as URLSearchParams).get('refresh_token')!);
      n++;
      return new Response(JSON.stringify({ access_token: `at${n}`, expires_in: 1, refresh_token: `rt${n}` }), {
        status: 200,
      });
    }) as typeof fetch;
    const creds = new OAuth2Credentials(
      'me@example.com',
      { type: 'google', clientId: 'c', clientSecret: 's', refreshToken: 'rt0' },
      { fetch: fakeFetch, onRefreshToken: (t) => void saved.push(t) },
    );
    expect(await creds.login()).toEqual({ user: 'me@example.com', accessToken: 'at1' });
    creds.rejected();
    expect(await creds.login()).toEqual({ user: 'me@example.com', accessToken: 'at2' });
    expect(seen).toEqual(['rt0', 'rt1']);
    expect(saved).toEqual(['rt1', 'rt2']);
  });

  it('names the missing fields of an incomplete auth', () => {
    expect(
      () => new OAuth2Credentials('u', { type: 'microsoft365', tenantId: '', clientId: 'c', clientSecret: '' }),
    ).toThrow('microsoft365 auth needs tenantId, clientSecret');
  });
});
