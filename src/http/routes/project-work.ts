import type { FastifyPluginAsync } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { createProjectFromCase, setCaseProjectLink } from '../../projects/case-link.js';
import {
  addPart,
  addTransaction,
  removePart,
  removeTransaction,
  updatePart,
  updateTransaction,
  type PartKind,
} from '../../projects/project-parts.js';
import { getProjectJson } from '../../projects/project.service.js';
import { moveWorkflow } from '../../projects/workflow.js';
import { errorResponses } from '../schemas/error.js';
import { forSerializer } from '../schemas/common.js';
import {
  ChangeOrderInput,
  ProjectFromCaseBody,
  ProjectIdParams,
  ProjectPartInput,
  ProjectSchema,
  TransactionInput,
} from '../schemas/project.js';

const tags = ['Projects'];
const ProjectResponse = forSerializer(ProjectSchema);
const ReasonQuery = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 10_000, description: 'Logged with the move' })) },
  { additionalProperties: false },
);
const ItemParams = (item: string) =>
  Type.Object({
    id: Type.String({ maxLength: 100, description: 'The project id or number' }),
    itemId: Type.String({ maxLength: 100, description: `The ${item} id` }),
  });
const CaseProjectParams = Type.Object({
  id: Type.String({ maxLength: 100, description: 'The case id or case number' }),
  projectId: Type.String({ maxLength: 100, description: 'The project id or number' }),
});

/**
 * Workflow moves, project parts, change orders, transactions (each answering with the whole project, so the client
 * sees the new transactionSummary at once) and the two-way link between cases and projects.
 */
export function projectWorkRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const by = (req: { actor?: { name: string } }) => req.actor?.name ?? 'api';

    r.post(
      '/Projects/:id/GoToWorkflowStep',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            'Move the project to any step of its workflow (logged); the last step finishes it when the type says finishOnLastStep. Needs: admin',
          operationId: 'goToWorkflowStep',
          params: ProjectIdParams,
          querystring: Type.Object(
            {
              stepId: Type.String({ minLength: 1, maxLength: 320 }),
              reason: Type.Optional(Type.String({ maxLength: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: ProjectResponse, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) => {
        const row = await moveWorkflow(ctx.db, req.params.id, 'GoToWorkflowStep', {
          stepId: req.query.stepId,
          reason: req.query.reason,
          by: by(req),
        });
        return getProjectJson(ctx.db, row.id);
      },
    );

    for (const action of ['Accept', 'Decline'] as const) {
      r.post(
        `/Projects/:id/${action}`,
        {
          config: { needs: 'admin' },
          schema: {
            tags,
            summary:
              action === 'Accept'
                ? 'The partner accepts the current step: it is completed and the next one starts (logged). Needs: admin'
                : 'The partner declines the current step: logged with its reason; the project stays on it. Needs: admin',
            operationId: action === 'Accept' ? 'acceptWorkflowStep' : 'declineWorkflowStep',
            params: ProjectIdParams,
            querystring: ReasonQuery,
            response: { 200: ProjectResponse, ...errorResponses(400, 403, 404, 409) },
          },
        },
        async (req) => {
          const row = await moveWorkflow(ctx.db, req.params.id, action, { reason: req.query.reason, by: by(req) });
          return getProjectJson(ctx.db, row.id);
        },
      );
    }

    const parts: [string, PartKind, string, TSchema][] = [
      ['ProjectParts', 'part', 'project part', ProjectPartInput],
      ['ChangeOrders', 'change_order', 'change order', ChangeOrderInput],
    ];
    for (const [path, kind, item, body] of parts) {
      const opId = path === 'ProjectParts' ? 'ProjectPart' : 'ChangeOrder';
      r.post(
        `/Projects/:id/${path}`,
        {
          config: { needs: 'admin' },
          schema: {
            tags,
            summary: `Add a ${item} (status Sent unless given); answers with the project. Needs: admin`,
            operationId: `add${opId}`,
            params: ProjectIdParams,
            body,
            response: { 201: ProjectResponse, ...errorResponses(400, 403, 404) },
          },
        },
        async (req, reply) => {
          await addPart(ctx.db, req.params.id, kind, req.body as never, by(req));
          return reply.status(201).send(await getProjectJson(ctx.db, req.params.id));
        },
      );
      r.put(
        `/Projects/:id/${path}/:itemId`,
        {
          config: { needs: 'admin' },
          schema: {
            tags,
            summary: `Replace a ${item}; answers with the project. Needs: admin`,
            operationId: `update${opId}`,
            params: ItemParams(item),
            body,
            response: { 200: ProjectResponse, ...errorResponses(400, 403, 404) },
          },
        },
        async (req) => {
          await updatePart(ctx.db, req.params.id, kind, req.params.itemId, req.body as never, by(req));
          return getProjectJson(ctx.db, req.params.id);
        },
      );
      r.delete(
        `/Projects/:id/${path}/:itemId`,
        {
          config: { needs: 'admin' },
          schema: {
            tags,
            summary: `Remove a ${item}; answers with the project. Needs: admin`,
            operationId: `remove${opId}`,
            params: ItemParams(item),
            response: { 200: ProjectResponse, ...errorResponses(403, 404) },
          },
        },
        async (req) => {
          await removePart(ctx.db, req.params.id, kind, req.params.itemId);
          return getProjectJson(ctx.db, req.params.id);
        },
      );
    }

    r.post(
      '/Projects/:id/Transactions',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Add a transaction; the project answers with its new transactionSummary. Needs: admin',
          operationId: 'addProjectTransaction',
          params: ProjectIdParams,
          body: TransactionInput,
          response: { 201: ProjectResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req, reply) => {
        await addTransaction(ctx.db, req.params.id, req.body);
        return reply.status(201).send(await getProjectJson(ctx.db, req.params.id));
      },
    );
    r.put(
      '/Projects/:id/Transactions/:itemId',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Replace a transaction (absent amounts are 0); answers with the project. Needs: admin',
          operationId: 'updateProjectTransaction',
          params: ItemParams('transaction'),
          body: TransactionInput,
          response: { 200: ProjectResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) => {
        await updateTransaction(ctx.db, req.params.id, req.params.itemId, req.body);
        return getProjectJson(ctx.db, req.params.id);
      },
    );
    r.delete(
      '/Projects/:id/Transactions/:itemId',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Remove a transaction; answers with the project. Needs: admin',
          operationId: 'removeProjectTransaction',
          params: ItemParams('transaction'),
          response: { 200: ProjectResponse, ...errorResponses(403, 404) },
        },
      },
      async (req) => {
        await removeTransaction(ctx.db, req.params.id, req.params.itemId);
        return getProjectJson(ctx.db, req.params.id);
      },
    );

    r.post(
      '/cases/:id/projects',
      {
        config: { needs: 'admin' },
        schema: {
          tags: ['Cases', 'Projects'],
          summary:
            "Create a project from a case: the case's customer and related orders, linked both ways in one transaction. Needs: admin",
          operationId: 'createProjectFromCase',
          params: Type.Object({ id: Type.String({ maxLength: 100, description: 'The case id or case number' }) }),
          body: ProjectFromCaseBody,
          response: { 201: ProjectResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req, reply) => {
        const { project } = await createProjectFromCase(ctx.db, req.params.id, req.body);
        return reply.status(201).send(await getProjectJson(ctx.db, project.id));
      },
    );

    for (const linked of [true, false]) {
      const route = {
        config: { needs: 'admin' as const },
        schema: {
          tags: ['Cases', 'Projects'],
          summary: linked
            ? "Link a case and a project: the case's RelatedProjects and the project's relatedCases, in one transaction. Needs: admin"
            : 'Unlink a case and a project on both sides, in one transaction. Needs: admin',
          description:
            'Idempotent: linking twice or unlinking what is not linked changes nothing. Answers with the project.',
          operationId: linked ? 'linkCaseProject' : 'unlinkCaseProject',
          params: CaseProjectParams,
          response: { 200: ProjectResponse, ...errorResponses(403, 404) },
        },
      };
      const handler = async (req: { params: { id: string; projectId: string } }) => {
        const { project } = await setCaseProjectLink(ctx.db, req.params.id, req.params.projectId, linked);
        return getProjectJson(ctx.db, project.id);
      };
      if (linked) r.post('/cases/:id/projects/:projectId', route, handler);
      else r.delete('/cases/:id/projects/:projectId', route, handler);
    }
  };
}
