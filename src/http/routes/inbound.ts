import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { ServiceUnavailableError, ValidationError } from '../../errors.js';
import {
  DEFAULT_MESSAGE_LIST_LIMIT,
  MAX_MESSAGE_LIST_LIMIT,
  getMessage,
  getRawMessage,
  listMessages,
  messageToJson,
  requeueAllFailed,
  requeueMessage,
} from '../../inbound/message.repository.js';
import { previewMessage } from '../../inbound/preview.js';
import { Nullable } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';
import { MAX_REQUEST_BODY_BYTES } from '../json-body.js';

const Address = Type.Object({ Name: Type.String(), Email: Type.String() });
const DecisionSchema = Type.Object({
  Action: Type.String({ description: 'new-case, reply, reopen or ignore' }),
  CaseNumber: Nullable(Type.String()),
  Reason: Type.String({ description: 'Which rule matched and why' }),
});

const InboundMessageSchema = Type.Object(
  {
    Id: Type.String(),
    Mailbox: Type.String({ description: 'Mailbox key, or file:<name> for `intake ingest`' }),
    MessageId: Nullable(Type.String()),
    From: Nullable(Type.String()),
    Subject: Nullable(Type.String()),
    Date: Nullable(Type.String()),
    Size: Type.Integer(),
    Status: Type.String({ description: 'queued, processing, processed, failed or ignored' }),
    Attempts: Type.Integer(),
    Error: Nullable(Type.String()),
    Classification: Nullable(Type.String()),
    Decision: Nullable(DecisionSchema),
    CaseId: Nullable(Type.String()),
    ReceivedAt: Type.String(),
    ProcessedAt: Nullable(Type.String()),
  },
  { title: 'InboundMessage' },
);

const ParsedMessageSchema = Type.Object(
  {
    MessageId: Nullable(Type.String()),
    InReplyTo: Nullable(Type.String()),
    References: Type.Array(Type.String()),
    From: Nullable(Address),
    ReplyTo: Type.Array(Address),
    To: Type.Array(Address),
    Cc: Type.Array(Address),
    Subject: Type.String(),
    Date: Nullable(Type.String()),
    Text: Type.String(),
    Html: Nullable(Type.String({ description: 'Sanitised HTML' })),
    ReplyText: Type.String({ description: 'The new part of a reply (quoted history and signature removed)' }),
    OrderRefs: Type.Array(Type.String()),
    CaseRefs: Type.Array(Type.String()),
    Classification: Type.String({ description: 'normal, auto-reply, bounce, list or feedback-report' }),
    Attachments: Type.Array(
      Type.Object({
        FileName: Type.String(),
        ContentType: Type.String(),
        Size: Type.Integer(),
        ContentId: Nullable(Type.String()),
        Inline: Type.Boolean(),
      }),
    ),
    Decision: DecisionSchema,
  },
  { title: 'ParsedMessage' },
);

const MessageParams = Type.Object({ id: Type.String({ maxLength: 20, description: 'The message id (messages.id)' }) });
const ListQuery = Type.Object(
  {
    Limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_MESSAGE_LIST_LIMIT, default: DEFAULT_MESSAGE_LIST_LIMIT }),
    ),
    Before: Type.Optional(
      Type.String({ maxLength: 20, description: 'Only messages with a smaller id (the last Id of the previous page)' }),
    ),
  },
  { additionalProperties: false },
);
const STATUSES = ['queued', 'processing', 'processed', 'failed', 'ignored'] as const;

/** The raw message from a message/rfc822 or text/plain body, or JSON `{ "Raw": "<base64>" }`. */
function rawFromBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body && typeof body === 'object' && typeof (body as { Raw?: unknown }).Raw === 'string') {
    const b64 = (body as { Raw: string }).Raw.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new ValidationError('Raw must be the message in base64');
    return Buffer.from(b64, 'base64');
  }
  throw new ValidationError('Send the raw message as a message/rfc822 or text/plain body, or JSON {"Raw": "<base64>"}');
}

export function inboundRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    // Raw mail is bytes in any charset: keep it a Buffer (text/plain would otherwise be decoded as UTF-8).
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser(['message/rfc822', 'text/plain'], { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const queues = () => {
      if (!ctx.queues) throw new ServiceUnavailableError('The queue is not available in this process');
      // BullMQ waits for its connection without end: with Redis down, a re-queue would hang with its rows locked
      // (a second retry of the same message then answers 409) until Redis came back.
      if (ctx.redis && ctx.redis.status !== 'ready') {
        throw new ServiceUnavailableError(
          `Redis is not reachable (connection ${ctx.redis.status}): nothing was re-queued; try again when it is back`,
        );
      }
      return ctx.queues;
    };

    r.post(
      '/inbound/parse',
      {
        bodyLimit: MAX_REQUEST_BODY_BYTES,
        config: { needs: 'admin' },
        schema: {
          tags: ['Inbound'],
          summary: 'Parse a message and show the decision the worker would take (stores nothing)',
          description: 'Body: the raw message as `message/rfc822` or `text/plain`, or JSON `{"Raw": "<base64>"}`.',
          response: { 200: ParsedMessageSchema, ...errorResponses(400, 403, 413, 422) },
        },
      },
      async (req) => {
        const raw = rawFromBody(req.body);
        if (raw.length === 0) throw new ValidationError('The message is empty');
        return previewMessage(ctx.db, ctx.config, raw);
      },
    );

    r.get(
      '/inbound/messages',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags: ['Inbound'],
          summary: 'Stored inbound messages, newest first',
          querystring: Type.Object(
            { ...ListQuery.properties, Status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Array(InboundMessageSchema), ...errorResponses(400) },
        },
      },
      async (req) =>
        (
          await listMessages(ctx.db, { status: req.query.Status, before: req.query.Before, limit: req.query.Limit })
        ).map(messageToJson),
    );

    r.get(
      '/inbound/messages/:id',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags: ['Inbound'],
          summary: 'One stored message: status, decision, error',
          params: MessageParams,
          response: { 200: InboundMessageSchema, ...errorResponses(404) },
        },
      },
      async (req) => messageToJson(await getMessage(ctx.db, req.params.id)),
    );

    r.get(
      '/inbound/messages/:id/raw',
      {
        // Any stored message, also ones on no case (failed, ignored): an administrator's. Staff read a case's mail
        // through /api/messages/{id}/raw, which serves only messages of a case.
        config: { needs: 'admin' },
        schema: {
          tags: ['Inbound'],
          summary: 'The raw bytes of any stored message as received (message/rfc822)',
          params: MessageParams,
          response: errorResponses(404),
        },
      },
      async (req, reply) => reply.type('message/rfc822').send((await getRawMessage(ctx.db, req.params.id)) as never),
    );

    r.get(
      '/inbound/failed',
      {
        config: { needs: 'admin' },
        schema: {
          tags: ['Inbound'],
          summary: 'Messages kept as failed (their error and raw bytes are kept)',
          querystring: ListQuery,
          response: { 200: Type.Array(InboundMessageSchema), ...errorResponses(400) },
        },
      },
      async (req) =>
        (await listMessages(ctx.db, { status: 'failed', before: req.query.Before, limit: req.query.Limit })).map(
          messageToJson,
        ),
    );

    r.post(
      '/inbound/failed/:id/retry',
      {
        config: { needs: 'admin' },
        schema: {
          tags: ['Inbound'],
          summary: 'Re-queue one failed message',
          params: MessageParams,
          response: { 202: InboundMessageSchema, ...errorResponses(403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply.status(202).send(messageToJson(await requeueMessage(ctx.db, queues(), req.params.id))),
    );

    r.post(
      '/inbound/failed/retry-all',
      {
        config: { needs: 'admin' },
        schema: {
          tags: ['Inbound'],
          summary: 'Re-queue every failed message',
          response: { 202: Type.Object({ Requeued: Type.Integer() }), ...errorResponses(403) },
        },
      },
      async (_req, reply) => reply.status(202).send({ Requeued: await requeueAllFailed(ctx.db, queues()) }),
    );
  };
}
