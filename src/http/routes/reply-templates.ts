import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import {
  createReplyTemplate,
  deleteReplyTemplate,
  getReplyTemplate,
  listReplyTemplates,
  MAX_TEMPLATE_BODY_LENGTH,
  MAX_TEMPLATE_NAME_LENGTH,
  renderReplyTemplate,
  TEMPLATE_VARIABLES,
  updateReplyTemplate,
} from '../../inbox/reply-templates.js';
import { IdParams } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';

const tags = ['Reply templates'];
const VARIABLES = TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ');

const ReplyTemplateSchema = Type.Object(
  {
    Id: Type.String(),
    Name: Type.String(),
    Body: Type.String({ description: `Text with variables: ${VARIABLES}` }),
    Public: Type.Boolean({ description: 'Meant for a public reply (true) or an internal note (false)' }),
  },
  { additionalProperties: false, title: 'ReplyTemplate' },
);
const ReplyTemplateBody = Type.Object(
  {
    Name: Type.String({ minLength: 1, maxLength: MAX_TEMPLATE_NAME_LENGTH }),
    Body: Type.String({
      maxLength: MAX_TEMPLATE_BODY_LENGTH,
      description: `Variables: ${VARIABLES}; any other {{…}} is a 400`,
    }),
    Public: Type.Optional(Type.Boolean({ description: 'Default true (on create); unchanged when left out (on PUT)' })),
  },
  { additionalProperties: false, title: 'ReplyTemplateInput' },
);

/** Reply templates: admins manage them, agents list and render them for a case. */
export function replyTemplateRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/reply-templates',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'The reply templates, by name. Needs: cases:read',
          operationId: 'listReplyTemplates',
          response: { 200: Type.Array(ReplyTemplateSchema), ...errorResponses() },
        },
      },
      async () => listReplyTemplates(ctx.db),
    );

    r.post(
      '/cases/:id/reply-templates/:templateId/render',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: `A template filled in for a case and the caller (${VARIABLES}). Needs: cases:read`,
          description:
            'The case by id or number. Nothing is saved (a session still sends X-CSRF-Token, as with every POST but search). Empty values (a case without a customer name) become empty text.',
          operationId: 'renderReplyTemplate',
          params: Type.Object({
            id: Type.String({ maxLength: 100 }),
            templateId: Type.String({ maxLength: 100 }),
          }),
          response: {
            200: Type.Object({ Body: Type.String() }, { additionalProperties: false }),
            ...errorResponses(404),
          },
        },
      },
      async (req) => renderReplyTemplate(ctx.db, req.params.id, req.params.templateId, req.actor?.name ?? ''),
    );

    r.get(
      '/admin/reply-templates',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'The reply templates, by name. Needs: admin',
          operationId: 'adminListReplyTemplates',
          response: { 200: Type.Array(ReplyTemplateSchema), ...errorResponses(403) },
        },
      },
      async () => listReplyTemplates(ctx.db),
    );

    r.post(
      '/admin/reply-templates',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Create a reply template (names are unique whatever their letter case). Needs: admin',
          operationId: 'createReplyTemplate',
          body: ReplyTemplateBody,
          response: { 201: ReplyTemplateSchema, ...errorResponses(400, 403, 409) },
        },
      },
      async (req, reply) => reply.status(201).send(await createReplyTemplate(ctx.db, req.body)),
    );

    r.get(
      '/admin/reply-templates/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'One reply template. Needs: admin',
          operationId: 'getReplyTemplate',
          params: IdParams,
          response: { 200: ReplyTemplateSchema, ...errorResponses(403, 404) },
        },
      },
      async (req) => getReplyTemplate(ctx.db, req.params.id),
    );

    r.put(
      '/admin/reply-templates/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Replace a reply template. Needs: admin',
          operationId: 'updateReplyTemplate',
          params: IdParams,
          body: ReplyTemplateBody,
          response: { 200: ReplyTemplateSchema, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) => updateReplyTemplate(ctx.db, req.params.id, req.body),
    );

    r.delete(
      '/admin/reply-templates/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Delete a reply template. Needs: admin',
          operationId: 'deleteReplyTemplate',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(403, 404) },
        },
      },
      async (req, reply) => {
        await deleteReplyTemplate(ctx.db, req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
