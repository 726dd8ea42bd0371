import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { databaseCheck, redisCheck, runChecks, type HealthCheck } from '../../ops/health.js';
import { metrics } from '../../ops/metrics.js';
import { closeQueues, createOpsQueues } from '../../ops/queue-stats.js';
import { metricsAllowed, scrapeMetrics } from '../../ops/scrape.js';
import { startMetricsPublisher } from '../../ops/shared-metrics.js';
import { registerDashboard } from '../dashboard.js';

const CheckSchema = Type.Object({ ok: Type.Boolean(), ms: Type.Number(), error: Type.Optional(Type.String()) });

/**
 * Operator endpoints on the web process: /healthz, /readyz, /metrics (public; /metrics takes an optional
 * METRICS_TOKEN), the queue dashboard at /admin/queues (basic auth),
 * and HTTP latency by route pattern for every request. Called on the root instance so the hook sees all routes.
 */
export async function registerOps(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const queues = ctx.redis ? createOpsQueues(ctx.redis, ctx.config.queuePrefix) : [];
  app.addHook('onClose', async () => closeQueues(queues));
  // /metrics shows every process's mail series from Redis; web publishes whatever of them it counts itself.
  const shared = ctx.redis ? { redis: ctx.redis, prefix: ctx.config.queuePrefix } : undefined;
  const publisher = shared ? startMetricsPublisher({ ...shared, logger: ctx.logger }) : undefined;
  app.addHook('onClose', async () => publisher?.stop());

  // One histogram child per method, route and status, made on first use: observing through prom-client's labels
  // object re-validates and re-hashes the labels on every request (2 % of the server's CPU per GET).
  const series = new Map<string, { observe: (seconds: number) => void }>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern (/api/cases/:id), never the raw URL: raw URLs would make one series per case.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = series.get(key);
    if (!child)
      series.set(
        key,
        (child = metrics.httpDuration.labels({ method: request.method, route, status: String(reply.statusCode) })),
      );
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  const checks: Record<string, HealthCheck> = { database: databaseCheck(ctx.db) };
  if (ctx.redis) checks.redis = redisCheck(ctx.redis);
  Object.assign(checks, ctx.readinessChecks);

  app.get(
    '/healthz',
    {
      config: { public: true, unlimited: true },
      schema: { hide: true },
    },
    async () => ({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true, unlimited: true },
      schema: {
        summary: 'Readiness: database and Redis answer, and Redis may not evict queued jobs',
        tags: ['operations'],
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), checks: Type.Record(Type.String(), CheckSchema) }),
          503: Type.Object({
            error: Type.String(),
            code: Type.String(),
            message: Type.String(),
            statusCode: Type.Integer(),
            checks: Type.Record(Type.String(), CheckSchema),
          }),
        },
      },
    },
    async (_request, reply) => {
      const result = await runChecks(checks);
      if (result.ok) return { status: 'ok' as const, checks: result.checks };
      const failed = Object.entries(result.checks).filter(([, r]) => !r.ok);
      const message = `not ready: ${failed.map(([name, r]) => `${name} (${r.error})`).join(', ')}`;
      return reply
        .status(503)
        .send({ error: 'ServiceUnavailableError', code: 'NOT_READY', message, statusCode: 503, checks: result.checks });
    },
  );

  app.get('/metrics', { config: { public: true, unlimited: true }, schema: { hide: true } }, async (request, reply) => {
    if (!metricsAllowed(request.headers.authorization, ctx.config.metricsToken)) {
      // Scrapes are not counted, but a wrong token is, against its address: guessing METRICS_TOKEN is slow.
      await app.limitRequest(request, reply);
      return reply.status(401).send({
        error: 'UnauthorizedError',
        code: 'UNAUTHORIZED',
        message: 'The metrics need "Authorization: Bearer <METRICS_TOKEN>"',
        statusCode: 401,
      });
    }
    const { contentType, body } = await scrapeMetrics(queues, { db: ctx.db, logger: ctx.logger, shared });
    return reply.type(contentType).send(body);
  });

  await registerDashboard(app, { config: ctx.config, queues, logger: ctx.logger });
}
