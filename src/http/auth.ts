import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyCache, ApiPrincipal, Scope } from '../auth/api-keys.js';
import type { Db } from '../db/database.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope a route needs. Default: `read` for GET/HEAD and POST .../search, `admin` for everything else. */
    scope?: Scope;
    /** Route is open (health checks, metrics, docs). */
    public?: boolean;
    /** Route is not rate-limited (health probes and /metrics, which monitoring calls from few addresses). */
    unlimited?: boolean;
  }
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

function requiredScope(request: FastifyRequest): Scope {
  const configured = request.routeOptions.config?.scope;
  if (configured) return configured;
  if (request.method === 'GET' || request.method === 'HEAD') return 'read';
  if (request.method === 'POST' && request.routeOptions.url?.endsWith('/search')) return 'read';
  return 'admin';
}

/** The principal of a valid "Authorization: Bearer <key>" header; UnauthorizedError for a missing or bad one. */
async function authenticate(request: FastifyRequest, db: Db, apiKeys: ApiKeyCache): Promise<ApiPrincipal> {
  const header = request.headers.authorization;
  if (!header) throw new UnauthorizedError();
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <key>"');
  const principal = await apiKeys.verify(db, match[1]!);
  if (!principal) throw new UnauthorizedError('The API key is not valid or was revoked');
  return principal;
}

/**
 * API keys on every /api route: missing or bad key 401, valid key without the scope 403. Every request is also
 * counted (app.limitRequest, rate-limit.ts) before its body is read: against its key once the key is known, else
 * against its client address, so a failed key counts against the address that sent it. Routes with
 * `config.unlimited` (health probes, /metrics) are not counted. `apiKeys`: the app context's cache.
 */
export function registerApiKeyAuth(app: FastifyInstance, db: Db, apiKeys: ApiKeyCache): void {
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const limit = config?.unlimited ? async () => undefined : app.limitRequest;
    // The route that matched, not the raw URL: the router decodes the path, so /%61pi/cases reaches /api/cases.
    // Without a match (a 404) only the URL can tell.
    const path = request.routeOptions.url ?? request.url;
    if (config?.public || !path.startsWith('/api')) return limit(request, reply);
    let principal: ApiPrincipal;
    try {
      principal = await authenticate(request, db, apiKeys);
    } catch (err) {
      await limit(request, reply);
      throw err;
    }
    request.principal = principal;
    await limit(request, reply);
    const needed = requiredScope(request);
    if (needed === 'admin' && principal.scope !== 'admin') {
      throw new ForbiddenError(
        `This API key has the "${principal.scope}" scope; ${request.method} ${request.routeOptions.url} needs "admin"`,
      );
    }
  });
}
