import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { createCase, getCaseJson } from '../../cases/case.service.js';

// Minimal first routes; the full cases API (schemas, PUT/PATCH, search, notes...) is built on this.
export function caseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/cases/:id', { schema: { tags: ['Cases'], params: Type.Object({ id: Type.String() }) } }, async (req) => getCaseJson(ctx.db, req.params.id));
    r.post(
      '/cases',
      { schema: { tags: ['Cases'], body: Type.Object({ Subject: Type.String() }, { additionalProperties: false }) } },
      async (req, reply) => {
        const row = await createCase(ctx.db, req.body);
        return reply.status(201).send(await getCaseJson(ctx.db, row.id));
      },
    );
  };
}
