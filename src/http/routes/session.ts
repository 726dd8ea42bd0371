import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { CLAIMS, claimsOfRole } from '../../auth/claims.js';
import { MAX_PASSWORD_LENGTH } from '../../auth/passwords.js';
import { createSession, csrfTokenMatches, endSession, findSession, type SessionPolicy } from '../../auth/sessions.js';
import { signIn, type LockoutPolicy } from '../../auth/sign-in.js';
import type { StaffUserRow } from '../../auth/staff-users.js';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth.js';
import { LOGIN_PAGE_CSP, loginPage, safeNext } from '../login-page.js';
import { errorResponses } from '../schemas/error.js';

const tags = ['Session'];
/** Double-submit cookie of the sign-in form: the form's hidden `_csrf` must equal it (no session exists yet). */
export const LOGIN_CSRF_COOKIE = 'intake_login_csrf';
/** The one message for every failed sign-in: unknown email, wrong password, disabled user, locked email. */
export const SIGN_IN_FAILED = 'Email or password is wrong';

export const SessionSchema = Type.Object(
  {
    UserId: Type.String({ format: 'uuid' }),
    Email: Type.String(),
    Name: Type.String(),
    Role: Type.Union([Type.Literal('agent'), Type.Literal('admin')]),
    Claims: Type.Array(Type.Union(CLAIMS.map((c) => Type.Literal(c)))),
    CsrfToken: Type.String({ description: 'Send it as X-CSRF-Token on every request that changes state' }),
    ExpiresAt: Type.String({ format: 'date-time', description: 'When the session ends if it is not used again' }),
  },
  { title: 'Session' },
);

const SignInBody = Type.Object(
  {
    Email: Type.String({ maxLength: 320 }),
    Password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

function sessionJson(user: StaffUserRow, session: { csrfToken: string; expiresAt: Date }) {
  return {
    UserId: user.id,
    Email: user.email,
    Name: user.name,
    Role: user.role,
    Claims: [...claimsOfRole(user.role)],
    CsrfToken: session.csrfToken,
    ExpiresAt: session.expiresAt.toISOString(),
  };
}

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', LOGIN_PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .send(html);
}

/**
 * Sign-in and sign-out: the server-rendered page at /login (a form, no scripts) and the JSON session API at
 * /api/session for the app and scripts. Sessions live in PostgreSQL (src/auth/sessions.ts), failed sign-ins too
 * (src/auth/sign-in.ts), so every web process sees the same.
 */
export function sessionRoutes(ctx: AppContext): FastifyPluginAsync {
  const sessions: SessionPolicy = { idleMinutes: ctx.config.sessionIdleMinutes, maxHours: ctx.config.sessionMaxHours };
  const lockout: LockoutPolicy = { maxFailures: ctx.config.loginMaxFailures, lockMinutes: ctx.config.loginLockMinutes };

  async function startSession(request: FastifyRequest, reply: FastifyReply, user: StaffUserRow) {
    const session = await createSession(
      ctx.db,
      user.id,
      { ip: request.ip, userAgent: request.headers['user-agent'] },
      sessions,
    );
    reply.setCookie(SESSION_COOKIE, session.token, sessionCookieOptions(request));
    return session;
  }

  function loginForm(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    fields: { next: string; email?: string; error?: string },
  ) {
    const csrfToken = randomBytes(24).toString('base64url');
    reply.setCookie(LOGIN_CSRF_COOKIE, csrfToken, {
      ...sessionCookieOptions(request),
      path: '/login',
      sameSite: 'strict',
    });
    return sendPage(reply, status, loginPage({ csrfToken, ...fields }));
  }

  return async (app) => {
    // Form bodies only here (the sign-in and sign-out forms); the API takes JSON alone.
    await app.register(formbody, { bodyLimit: 16 * 1024 });
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/login',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'The sign-in page (HTML form with Email and Password)',
          operationId: 'loginPage',
          security: [],
          querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }),
          response: { 200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      async (req, reply) => loginForm(req, reply, 200, { next: safeNext(req.query.next) }),
    );

    r.post(
      '/login',
      {
        config: { public: true },
        schema: {
          tags,
          summary:
            'Sign in with the form: 303 to `next` (a path of this site) with the session cookie, or the page again',
          description:
            'application/x-www-form-urlencoded with `email`, `password`, `_csrf` (the value of the intake_login_csrf cookie) and `next`.',
          operationId: 'loginForm',
          hide: true,
        },
      },
      async (req, reply) => {
        const body = (typeof req.body === 'object' && req.body ? req.body : {}) as Record<string, unknown>;
        const text = (v: unknown) => (typeof v === 'string' ? v : '');
        const next = safeNext(body.next);
        const email = text(body.email).slice(0, 320);
        const expected = req.cookies[LOGIN_CSRF_COOKIE];
        if (!expected || !csrfTokenMatches(expected, body._csrf)) {
          return loginForm(req, reply, 403, {
            next,
            email,
            error: 'The sign-in form had expired: please sign in again',
          });
        }
        const result = await signIn(ctx.db, { email, password: text(body.password), ip: req.ip }, lockout);
        if (!result.ok) {
          req.log.info({ reason: result.reason }, 'sign-in refused');
          return loginForm(req, reply, 401, { next, email, error: SIGN_IN_FAILED });
        }
        await startSession(req, reply, result.user);
        reply.clearCookie(LOGIN_CSRF_COOKIE, { ...sessionCookieOptions(req), path: '/login', sameSite: 'strict' });
        return reply.redirect(next, 303);
      },
    );

    r.post(
      '/logout',
      {
        // Checked here rather than by the auth hook: a form whose session has already ended still signs out.
        config: { public: true, csrfInForm: true },
        schema: {
          tags,
          summary: 'Sign out with a form (`_csrf`: the session CSRF token); 303 to /login',
          operationId: 'logoutForm',
          hide: true,
        },
      },
      async (req, reply) => {
        const token = req.cookies[SESSION_COOKIE];
        const session = token ? await findSession(ctx.db, token, sessions) : undefined;
        if (session) {
          const body = (typeof req.body === 'object' && req.body ? req.body : {}) as Record<string, unknown>;
          if (!csrfTokenMatches(session.csrfToken, body._csrf)) throw new ForbiddenError('CSRF token missing or wrong');
          await endSession(ctx.db, token!);
        }
        reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(req));
        return reply.redirect('/login', 303);
      },
    );

    r.get(
      '/api/session',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'The signed-in staff user and the CSRF token of the session (401 without a session)',
          operationId: 'getSession',
          response: { 200: SessionSchema, ...errorResponses() },
        },
      },
      async (req) => {
        if (!req.staffSession) throw new UnauthorizedError('No session: sign in at /login (an API key has none)');
        return sessionJson(req.staffSession.user, req.staffSession);
      },
    );

    r.post(
      '/api/session',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Sign in with Email and Password: the session, and its cookie in Set-Cookie',
          description: `401 "${SIGN_IN_FAILED}" for an unknown email, a wrong password, a disabled user and an email locked after too many failures (LOGIN_MAX_FAILURES within LOGIN_LOCK_MINUTES).`,
          operationId: 'createSession',
          security: [],
          body: SignInBody,
          response: { 200: SessionSchema, ...errorResponses(400) },
        },
      },
      async (req, reply) => {
        const result = await signIn(
          ctx.db,
          { email: req.body.Email, password: req.body.Password, ip: req.ip },
          lockout,
        );
        if (!result.ok) {
          req.log.info({ reason: result.reason }, 'sign-in refused');
          throw new UnauthorizedError(SIGN_IN_FAILED);
        }
        const session = await startSession(req, reply, result.user);
        return sessionJson(result.user, session);
      },
    );

    r.delete(
      '/api/session',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Sign out: ends the session (X-CSRF-Token needed) and clears its cookie',
          operationId: 'deleteSession',
          response: { 204: Type.Null({ description: 'Signed out' }), ...errorResponses(403) },
        },
      },
      async (req, reply) => {
        if (!req.staffSession) throw new UnauthorizedError('No session to end (an API key has none)');
        await endSession(ctx.db, req.cookies[SESSION_COOKIE]!);
        reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(req));
        return reply.status(204).send(null);
      },
    );
  };
}
