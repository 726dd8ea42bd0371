import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { createStaffUser } from '../src/auth/staff-users.js';
import { createTestApp, type TestApp } from './helpers/app.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let t: TestApp;
const ADMIN = { email: 'root@example.com', name: 'Rita Root', password: 'root-password-1' };

beforeAll(async () => {
  t = await createTestApp('staffusers');
  await createStaffUser(t.ctx.db, { ...ADMIN, role: 'admin' });
});
afterAll(async () => {
  await t?.close();
});

const cookieOf = (res: LightMyRequestResponse, name: string) => res.cookies.find((c) => c.name === name);

async function signIn(email: string, password: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { Email: email, Password: password },
  });
  return {
    status: res.statusCode,
    cookie: res.statusCode === 200 ? `intake_session=${cookieOf(res, 'intake_session')!.value}` : '',
    csrf: res.statusCode === 200 ? (res.json().CsrfToken as string) : '',
  };
}

async function as(s: { cookie: string; csrf: string }, method: string, url: string, body?: unknown) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: res.body ? res.json() : null };
}

/** The sign-in page's form fields: its hidden CSRF value and the double-submit cookie that goes with it. */
async function openLoginPage(next?: string) {
  const page = await t.app.inject({ method: 'GET', url: `/login${next ? `?next=${encodeURIComponent(next)}` : ''}` });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  return { page, csrf, cookie: `intake_login_csrf=${cookieOf(page, 'intake_login_csrf')!.value}` };
}

function postLogin(fields: Record<string, string>, cookie: string) {
  return t.app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    payload: new URLSearchParams(fields).toString(),
  });
}

describe('the sign-in page', () => {
  it('GET /login: labelled Email and Password fields, a Sign in button, an alert region, a strict CSP', async () => {
    const { page } = await openLoginPage();
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toMatch(/<label for="email">Email<\/label>\s*<input id="email"/);
    expect(page.body).toMatch(/<label for="password">Password<\/label>\s*<input id="password"[^>]*type="password"/);
    expect(page.body).toContain('<button type="submit">Sign in</button>');
    expect(page.body).toContain('role="alert"');
    expect(page.body).not.toMatch(/<script|https?:\/\//);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
  });

  it('the right password → 303 to `next` with the session cookie; the cookie then reads the API', async () => {
    const { csrf, cookie } = await openLoginPage('/cases/CS-1001?tab=notes');
    const res = await postLogin(
      { email: ADMIN.email, password: ADMIN.password, _csrf: csrf, next: '/cases/CS-1001?tab=notes' },
      cookie,
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/cases/CS-1001?tab=notes');
    const session = cookieOf(res, 'intake_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/session',
      headers: { cookie: `intake_session=${session.value}` },
    });
    expect(me.json()).toMatchObject({ Email: ADMIN.email, Role: 'admin' });
  });

  it('a `next` of another site goes to / instead', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const { csrf, cookie } = await openLoginPage();
      const res = await postLogin({ email: ADMIN.email, password: ADMIN.password, _csrf: csrf, next }, cookie);
      expect(res.headers.location, next).toBe('/');
    }
  });

  it('a wrong password shows the page again with "Email or password is wrong" and sets no session', async () => {
    const { csrf, cookie } = await openLoginPage();
    const res = await postLogin({ email: ADMIN.email, password: 'wrong-password', _csrf: csrf, next: '/' }, cookie);
    expect(res.statusCode).toBe(401);
    expect(res.body).toMatch(/role="alert">Email or password is wrong</);
    expect(res.body).toContain(`value="${ADMIN.email}"`);
    expect(cookieOf(res, 'intake_session')).toBeUndefined();
  });

  it('a form without the login CSRF cookie, or with another value → 403, no session', async () => {
    const { csrf, cookie } = await openLoginPage();
    for (const [fields, c] of [
      [{ email: ADMIN.email, password: ADMIN.password, _csrf: csrf }, ''],
      [{ email: ADMIN.email, password: ADMIN.password, _csrf: 'forged' }, cookie],
    ] as const) {
      const res = await postLogin(fields, c);
      expect(res.statusCode).toBe(403);
      expect(cookieOf(res, 'intake_session')).toBeUndefined();
    }
  });

  it('POST /logout with the session CSRF token ends the session and goes to /login', async () => {
    const s = await signIn(ADMIN.email, ADMIN.password);
    const logout = (csrf: string) =>
      t.app.inject({
        method: 'POST',
        url: '/logout',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie },
        payload: `_csrf=${encodeURIComponent(csrf)}`,
      });
    expect((await logout('forged')).statusCode).toBe(403);
    expect((await as(s, 'GET', '/api/session')).status).toBe(200);
    const res = await logout(s.csrf);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect((await as(s, 'GET', '/api/session')).status).toBe(401);
  });
});

describe('managing staff users', () => {
  it('an admin creates a user without a password: one is generated, returned once, and signs in', async () => {
    const admin = await signIn(ADMIN.email, ADMIN.password);
    const created = await as(admin, 'POST', '/api/admin/users', {
      Email: 'Gen@Example.com',
      Name: 'Gen',
      Role: 'agent',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ Email: 'Gen@Example.com', Name: 'Gen', Role: 'agent', Disabled: false });
    expect(created.json.Password).toMatch(/^[\w-]{20,}$/);
    expect((await signIn('gen@example.com', created.json.Password)).status).toBe(200);
    const got = await as(admin, 'GET', `/api/admin/users/${created.json.Id}`);
    expect(got.json.Password).toBeUndefined();
    expect(got.json.LastSignIn).not.toBeNull();
    // Emails are unique whatever their case.
    const dup = await as(admin, 'POST', '/api/admin/users', { Email: 'GEN@example.com', Name: 'Again', Role: 'agent' });
    expect(dup.status).toBe(409);
    // A short password and an unknown role are 400s.
    expect(
      (
        await as(admin, 'POST', '/api/admin/users', {
          Email: 'p@example.com',
          Name: 'P',
          Role: 'agent',
          Password: 'short',
        })
      ).status,
    ).toBe(400);
    expect(
      (await as(admin, 'POST', '/api/admin/users', { Email: 'r@example.com', Name: 'R', Role: 'boss' })).status,
    ).toBe(400);
  });

  it('disabling a user ends their session at once; they cannot sign in again', async () => {
    const admin = await signIn(ADMIN.email, ADMIN.password);
    const { user } = await createStaffUser(t.ctx.db, {
      email: 'leaver@example.com',
      name: 'Lee Leaver',
      role: 'agent',
      password: 'leaver-password-1',
    });
    const leaver = await signIn('leaver@example.com', 'leaver-password-1');
    expect((await as(leaver, 'GET', '/api/session')).status).toBe(200);
    const put = await as(admin, 'PUT', `/api/admin/users/${user.id}`, { Disabled: true });
    expect(put.status).toBe(200);
    expect(put.json.Disabled).toBe(true);
    expect((await as(leaver, 'GET', '/api/cases/settings')).status).toBe(401);
    expect((await signIn('leaver@example.com', 'leaver-password-1')).status).toBe(401);
    // Not offered as an assignee any more.
    const users = await as(admin, 'GET', '/api/users');
    expect(users.json.map((u: { Email: string }) => u.Email)).not.toContain('leaver@example.com');
    expect(users.json.map((u: { Email: string }) => u.Email)).toContain(ADMIN.email);
  });

  it('PUT changes name, role and password; the new password works, the old one not', async () => {
    const admin = await signIn(ADMIN.email, ADMIN.password);
    const { user } = await createStaffUser(t.ctx.db, {
      email: 'mover@example.com',
      name: 'Mo',
      role: 'agent',
      password: 'mover-password-1',
    });
    const put = await as(admin, 'PUT', `/api/admin/users/${user.id}`, {
      Name: 'Mo Mover',
      Role: 'admin',
      Password: 'mover-password-2',
    });
    expect(put.json).toMatchObject({ Name: 'Mo Mover', Role: 'admin' });
    expect((await signIn('mover@example.com', 'mover-password-1')).status).toBe(401);
    const s = await signIn('mover@example.com', 'mover-password-2');
    expect((await as(s, 'GET', '/api/session')).json.Claims).toEqual(['cases:read', 'cases', 'admin']);
    expect((await as(admin, 'GET', '/api/admin/users/not-a-uuid')).status).toBe(404);
  });

  it('an API key with the agent scope works cases but not settings', async () => {
    const key = (await createApiKey(t.ctx.db, { name: 'helpdesk-bot', scope: 'agent' })).key;
    const created = await t.call('POST', '/api/cases', { Subject: 'from the bot' }, key);
    expect(created.status).toBe(201);
    expect(created.json.CaseStatusLog[0].ChangedBy).toBe('helpdesk-bot');
    const settings = (await t.call('GET', '/api/cases/settings', undefined, key)).json;
    expect((await t.call('PUT', '/api/cases/settings', settings, key)).status).toBe(403);
    expect((await t.call('GET', '/api/admin/users', undefined, key)).status).toBe(403);
  });
});

/** Runs `intake …` as an operator does, against this test's database. */
function intake(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/intake.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: t.database.url, INTAKE_ENV_FILE: '', LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('intake user', () => {
  it('create (generated password), list, disable by email', async () => {
    const created = await intake(
      'user',
      'create',
      '--email',
      'cli@example.com',
      '--name',
      'Cleo Cli',
      '--role',
      'agent',
    );
    expect(created.code, created.stderr).toBe(0);
    const [line, password] = created.stdout.trim().split('\n');
    expect(line).toMatch(/^created agent cli@example\.com \(id [0-9a-f-]{36}\)$/);
    expect((await signIn('cli@example.com', password!)).status).toBe(200);

    const list = await intake('user', 'list');
    expect(list.stdout).toMatch(/ agent {2}cli@example\.com {2}Cleo Cli\n/);

    const disabled = await intake('user', 'disable', 'CLI@example.com');
    expect(disabled.code, disabled.stderr).toBe(0);
    expect((await signIn('cli@example.com', password!)).status).toBe(401);
    expect((await intake('user', 'list')).stdout).toMatch(/cli@example\.com {2}Cleo Cli {2}\(disabled\)/);

    const bad = await intake('user', 'create', '--email', 'x@example.com', '--name', 'X', '--role', 'boss');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Role must be one of agent, admin');
  }, 120_000);
});
