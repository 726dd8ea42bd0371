import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts a request against who sent it: its API key or staff user (`request.actor`) or, without one, its client address.
     * Past the limit it sets Retry-After and throws TooManyRequestsError (429). Counted once per request however
     * often it is called. A sign-in route calls it before checking the password, so guessing is limited per address.
     */
    limitRequest(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

export class TooManyRequestsError extends AppError {
  constructor(message: string) {
    super('RATE_LIMITED', message);
  }
}

/**
 * The bucket a request counts against, which also says which of the two limits applies. IPv6 addresses count by
 * their /64 (normalizeIP), as one user usually holds a whole /64. Behind a reverse proxy request.ip is the proxy's
 * address unless Fastify's trustProxy is set.
 */
function bucketOf(request: FastifyRequest): string {
  if (request.principal) return `api-key:${request.principal.keyId}`;
  // A signed-in staff user counts as a key does (RATE_LIMIT_PER_API_KEY), not against the office's shared address.
  if (request.actor?.kind === 'user') return `user:${request.actor.id}`;
  return `address:${normalizeIP(request.ip)}`;
}

const limitOf = (key: string, perKey: number, perAddress: number) => (key.startsWith('address:') ? perAddress : perKey);

/**
 * Rate limits of the web process (@fastify/rate-limit, fixed windows). With the app's Redis the counts live there,
 * under `<QUEUE_PREFIX>:rate-limit:`, so every web process behind a load balancer counts against the same limit;
 * without one (tests, a single process) they live in this process's memory. If Redis does not answer, requests are
 * let through rather than failed: the limits protect the API, and an outage of Redis must not take it down.
 * Nothing is counted until a route calls `app.limitRequest` (the API-key hook in auth.ts does for every request).
 */
export async function registerRateLimits(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { rateLimitPerApiKey, rateLimitPerAddress, rateLimitWindowMs } = ctx.config;
  await app.register(rateLimit, {
    global: false,
    timeWindow: rateLimitWindowMs,
    ...(ctx.redis ? { redis: ctx.redis, nameSpace: `${ctx.config.queuePrefix}:rate-limit:` } : {}),
    skipOnError: true,
    keyGenerator: bucketOf,
    allowList: (_request, key) => limitOf(key, rateLimitPerApiKey, rateLimitPerAddress) === 0,
    max: (_request, key) => limitOf(key, rateLimitPerApiKey, rateLimitPerAddress),
    errorResponseBuilder: (request, context) =>
      new TooManyRequestsError(
        `Too many requests ${request.principal ? `with the API key "${request.principal.name}"` : request.actor ? `of ${request.actor.name}` : 'from this address without a valid API key'}: at most ${context.max} per ${Math.round(rateLimitWindowMs / 1000)} s; retry in ${context.after}`,
      ),
  });
  app.decorate('limitRequest', app.rateLimit() as (request: FastifyRequest, reply: FastifyReply) => Promise<void>);
}
