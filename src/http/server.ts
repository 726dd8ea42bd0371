import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { registerApiKeyAuth } from './auth.js';
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

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'intake API',
        version: API_VERSION,
        // A code span: Swagger UI renders the description as Markdown, where a bare <key> is an HTML tag.
        description: 'Cases, notes, settings and customers. Every /api route needs `Authorization: Bearer <key>`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/swagger' });

  await registerRateLimits(app, ctx);
  registerApiKeyAuth(app, ctx.db, ctx.apiKeys);

  await app.register(caseRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/settings.js')).settingsRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/customers.js')).customerRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/case-search.js')).caseSearchRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/inbound.js')).inboundRoutes(ctx), { prefix: '/api' });
  await registerOps(app, ctx);
  return app as unknown as App;
}
