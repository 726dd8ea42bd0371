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
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
  options.logger.info({ path: DASHBOARD_PATH }, 'queue dashboard mounted');
  return true;
}
