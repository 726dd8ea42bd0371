import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import cookie from '@fastify/cookie';
import { recordRouteDeclarations, registerAuth } from './auth.js';
import { registerRateLimits } from './rate-limit.js';
import { registerErrorHandler } from './errors.js';
import { strictValidatorCompiler } from './schemas/validator.js';
import { caseRoutes } from './routes/cases.js';
import { registerOps } from './routes/ops.js';
import { RequestLogController, serializeRequest } from '../ops/request-log.js';
import { registerJsonBodyParser, SMALL_REQUEST_BODY_BYTES } from './json-body.js';

export type App = FastifyInstance;

export const API_VERSION = '0.1.0';
export { MAX_REQUEST_BODY_BYTES, SMALL_REQUEST_BODY_BYTES } from './json-body.js';

/**
 * Builds the HTTP app over the shared core. Routes are thin: they validate with TypeBox schemas
 * (which also make the OpenAPI document) and call functions in src/<feature>/.
 */
export async function buildServer(ctx: AppContext, options: { logger?: boolean } = {}): Promise<App> {
  const app = Fastify({
    // A `req` in any log line (Fastify's own or a plugin's) is written without its query string (request-log.ts).
    loggerInstance:
      options.logger === false
        ? undefined
        : (ctx.logger.child({}, { serializers: { req: serializeRequest } }) as FastifyBaseLogger),
    // Routes that take long text or files raise it to MAX_REQUEST_BODY_BYTES (json-body.ts).
    bodyLimit: SMALL_REQUEST_BODY_BYTES,
    // The client address (rate limits per address, logs) is the proxy's unless its X-Forwarded-For is trusted.
    trustProxy: ctx.config.trustProxy as boolean | string[],
    // One log line per completed request, probes at debug (Fastify 5: logController, not disableRequestLogging).
    logController: new RequestLogController(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The one validator of every route (TypeBox's compiler, src/http/schemas/validator.ts); route plugins inherit it,
  // so Fastify's own Ajv is never built. Bodies are validated as sent, query strings and params converted from text.
  app.setValidatorCompiler(strictValidatorCompiler);
  registerErrorHandler(app);
  registerJsonBodyParser(app);
  // Before any route: every route's declaration of what it needs is recorded (route-needs.test.ts reads them).
  recordRouteDeclarations(app);
  await app.register(cookie);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'intake API',
        version: API_VERSION,
        // A code span: Swagger UI renders the description as Markdown, where a bare <key> is an HTML tag.
        description:
          'Cases, notes, settings and customers. Every /api route needs `Authorization: Bearer <key>` or the session ' +
          'cookie of a signed-in staff user (POST /api/session or the /login page); with the cookie, requests that ' +
          "change state also send the session's `X-CSRF-Token`. Each route names the claim it needs: `cases:read`, " +
          '`cases` or `admin`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'intake_session' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/swagger' });

  await registerRateLimits(app, ctx);
  registerAuth(app, {
    db: ctx.db,
    apiKeys: ctx.apiKeys,
    sessions: { idleMinutes: ctx.config.sessionIdleMinutes, maxHours: ctx.config.sessionMaxHours },
  });

  await app.register(caseRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/session.js')).sessionRoutes(ctx));
  await app.register((await import('./routes/staff-users.js')).staffUserRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/settings.js')).settingsRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/customers.js')).customerRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/case-search.js')).caseSearchRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/inbound.js')).inboundRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/orders.js')).orderRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/projects.js')).projectRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/project-work.js')).projectWorkRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/staff-inbox.js')).staffInboxRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/messages.js')).messageRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/live.js')).liveRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/reply-templates.js')).replyTemplateRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/mailboxes.js')).mailboxRoutes(ctx), { prefix: '/api' });
  await registerOps(app, ctx);
  // The staff inbox at / (built from src/web when missing or, outside production, stale).
  await (
    await import('./web-app.js')
  ).registerWebApp(app, {
    db: ctx.db,
    sessions: { idleMinutes: ctx.config.sessionIdleMinutes, maxHours: ctx.config.sessionMaxHours },
    production: process.env.NODE_ENV === 'production',
    logger: app.log,
  });
  return app as unknown as App;
}
