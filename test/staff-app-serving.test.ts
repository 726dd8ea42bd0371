import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../src/auth/staff-users.js';
import { WEB_APP_CSP } from '../src/http/web-app.js';
import { createTestApp, type TestApp } from './helpers/app.js';

// How the web process serves the staff inbox: the page to signed-in staff only, its files to anyone, nothing else.
let t: TestApp;
let cookie: string;

beforeAll(async () => {
  t = await createTestApp('staffappserve');
  await createStaffUser(t.ctx.db, { email: 'una@example.com', name: 'Una', role: 'agent', password: 'una-password-1' });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { Email: 'una@example.com', Password: 'una-password-1' },
  });
  expect(res.statusCode).toBe(200);
  const set = res.cookies.find((c) => c.name === 'intake_session')!;
  cookie = `intake_session=${set.value}`;
});
afterAll(async () => {
  await t?.close();
});

describe('the staff inbox page and its files', () => {
  it('a visitor without a session is redirected to the sign-in page, to come back to /', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/login?next=%2F');
    const ended = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: 'intake_session=not-a-session' } });
    expect(ended.statusCode).toBe(302);
  });

  it('a signed-in user gets the page with the strict CSP and no inline script', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(WEB_APP_CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.body).toContain('<script type="module" src="/app/app.js"></script>');
    expect(res.body).not.toMatch(/<script>|<style>|https?:\/\//);
  });

  it('the bundle is served with an ETag; only the bundle files are served', async () => {
    const js = await t.app.inject({ method: 'GET', url: '/app/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body.length).toBeGreaterThan(1000);
    const again = await t.app.inject({
      method: 'GET',
      url: '/app/app.js',
      headers: { 'if-none-match': String(js.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect((await t.app.inject({ method: 'GET', url: '/app/styles.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    for (const url of [
      '/app/..%2Fpackage.json',
      '/app/index.html',
      '/app/missing.js',
      '/app/%2e%2e%2f%2e%2e%2fpackage.json',
    ])
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
  });
});
