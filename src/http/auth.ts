import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { ApiKeyCache, ApiPrincipal } from '../auth/api-keys.js';
import { claimsOfRole, claimsOfScope, hasClaim, type Actor, type Claim } from '../auth/claims.js';
import { csrfTokenMatches, findSession, type ActiveSession, type SessionPolicy } from '../auth/sessions.js';
import type { StaffUserRow } from '../auth/staff-users.js';
import type { ChangedBy } from '../cases/case.types.js';
import type { Db } from '../db/database.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The claim a route needs (src/auth/claims.ts). Every route declares it or `public` (test/route-needs.test.ts
     * walks them all); an /api route that declares neither needs `admin`.
     */
    needs?: Claim;
    /** Route is open (health checks, metrics, docs, the sign-in page). */
    public?: boolean;
    /** Route is not rate-limited (health probes and /metrics, which monitoring calls from few addresses). */
    unlimited?: boolean;
    /** The route checks the session's CSRF token in a form field itself (sign-out): no X-CSRF-Token asked for. */
    csrfInForm?: boolean;
  }
  interface FastifyRequest {
    /** The API key of a request authenticated by one. */
    principal?: ApiPrincipal;
    /** Who is calling: a staff user (session cookie) or an API key. Set on every authenticated request. */
    actor?: Actor;
    /** The session of a request authenticated by the session cookie. */
    staffSession?: ActiveSession;
  }
}

/** The session cookie: an opaque random token, only its SHA-256 is stored (src/auth/sessions.ts). */
export const SESSION_COOKIE = 'intake_session';
/** The header a cookie-authenticated request that changes state carries the session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_MESSAGE = 'CSRF token missing or wrong';

/** The actor of a signed-in staff user. */
export function userActor(user: Pick<StaffUserRow, 'id' | 'name' | 'email' | 'role'>): Actor {
  return {
    kind: 'user',
    id: user.id,
    name: user.name,
    email: user.email,
    role: user.role,
    claims: claimsOfRole(user.role),
  };
}

export function apiKeyActor(principal: ApiPrincipal): Actor {
  return { kind: 'apiKey', id: principal.keyId, name: principal.name, claims: claimsOfScope(principal.scope) };
}

/** What a case records as the author of a change made by `actor` (a staff user with their id, or an API key). */
export function changedByOf(actor: Actor | undefined): ChangedBy | undefined {
  if (!actor) return undefined;
  return { name: actor.name, userId: actor.kind === 'user' ? actor.id : null, email: actor.email ?? null };
}

/** Whether a request changes state: anything but GET, HEAD and OPTIONS, except the read-only POST …/search. */
export function changesState(request: FastifyRequest): boolean {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return false;
  const url = request.routeOptions.url ?? '';
  return !(request.method === 'POST' && /\/search$/i.test(url));
}

/** Options of the session cookie: Secure whenever the request came over TLS (behind a trusted proxy: its header). */
export function sessionCookieOptions(request: FastifyRequest, expires?: Date) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: request.protocol === 'https',
    ...(expires ? { expires } : {}),
  };
}

/**
 * The actor of a request: an "Authorization: Bearer <key>" header wins over a session cookie when both are sent.
 * UnauthorizedError for a missing or bad key, and for a cookie whose session has ended.
 */
async function authenticate(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: { db: Db; apiKeys: ApiKeyCache; sessions: SessionPolicy },
): Promise<Actor> {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <key>"');
    const principal = await deps.apiKeys.verify(deps.db, match[1]!);
    if (!principal) throw new UnauthorizedError('The API key is not valid or was revoked');
    request.principal = principal;
    return apiKeyActor(principal);
  }
  const token = request.cookies[SESSION_COOKIE];
  if (token) {
    const session = await findSession(deps.db, token, deps.sessions);
    if (!session) {
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
      throw new UnauthorizedError('Your session has ended: sign in again');
    }
    request.staffSession = session;
    return userActor(session.user);
  }
  throw new UnauthorizedError();
}

/**
 * Who may call what, on every route: a route declares the claim it `needs` (or `public`). The caller is an API key
 * (Authorization: Bearer) or a signed-in staff user (the session cookie); missing or bad credentials 401, a caller
 * without the claim 403. A cookie-authenticated request that changes state must carry the session's CSRF token in
 * X-CSRF-Token (403 otherwise): a bearer key is never sent by a browser on its own, a cookie is.
 * Every request is also counted (app.limitRequest, rate-limit.ts) before its body is read: against its key or user
 * once known, else against its client address, so a failed key counts against the address that sent it. Routes with
 * `config.unlimited` (health probes, /metrics) are not counted. `apiKeys`: the app context's cache.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: { db: Db; apiKeys: ApiKeyCache; sessions: SessionPolicy },
): void {
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const limit = config?.unlimited ? async () => undefined : app.limitRequest;
    // The route that matched, not the raw URL: the router decodes the path, so /%61pi/cases reaches /api/cases.
    // Without a match (a 404) only the URL can tell.
    const path = request.routeOptions.url ?? request.url;
    // An /api route that declares nothing needs the most (route-needs.test.ts fails on it); an unknown /api path
    // needs any valid caller, who then gets the 404.
    const needs =
      config?.needs ?? (path.startsWith('/api') ? (request.routeOptions.url ? 'admin' : 'cases:read') : undefined);
    if (config?.public || !needs) return limit(request, reply);
    let actor: Actor;
    try {
      actor = await authenticate(request, reply, deps);
    } catch (err) {
      await limit(request, reply);
      throw err;
    }
    request.actor = actor;
    await limit(request, reply);
    if (request.staffSession && changesState(request) && !config?.csrfInForm) {
      if (!csrfTokenMatches(request.staffSession.csrfToken, request.headers[CSRF_HEADER]))
        throw new ForbiddenError(CSRF_MESSAGE);
    }
    if (!hasClaim(actor.claims, needs)) {
      const who =
        actor.kind === 'apiKey' ? `This API key has the "${request.principal!.scope}" scope` : `The ${actor.role} role`;
      throw new ForbiddenError(`${who}; ${request.method} ${request.routeOptions.url} needs "${needs}"`);
    }
  });
}

/** What one route declares about who may call it (for the test that every route declares something). */
export interface RouteDeclaration {
  method: string;
  url: string;
  needs?: Claim;
  public?: boolean;
}

const declarations = new WeakMap<FastifyInstance, RouteOptions[]>();

/**
 * Remembers every route as it is added; call it before any route is registered. Swagger UI's routes (the API's
 * documentation, open to all) are declared public here, as their plugin cannot say so itself.
 */
export function recordRouteDeclarations(app: FastifyInstance): void {
  const list: RouteOptions[] = [];
  declarations.set(app, list);
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/swagger') && !route.config?.needs) route.config = { ...route.config, public: true };
    // The options themselves: a plugin's own onRoute hook (the dashboard's) runs after this one and may still declare.
    list.push(route);
  });
}

/** The routes of an app built with recordRouteDeclarations, with what each declares. */
export function routeDeclarations(app: FastifyInstance): RouteDeclaration[] {
  return (declarations.get(app) ?? []).flatMap((route) =>
    [route.method]
      .flat()
      .map((method) => ({ method, url: route.url, needs: route.config?.needs, public: route.config?.public })),
  );
}
