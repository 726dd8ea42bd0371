import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { getCaseSettingsJson, updateCaseSettings } from '../../settings/settings.service.js';
import { errorResponses } from '../schemas/error.js';
import { MAX_REQUEST_BODY_BYTES } from '../json-body.js';
import { CaseSettingsBody, CaseSettingsSchema } from '../schemas/settings.js';

const tags = ['Case settings'];

/** GET/PUT /api/cases/settings. The rules (orphans, numbering) live in src/settings/settings.service.ts. */
export function settingsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/cases/settings',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary:
            'The case settings: statuses and designations, priorities, tags, sources, numbering, acknowledgement. Needs: cases:read',
          operationId: 'getCaseSettings',
          response: { 200: CaseSettingsSchema, ...errorResponses() },
        },
      },
      async () => getCaseSettingsJson(ctx.db),
    );

    r.put(
      '/cases/settings',
      {
        config: { needs: 'admin' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags,
          summary: 'Replace the case settings. Needs: admin',
          description:
            'The whole document (NextNumber optional). Refused with 409 when it would orphan live cases (a removed status, ' +
            'priority or tag still in use; the message names the count) or move NextNumber backwards.',
          operationId: 'updateCaseSettings',
          body: CaseSettingsBody,
          response: { 200: CaseSettingsSchema, ...errorResponses(400, 403, 409, 413) },
        },
      },
      async (req) => updateCaseSettings(ctx.db, req.body, ctx.caseSettings),
    );
  };
}
