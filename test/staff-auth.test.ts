import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../src/auth/staff-users.js';
import { createAppContext } from '../src/app-context.js';
import { routeDeclarations } from '../src/http/auth.js';
import { buildServer } from '../src/http/server.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
const AGENT = { email: 'Agnes.Agent@example.com', name: 'Agnes Agent', password: 'agent-password-1' };
const ADMIN = { email: 'ada.admin@example.com', name: 'Ada Admin', password: 'admin-password-1' };
let agentId: string;

beforeAll(async () => {
  // TRUST_PROXY: X-Forwarded-Proto says whether the request came over TLS (the Secure cookie test).
  t = await createTestApp('staffauth', {
    TRUST_PROXY: 'true',
    LOGIN_MAX_FAILURES: '3',
    LOGIN_LOCK_MINUTES: '15',
    // Mounts the queue dashboard, so the walk over every route sees its routes too.
    ADMIN_USER: 'ops',
    ADMIN_PASSWORD: 'ops-password',
  });
  agentId = (await createStaffUser(t.ctx.db, { ...AGENT, role: 'agent' })).user.id;
  await createStaffUser(t.ctx.db, { ...ADMIN, role: 'admin' });
});
afterAll(async () => {
  await t?.close();
});

interface Session {
  cookie: string;
  csrf: string;
  res: LightMyRequestResponse;
}

function cookieOf(res: LightMyRequestResponse, name: string) {
  return res.cookies.find((c) => c.name === name);
}

async function signIn(who: { email: string; password: string }, headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/session',
    headers,
    payload: { Email: who.email, Password: who.password },
  });
  return res;
}

async function session(who: { email: string; password: string }): Promise<Session> {
  const res = await signIn(who);
  expect(res.statusCode, res.body).toBe(200);
  return { cookie: `intake_session=${cookieOf(res, 'intake_session')!.value}`, csrf: res.json().CsrfToken, res };
}

/** A request with the session's cookie; `csrf` false leaves the header out, a string sends that one. */
async function as(s: Session, method: string, url: string, body?: unknown, csrf: boolean | string = true) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      cookie: s.cookie,
      ...(csrf ? { 'x-csrf-token': csrf === true ? s.csrf : csrf } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: res.body ? res.json() : null, res };
}

describe('signing in with the JSON API', () => {
  it('the right password → 200 with the session and an HttpOnly, SameSite=Lax cookie (not Secure over plain HTTP)', async () => {
    const res = await signIn({ email: 'agnes.agent@EXAMPLE.com', password: AGENT.password });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ UserId: agentId, Email: AGENT.email, Name: AGENT.name, Role: 'agent' });
    expect(body.Claims).toEqual(['cases:read', 'cases']);
    expect(body.CsrfToken).toMatch(/^[\w-]{40,}$/);
    expect(new Date(body.ExpiresAt).getTime()).toBeGreaterThan(Date.now());
    const c = cookieOf(res, 'intake_session')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(c.secure).toBeFalsy();
    // Only the token's hash is stored.
    const stored = await t.ctx.db.selectFrom('staff_sessions').select('token_hash').execute();
    expect(stored.map((s) => s.token_hash)).not.toContain(c.value);
  });

  it('behind a TLS-terminating proxy (X-Forwarded-Proto: https, TRUST_PROXY) the cookie is Secure', async () => {
    const res = await signIn(AGENT, { 'x-forwarded-proto': 'https' });
    expect(cookieOf(res, 'intake_session')!.secure).toBe(true);
  });

  it('GET /api/session with the cookie → the same user; without one → 401', async () => {
    const s = await session(AGENT);
    const me = await as(s, 'GET', '/api/session');
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ UserId: agentId, Name: AGENT.name, CsrfToken: s.csrf });
    expect((await t.app.inject({ method: 'GET', url: '/api/session' })).statusCode).toBe(401);
  });

  it('a wrong password, an unknown email → 401 with the same message, no cookie', async () => {
    for (const who of [
      { email: ADMIN.email, password: 'not-the-password' },
      { email: 'nobody@example.com', password: 'whatever-it-is' },
    ]) {
      const res = await signIn(who);
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toBe('Email or password is wrong');
      expect(cookieOf(res, 'intake_session')).toBeUndefined();
    }
    // A successful sign-in of the admin clears its failure.
    expect((await signIn(ADMIN)).statusCode).toBe(200);
  });

  it('LOGIN_MAX_FAILURES failures lock the email: the right password then fails too, with the same message', async () => {
    const who = { email: 'locked@example.com', name: 'Lou Locked', password: 'locked-password-1' };
    await createStaffUser(t.ctx.db, { ...who, role: 'agent' });
    for (let i = 0; i < 3; i++)
      expect((await signIn({ ...who, password: `wrong-${i}-password` })).statusCode).toBe(401);
    const locked = await signIn(who);
    expect(locked.statusCode).toBe(401);
    expect(locked.json().message).toBe('Email or password is wrong');
    // 15 minutes later (the failures moved back in time) the lock is over.
    await t.ctx.db
      .updateTable('staff_sign_in_failures')
      .set({ at: new Date(Date.now() - 16 * 60_000) })
      .where('email', '=', who.email)
      .execute();
    expect((await signIn(who)).statusCode).toBe(200);
  });
});

describe('lock-out across web processes', () => {
  it('guesses sent at once to two web processes: at most LOGIN_MAX_FAILURES are checked, then the email is locked', async () => {
    const who = { email: 'raced@example.com', name: 'Ray Raced', password: 'raced-password-1' };
    await createStaffUser(t.ctx.db, { ...who, role: 'agent' });
    // A second web process: its own app and caches, the same database.
    const other = await buildServer(createAppContext({ ...t.ctx, caseSettings: undefined, apiKeys: undefined }), {
      logger: false,
    });
    try {
      const guesses = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : t.app).inject({
            method: 'POST',
            url: '/api/session',
            payload: { Email: who.email, Password: `guess-${i}-password` },
          }),
        ),
      );
      expect(guesses.map((g) => g.statusCode)).toEqual(Array(8).fill(401));
      // Every checked guess is a recorded failure. A guess that saw LOGIN_MAX_FAILURES others (checked, or in flight
      // at that moment) was refused unchecked and is not recorded: never more than 3 were checked.
      const recorded = async () =>
        (await t.ctx.db.selectFrom('staff_sign_in_failures').select('id').where('email', '=', who.email).execute())
          .length;
      const checked = await recorded();
      expect(checked).toBeGreaterThanOrEqual(1);
      expect(checked).toBeLessThanOrEqual(3);
      // Guessing on, one at a time, fills the allowance; then even the right password is refused.
      for (let i = checked; i < 3; i++)
        await other.inject({
          method: 'POST',
          url: '/api/session',
          payload: { Email: who.email, Password: `more-${i}-guesses` },
        });
      expect(await recorded()).toBe(3);
      const right = await other.inject({
        method: 'POST',
        url: '/api/session',
        payload: { Email: who.email, Password: who.password },
      });
      expect(right.statusCode).toBe(401);
      expect(await recorded()).toBe(3);
    } finally {
      await other.close();
    }
  });
});

describe('CSRF', () => {
  it('a cookie request that changes state without X-CSRF-Token, or with a wrong one → 403, nothing changed', async () => {
    const s = await session(AGENT);
    const created = await as(s, 'POST', '/api/cases', { Subject: 'csrf' });
    expect(created.status).toBe(201);
    const id = created.json.Id;
    for (const csrf of [false, 'wrong-token', `${s.csrf.slice(0, -1)}x`] as const) {
      const r = await as(s, 'POST', `/api/cases/${id}/changestatus?status=Closed`, undefined, csrf);
      expect(r.status).toBe(403);
      expect(r.json.message).toBe('CSRF token missing or wrong');
      const n = await as(s, 'POST', `/api/cases/${id}/notes`, { Comment: 'forged' }, csrf);
      expect(n.status).toBe(403);
    }
    const c = (await as(s, 'GET', `/api/cases/${id}`)).json;
    expect([c.Status, c.CommentCount]).toEqual(['New', 0]);
    // Reads and the read-only search need no token.
    expect((await as(s, 'POST', '/api/cases/search', { Take: 1 }, false)).status).toBe(200);
  });

  it('an API key needs no CSRF token, and a bearer key wins over a cookie', async () => {
    const s = await session(AGENT);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: s.cookie, authorization: `Bearer ${t.readKey}`, 'content-type': 'application/json' },
      payload: { Subject: 'bearer wins' },
    });
    // The read key, not the agent's session, decided: 403 for the claim, not for CSRF.
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('"read" scope');
    expect((await t.call('POST', '/api/cases', { Subject: 'key, no csrf' })).status).toBe(201);
  });
});

describe('sessions end', () => {
  it('an idle session → 401 (last use moved back past SESSION_IDLE_MINUTES)', async () => {
    const s = await session(AGENT);
    expect((await as(s, 'GET', '/api/session')).status).toBe(200);
    await t.ctx.db
      .updateTable('staff_sessions')
      .set({ last_seen: new Date(Date.now() - (480 * 60_000 + 1000)) })
      .where('csrf_token', '=', s.csrf)
      .execute();
    const r = await as(s, 'GET', '/api/cases/settings');
    expect(r.status).toBe(401);
    expect(r.json.message).toContain('session has ended');
  });

  it('a session past SESSION_MAX_HOURS → 401 even when used', async () => {
    const s = await session(AGENT);
    await t.ctx.db
      .updateTable('staff_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('csrf_token', '=', s.csrf)
      .execute();
    expect((await as(s, 'GET', '/api/session')).status).toBe(401);
  });

  it('DELETE /api/session signs out: the cookie is cleared and no longer works', async () => {
    const s = await session(AGENT);
    expect((await as(s, 'DELETE', '/api/session', undefined, false)).status).toBe(403);
    const out = await as(s, 'DELETE', '/api/session');
    expect(out.status).toBe(204);
    expect(cookieOf(out.res, 'intake_session')!.value).toBe('');
    expect((await as(s, 'GET', '/api/session')).status).toBe(401);
  });
});

describe('roles', () => {
  it('an agent gets 403 on admin routes, and nothing changes', async () => {
    const s = await session(AGENT);
    const before = (await as(s, 'GET', '/api/cases/settings')).json;
    const settingsPut = await as(s, 'PUT', '/api/cases/settings', { ...before, NumberPrefix: 'XX-' });
    expect(settingsPut.status).toBe(403);
    expect(settingsPut.json.message).toContain('needs "admin"');
    for (const [method, url, body] of [
      ['GET', '/api/admin/users', undefined],
      ['POST', '/api/admin/users', { Email: 'x@example.com', Name: 'X', Role: 'admin' }],
      ['GET', '/api/admin/mailboxes', undefined],
      ['GET', '/api/inbound/failed', undefined],
      ['POST', '/api/inbound/failed/00000000-0000-4000-8000-000000000000/retry', undefined],
    ] as const) {
      expect((await as(s, method, url, body)).status, `${method} ${url}`).toBe(403);
    }
    expect((await as(s, 'GET', '/api/cases/settings')).json.NumberPrefix).toBe(before.NumberPrefix);
    expect(await t.ctx.db.selectFrom('staff_users').where('email', '=', 'x@example.com').selectAll().execute()).toEqual(
      [],
    );
  });

  it('an admin may', async () => {
    const s = await session(ADMIN);
    expect((await as(s, 'GET', '/api/admin/users')).status).toBe(200);
    expect((await as(s, 'GET', '/api/admin/mailboxes')).status).toBe(200);
  });
});

describe('the actor is recorded', () => {
  it("an agent's status change, note and assignment carry the agent's name, not the API's", async () => {
    const s = await session(AGENT);
    const id = (await as(s, 'POST', '/api/cases', { Subject: 'actor' })).json.Id;
    expect((await as(s, 'POST', `/api/cases/${id}/changestatus?status=Closed`)).status).toBe(200);
    const note = await as(s, 'POST', `/api/cases/${id}/notes`, { Comment: 'mine', CreatedBy: 'someone else' });
    expect(note.status).toBe(201);
    expect([note.json.CreatedBy, note.json.CreatedByEmail]).toEqual([AGENT.name, AGENT.email]);
    const assigned = await as(s, 'POST', `/api/cases/${id}/assignto?userId=${agentId}`);
    expect([assigned.json.AssignedToUserId, assigned.json.AssignedToName]).toEqual([agentId, AGENT.name]);
    const c = (await as(s, 'GET', `/api/cases/${id}`)).json;
    const closed = c.CaseStatusLog.find((l: { Status: string }) => l.Status === 'Closed');
    expect(closed).toMatchObject({ ChangedBy: AGENT.name, ChangedByUserId: agentId });
    expect(c.LastCommenterName).toBe(AGENT.name);
    // An API key's change names the key.
    await t.call('POST', `/api/cases/${id}/changestatus?status=New`);
    const again = (await t.call('GET', `/api/cases/${id}`)).json;
    expect(again.CaseStatusLog.at(-1)).toMatchObject({ Status: 'New', ChangedBy: 'test-admin', ChangedByUserId: null });
  });
});

describe('every route declares what it needs', () => {
  it('each route is public or names a claim', () => {
    const routes = routeDeclarations(t.app);
    expect(routes.length).toBeGreaterThan(50);
    const undeclared = routes.filter((r) => !r.public && !r.needs).map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
    const needs = (method: string, url: string) => routes.find((r) => r.method === method && r.url === url)?.needs;
    expect(needs('PUT', '/api/cases/settings')).toBe('admin');
    expect(needs('POST', '/api/cases/:id/notes')).toBe('cases');
    expect(needs('GET', '/api/cases/:id')).toBe('cases:read');
    expect(routes.filter((r) => r.url.startsWith('/admin/queues')).length).toBeGreaterThan(0);
  });
});
