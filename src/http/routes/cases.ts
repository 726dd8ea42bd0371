import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import {
  assignCase,
  caseIdOf,
  changeCaseStatus,
  createCaseJson,
  getCaseJson,
  softDeleteCase,
  updateCase,
} from '../../cases/case.service.js';
import { addCaseNote } from '../../cases/note.service.js';
import { createOrderCase, ORDER_CASE_FIELDS } from '../../orders/order-case.service.js';
import { findAttachment } from '../../cases/case.repository.js';
import { SERVER_OWNED_CASE_FIELDS, type EditableCaseFields, type NewAttachment } from '../../cases/case.types.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { safeAttachmentName, safeContentType } from '../../mail/parse.js';
import { CaseCreateBody, CasePatchBody, CaseSchema, CaseUpdateBody } from '../schemas/case.js';
import { forSerializer, IdParams, ShortString } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';
import { changedByOf } from '../auth.js';
import { MAX_REQUEST_BODY_BYTES } from '../json-body.js';
import { NoteCreateBody, NoteSchema } from '../schemas/note.js';
import { StaleThreadError } from '../../cases/thread-version.js';
import { staleThreadAnswer, StaleThreadSchema } from '../schemas/inbox.js';

const tags = ['Cases'];
// Type lists instead of anyOf for nullable fields: the same JSON, serialised faster (schemas/common.ts), and a stored
// value the anyOf branches would not match (a FollowUpDate in year 10000, written before dates were bounded) is
// still sent rather than failing the reply with a 500 after the change was committed.
const CaseResponse = forSerializer(CaseSchema);
// CaseType is set when a case is created (and never after), so it is the one server-owned field a create may send.
const NOT_ON_CREATE = ['Id', 'Status', ...SERVER_OWNED_CASE_FIELDS.filter((f) => f !== 'CaseType')] as const;

/** Drops Id and the server-owned fields (accepted in PUT/PATCH bodies so GET-modify-PUT works, never applied). */
function editableOnly(body: Record<string, unknown>): EditableCaseFields & { Status?: string | null } {
  const out: Record<string, unknown> = { ...body };
  for (const f of ['Id', ...SERVER_OWNED_CASE_FIELDS]) delete out[f];
  return out as EditableCaseFields & { Status?: string | null };
}

/** Policy of every attachment download: sandboxed (no scripts, an opaque origin), loading nothing. */
export const ATTACHMENT_CSP = "default-src 'none'; sandbox";

/** Content-Disposition with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'attachment';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** The cases API (search lives in case-search.ts). Routes validate and call src/cases; rows never leave raw. */
export function caseRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/cases/:id',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Get one case by id or by case number (404 when missing or soft-deleted). Needs: cases:read',
          description:
            "The id is the case's uuid or its number (`CS-1004`, any letter case): staff know cases by number.",
          operationId: 'getCase',
          params: IdParams,
          response: { 200: CaseResponse, ...errorResponses(404) },
        },
      },
      // An id or a case number (CS-1004): staff and scripts know cases by number.
      async (req) => getCaseJson(ctx.db, await caseIdOf(ctx.db, req.params.id), { settingsCache: ctx.caseSettings }),
    );

    r.post(
      '/cases',
      {
        config: { needs: 'cases' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags,
          summary:
            'Create a case: Status is always the configured Status New, Priority defaults to DefaultPriority. Needs: cases',
          description: `Server-owned fields (${NOT_ON_CREATE.join(', ')}) are refused with a 400.`,
          operationId: 'createCase',
          body: CaseCreateBody,
          response: { 201: CaseResponse, ...errorResponses(400, 403, 413) },
        },
        preValidation: async (req) => {
          const body = req.body as Record<string, unknown> | null;
          if (!body || typeof body !== 'object') return;
          const given = NOT_ON_CREATE.filter((f) => f in body);
          if (given.length) {
            throw new ValidationError(
              `${given.join(', ')} cannot be set when creating a case: the server sets ${given.length > 1 ? 'them' : 'it'} ` +
                '(a new case always starts in the Status New; use POST /api/cases/{id}/changestatus afterwards)',
              { fields: given },
            );
          }
        },
      },
      async (req, reply) => {
        const { CaseType, ...body } = req.body;
        // An order case is a draft with its order header and line items (src/orders).
        if (CaseType === 'Order') return reply.status(201).send(await createOrderCase(ctx.db, body));
        const orderOnly = ORDER_CASE_FIELDS.filter((f) => body[f] !== undefined && body[f] !== null);
        if (orderOnly.length) {
          throw new ValidationError(
            `${orderOnly.join(', ')} belong${orderOnly.length > 1 ? '' : 's'} to order cases: send CaseType "Order" to make one`,
            { fields: orderOnly },
          );
        }
        // Built from what the insert returned: a new case has no notes, attachments or deliveries yet.
        return reply
          .status(201)
          .send(await createCaseJson(ctx.db, body, { settingsCache: ctx.caseSettings, by: changedByOf(req.actor) }));
      },
    );

    r.put(
      '/cases',
      {
        config: { needs: 'cases' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags,
          summary:
            'Replace the editable fields of a case (omitted fields are cleared; Status and Priority keep theirs). Needs: cases',
          description: 'Server-owned fields may be present (so GET-modify-PUT works) and are ignored.',
          operationId: 'updateCase',
          body: CaseUpdateBody,
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404, 413) },
        },
      },
      async (req) => {
        const row = await updateCase(ctx.db, req.body.Id, editableOnly(req.body), 'put', {
          by: changedByOf(req.actor),
        });
        return getCaseJson(ctx.db, row.id, { settingsCache: ctx.caseSettings });
      },
    );

    r.patch(
      '/cases',
      {
        config: { needs: 'cases' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags,
          summary: 'Update a case partially: only fields present and not null are applied. Needs: cases',
          description: 'Server-owned fields may be present and are ignored.',
          operationId: 'patchCase',
          body: CasePatchBody,
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404, 413) },
        },
      },
      async (req) => {
        const row = await updateCase(ctx.db, req.body.Id, editableOnly(req.body), 'patch', {
          by: changedByOf(req.actor),
        });
        return getCaseJson(ctx.db, row.id, { settingsCache: ctx.caseSettings });
      },
    );

    r.delete(
      '/cases/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Soft-delete a case: GET answers 404 afterwards, search finds it with IncludeDeleted. Needs: admin',
          operationId: 'deleteCase',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(403, 404) },
        },
      },
      async (req, reply) => {
        await softDeleteCase(ctx.db, req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/cases/:id/assignto',
      {
        config: { needs: 'cases' },
        schema: {
          tags,
          summary: 'Assign a case to a user (both parameters empty: unassign). Needs: cases',
          description:
            "userId is a staff user's Id (GET /api/users); any other string is kept as it is. A staff user's Id without a userName records the user's name.",
          operationId: 'assignCase',
          params: IdParams,
          querystring: Type.Object(
            { userId: Type.Optional(ShortString()), userName: Type.Optional(ShortString()) },
            { additionalProperties: false },
          ),
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) => {
        const row = await assignCase(ctx.db, req.params.id, req.query.userId ?? null, req.query.userName ?? null);
        return getCaseJson(ctx.db, row.id, { settingsCache: ctx.caseSettings });
      },
    );

    r.post(
      '/cases/:id/changestatus',
      {
        config: { needs: 'cases' },
        schema: {
          tags,
          summary: 'Change the status of a case (logged with the time spent in the previous status). Needs: cases',
          operationId: 'changeCaseStatus',
          params: IdParams,
          querystring: Type.Object(
            { status: Type.String({ minLength: 1, maxLength: 100 }) },
            { additionalProperties: false },
          ),
          response: { 200: CaseResponse, ...errorResponses(400, 403, 404) },
        },
      },
      async (req) => {
        const row = await changeCaseStatus(ctx.db, req.params.id, req.query.status, { by: changedByOf(req.actor) });
        return getCaseJson(ctx.db, row.id, { settingsCache: ctx.caseSettings });
      },
    );

    r.post(
      '/cases/:id/notes',
      {
        config: { needs: 'cases' },
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        schema: {
          tags,
          summary:
            'Add a public (IsPublic) or internal note; updates LastCommentDate, LastCommenterName, CommentCount. Needs: cases',
          operationId: 'addCaseNote',
          params: IdParams,
          body: NoteCreateBody,
          response: { 201: NoteSchema, ...errorResponses(400, 403, 404, 413), 409: StaleThreadSchema },
        },
      },
      async (req, reply) => {
        const { Attachments, ...body } = req.body;
        const added = await addCaseNote(
          ctx.db,
          req.params.id,
          {
            ...body,
            // A signed-in staff user is the author, whatever the body says; a script names its author or is the key.
            ...(req.actor?.kind === 'user'
              ? { CreatedBy: req.actor.name, CreatedByEmail: req.actor.email ?? null }
              : { CreatedBy: body.CreatedBy ?? req.actor?.name ?? 'api' }),
            attachments: decodeAttachments(Attachments),
          },
          ctx.caseHooks,
        ).catch((err: unknown) => {
          if (err instanceof StaleThreadError) return staleThreadAnswer(err);
          throw err;
        });
        if ('Code' in added) return reply.status(409).send(added);
        return reply.status(201).send(added.json);
      },
    );

    r.get(
      '/cases/:id/attachments/:attachmentId',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary:
            'Download an attachment of a case (its bytes, with Content-Type and Content-Disposition). Needs: cases:read',
          operationId: 'getCaseAttachment',
          params: Type.Object({ id: Type.String({ maxLength: 100 }), attachmentId: Type.String({ maxLength: 100 }) }),
          response: {
            200: {
              description: 'The attachment bytes',
              content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
            },
            ...errorResponses(404),
          },
        },
      },
      async (req, reply) => {
        const a = await findAttachment(ctx.db, req.params.id, req.params.attachmentId);
        if (!a) throw new NotFoundError('Attachment', req.params.attachmentId);
        // Always a download, never rendered inline from our origin: an HTML attachment must not run as our page.
        // Should a browser render it anyway (opened from the downloads list, a proxy that drops the disposition),
        // the sandbox gives it an origin of its own without scripts, and it may load nothing.
        const type = /^[\w.+-]+\/[\w.+-]+$/.test(a.content_type) ? a.content_type : 'application/octet-stream';
        return reply
          .header('content-type', type)
          .header('content-disposition', contentDisposition(a.file_name))
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', ATTACHMENT_CSP)
          .send(a.content);
      },
    );
  };
}

/** Base64 uploads to attachment rows; malformed base64 is a 400, not a silently truncated file. */
function decodeAttachments(list: NoteCreateBody['Attachments']): NewAttachment[] {
  return (list ?? []).map((a, index) => {
    const clean = a.ContentBase64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
      throw new ValidationError(`Attachments: "${a.FileName}" is not valid base64`);
    }
    // Cleaned as attachments from mail are: a client's name and type are no more trusted than a sender's.
    const contentType = safeContentType(a.ContentType?.split(';')[0]?.trim() ?? '');
    return {
      fileName: safeAttachmentName(a.FileName, contentType, index),
      contentType,
      content: Buffer.from(clean, 'base64'),
    };
  });
}
