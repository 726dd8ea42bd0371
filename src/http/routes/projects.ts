import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import {
  createProject,
  getProjectJson,
  softDeleteProject,
  updateProductStatuses,
  updateProject,
} from '../../projects/project.service.js';
import {
  createProjectType,
  getProjectType,
  listProjectTypes,
  projectTypeToJson,
  updateProjectType,
} from '../../projects/project-types.js';
import { searchProjects } from '../../projects/project-search.js';
import type { ProjectInput } from '../../projects/project.types.js';
import { errorResponses } from '../schemas/error.js';
import { forSerializer } from '../schemas/common.js';
import { MAX_REQUEST_BODY_BYTES } from '../json-body.js';
import {
  IGNORED_PROJECT_FIELDS,
  ProductStatusUpdateBody,
  ProjectCreateBody,
  ProjectIdParams,
  ProjectSchema,
  ProjectSearchBody,
  ProjectSearchResponse,
  ProjectTypeCreateBody,
  ProjectTypeSchema,
  ProjectTypeUpdateBody,
  ProjectUpdateBody,
} from '../schemas/project.js';

const tags = ['Projects'];
const ProjectResponse = forSerializer(ProjectSchema);
const SearchResponse = forSerializer(ProjectSearchResponse);
const TypeResponse = forSerializer(ProjectTypeSchema);

/** The body without its id and the server-owned fields a GET-modify-PUT carries (ignored, never applied). */
function editableOnly(body: Record<string, unknown>): ProjectInput {
  const out: Record<string, unknown> = { ...body };
  for (const f of ['id', ...IGNORED_PROJECT_FIELDS]) delete out[f];
  return out as ProjectInput;
}

/**
 * The projects API (camelCase JSON, paths as the reference API's: /api/Projects/...): project types, projects,
 * product statuses and search. Workflow, parts, change orders, transactions and the case link: project-work.ts.
 */
export function projectRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/Projects/ProjectTypes',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'List the project types, in id order. Needs: cases:read',
          operationId: 'listProjectTypes',
          response: { 200: Type.Array(TypeResponse), ...errorResponses() },
        },
      },
      async () => (await listProjectTypes(ctx.db)).map(projectTypeToJson),
    );

    r.get(
      '/Projects/ProjectTypes/:id',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Get one project type. Needs: cases:read',
          operationId: 'getProjectType',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: TypeResponse, ...errorResponses(404) },
        },
      },
      async (req) => projectTypeToJson(await getProjectType(ctx.db, req.params.id)),
    );

    r.post(
      '/Projects/ProjectTypes',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Create a project type with its ordered workflow steps. Needs: admin',
          operationId: 'createProjectType',
          body: ProjectTypeCreateBody,
          response: { 201: TypeResponse, ...errorResponses(400, 403) },
        },
      },
      async (req, reply) => reply.status(201).send(projectTypeToJson(await createProjectType(ctx.db, req.body))),
    );

    r.put(
      '/Projects/ProjectTypes',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            'Replace a project type (projectTypeId in the body). Existing projects keep the workflow they started with. Needs: admin',
          operationId: 'updateProjectType',
          body: ProjectTypeUpdateBody,
          response: { 200: TypeResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) => {
        const { projectTypeId, ...input } = req.body;
        return projectTypeToJson(await updateProjectType(ctx.db, projectTypeId, input));
      },
    );

    r.post(
      '/Projects/SearchProjects',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary:
            'Search projects: free text, filters, one of 18 sort orders (default: id order), pages from 1. Needs: cases:read',
          description:
            'Empty values sort last in both directions; ties are broken by id ascending. Results carry no products, ' +
            'parts, change orders, transactions or workflow log (GET the project for those).',
          operationId: 'searchProjects',
          body: ProjectSearchBody,
          response: { 200: SearchResponse, ...errorResponses(400) },
        },
      },
      async (req) => searchProjects(ctx.db, req.body),
    );

    r.post(
      '/Projects/UpdateProjectProductStatus',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            'Set the status of products by skuId, all or nothing (an unknown skuId: 400 naming it). Needs: admin',
          description:
            'Concurrent updates of one project run one after the other (the project row is locked), so updates of ' +
            'different SKUs both survive. Returns the updated project.',
          operationId: 'updateProjectProductStatus',
          body: ProductStatusUpdateBody,
          response: { 200: ProjectResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) => {
        const row = await updateProductStatuses(ctx.db, req.body.projectId, req.body.productStatusUpdates);
        return getProjectJson(ctx.db, row.id);
      },
    );

    r.get(
      '/Projects/:id',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Get one project by id or project number (404 when missing or soft-deleted). Needs: cases:read',
          operationId: 'getProject',
          params: ProjectIdParams,
          response: { 200: ProjectResponse, ...errorResponses(404) },
        },
      },
      async (req) => getProjectJson(ctx.db, req.params.id),
    );

    r.post(
      '/Projects',
      {
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            "Create a project of a type (type = projectTypeId); its workflow starts at the type's first step. Needs: admin",
          operationId: 'createProject',
          body: ProjectCreateBody,
          response: { 201: ProjectResponse, ...errorResponses(400, 403, 413) },
        },
      },
      async (req, reply) => {
        const row = await createProject(ctx.db, req.body);
        return reply.status(201).send(await getProjectJson(ctx.db, row.id));
      },
    );

    r.put(
      '/Projects',
      {
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Replace the editable fields of a project (omitted ones cleared, products too). Needs: admin',
          description: `Server-owned fields (${IGNORED_PROJECT_FIELDS.join(', ')}) may be present and are ignored.`,
          operationId: 'updateProject',
          body: ProjectUpdateBody,
          response: { 200: ProjectResponse, ...errorResponses(400, 403, 404, 413) },
        },
      },
      async (req) => {
        const row = await updateProject(ctx.db, req.body.id, editableOnly(req.body), 'put');
        return getProjectJson(ctx.db, row.id);
      },
    );

    r.patch(
      '/Projects',
      {
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            'Update a project partially: only non-null fields; a products list replaces the whole list. Needs: admin',
          description: `Server-owned fields (${IGNORED_PROJECT_FIELDS.join(', ')}) may be present and are ignored.`,
          operationId: 'patchProject',
          body: ProjectUpdateBody,
          response: { 200: ProjectResponse, ...errorResponses(400, 403, 404, 413) },
        },
      },
      async (req) => {
        const row = await updateProject(ctx.db, req.body.id, editableOnly(req.body), 'patch');
        return getProjectJson(ctx.db, row.id);
      },
    );

    r.delete(
      '/Projects/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Soft-delete a project: GET answers 404, search finds it with includeDeleted. Needs: admin',
          operationId: 'deleteProject',
          params: ProjectIdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(403, 404) },
        },
      },
      async (req, reply) => {
        await softDeleteProject(ctx.db, req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
