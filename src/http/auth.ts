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

/** API keys on every /api route: missing or bad key 401, valid key without the scope 403. `apiKeys`: the app context's cache. */
export function registerApiKeyAuth(app: FastifyInstance, db: Db, apiKeys: ApiKeyCache): void {
  app.addHook('onRequest', async (request) => {
    // The route that matched, not the raw URL: the router decodes the path, so /%61pi/cases reaches /api/cases.
    // Without a match (a 404) only the URL can tell.
    const path = request.routeOptions.url ?? request.url;
    if (request.routeOptions.config?.public || !path.startsWith('/api')) return;
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedError();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <key>"');
    const principal = await apiKeys.verify(db, match[1]!);
    if (!principal) throw new UnauthorizedError('The API key is not valid or was revoked');
    const needed = requiredScope(request);
    if (needed === 'admin' && principal.scope !== 'admin') {
      throw new ForbiddenError(
        `This API key has the "${principal.scope}" scope; ${request.method} ${request.routeOptions.url} needs "admin"`,
      );
    }
    request.principal = principal;
  });
}
