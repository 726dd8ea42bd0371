import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { basicAuthMatches } from '../ops/secure-compare.js';

/** Where the queue dashboard (Bull Board) is served. */
export const DASHBOARD_PATH = '/admin/queues';

/** Bull Board's page links Google Fonts; its stylesheet falls back to the system's fonts, so nothing leaves the site. */
const EXTERNAL_FONTS = /<link [^>]*href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^>]*>\s*/g;

/**
 * A page opened as http://user:pass@host/admin/queues has those credentials in its own URL, so every relative URL
 * it resolves carries them too, and browsers refuse fetch() of such URLs ("Request cannot be constructed from a URL
 * that includes credentials"): Bull Board's translations never load and the page stays on "Loading". The page
 * therefore reloads itself once at the same address without them; the browser keeps the credentials it
 * authenticated with for this site and sends them with every later request.
 */
const DROP_URL_CREDENTIALS =
  "<script>(function(){var u=new URL(document.URL);if(u.username||u.password){u.username='';u.password='';location.replace(u.href)}})()</script>";

/** The dashboard's HTML page as served: no request to another site, and no credentials in the page's URL. */
export function rewriteDashboardPage(html: string): string {
  return html.replace(EXTERNAL_FONTS, '').replace(/(<base [^>]*>)/, `$1\n    ${DROP_URL_CREDENTIALS}`);
}

/**
 * Bull Board over every intake queue, with retry of failed jobs, behind HTTP basic auth
 * (ADMIN_USER / ADMIN_PASSWORD). Without both credentials it is not mounted at all: an open
 * dashboard could retry, clean or delete jobs. Returns whether it was mounted.
 */
export async function registerDashboard(
  app: FastifyInstance,
  options: { config: Pick<Config, 'adminUser' | 'adminPassword'>; queues: readonly Queue[]; logger: Logger },
): Promise<boolean> {
  const { adminUser, adminPassword } = options.config;
  if (!adminUser || !adminPassword) {
    options.logger.info(
      `queue dashboard not mounted at ${DASHBOARD_PATH}: set ADMIN_USER and ADMIN_PASSWORD to enable it`,
    );
    return false;
  }
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q, { allowRetries: true, readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'intake queues', hideDocsLink: true } },
  });
  await app.register(
    async (scope) => {
      // Public to the API's own auth (src/http/auth.ts): the basic-auth hook below guards these routes instead.
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      // Encapsulated: the hook guards the dashboard's page, assets and API, and nothing else.
      scope.addHook('onRequest', async (request, reply) => {
        if (basicAuthMatches(request.headers.authorization, adminUser, adminPassword)) return;
        return reply.status(401).header('www-authenticate', 'Basic realm="intake queues", charset="UTF-8"').send({
          error: 'UnauthorizedError',
          code: 'UNAUTHORIZED',
          message: 'The queue dashboard needs the admin user name and password',
          statusCode: 401,
        });
      });
      scope.addHook('onSend', async (_request, reply, payload) => {
        const type = reply.getHeader('content-type');
        return typeof payload === 'string' && typeof type === 'string' && type.startsWith('text/html')
          ? rewriteDashboardPage(payload)
          : payload;
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
  options.logger.info({ path: DASHBOARD_PATH }, 'queue dashboard mounted');
  return true;
}
