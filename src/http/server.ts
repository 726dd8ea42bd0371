import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { registerApiKeyAuth } from './auth.js';
import { registerErrorHandler } from './errors.js';
import { strictValidatorCompiler } from './schemas/validator.js';
import { caseRoutes } from './routes/cases.js';
import { registerOps } from './routes/ops.js';
import { RequestLogController } from '../ops/request-log.js';

export type App = FastifyInstance;

export const API_VERSION = '0.1.0';
/** Largest request body accepted (a note with its base64 attachments, a raw message to parse); more is a 413. */
export const MAX_REQUEST_BODY_BYTES = 25 * 1024 * 1024;

/**
 * Builds the HTTP app over the shared core. Routes are thin: they validate with TypeBox schemas
 * (which also make the OpenAPI document) and call functions in src/<feature>/.
 */
export async function buildServer(ctx: AppContext, options: { logger?: boolean } = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger === false ? undefined : (ctx.logger as FastifyBaseLogger),
    // Unknown body fields are an error (additionalProperties: false), not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    bodyLimit: MAX_REQUEST_BODY_BYTES,
    // One log line per completed request, probes at debug (Fastify 5: logController, not disableRequestLogging).
    logController: new RequestLogController(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated as sent (no silent type coercion); query strings and params are converted from text.
  app.setValidatorCompiler(strictValidatorCompiler);
  registerErrorHandler(app);

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

  registerApiKeyAuth(app, ctx.db);

  await app.register(caseRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/settings.js')).settingsRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/customers.js')).customerRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/case-search.js')).caseSearchRoutes(ctx), { prefix: '/api' });
  await app.register((await import('./routes/inbound.js')).inboundRoutes(ctx), { prefix: '/api' });
  await registerOps(app, ctx);
  return app as unknown as App;
}
