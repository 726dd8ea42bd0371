import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import {
  caseMessageRaw,
  messageAttachment,
  messageDocument,
  messagePart,
  type MessageFile,
} from '../../inbox/message-view.js';
import { errorResponses } from '../schemas/error.js';
import { ATTACHMENT_CSP, contentDisposition } from './cases.js';

const tags = ['Staff inbox'];
const MessageParams = Type.Object({ id: Type.String({ maxLength: 40, description: 'The message id' }) });
const binary = (description: string, type = 'application/octet-stream') => ({
  200: { description, content: { [type]: { schema: { type: 'string', format: 'binary' } } } },
  ...errorResponses(404),
});

/**
 * The policy of a message's HTML: a sandbox without scripts or same-origin access (links may open outside it),
 * nothing loaded but inline style, `data:` images and the message's parts from this site; remote images only when
 * the reader asked. The site's origin is named beside 'self', which a sandboxed (opaque-origin) document may not match.
 */
export function messageHtmlCsp(origin: string, remoteImages: boolean): string {
  const img = ["'self'", origin, 'data:', ...(remoteImages ? ['https:', 'http:'] : [])].join(' ');
  return `sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src ${img}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'`;
}

const SAFE_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** A file as a download: its type (when well-formed), attachment disposition, no sniffing, sandboxed. */
function sendDownload(reply: FastifyReply, file: MessageFile) {
  return reply
    .header('content-type', SAFE_TYPE.test(file.contentType) ? file.contentType : 'application/octet-stream')
    .header('content-disposition', contentDisposition(file.fileName))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', ATTACHMENT_CSP)
    .send(file.content);
}

const originOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

/** A case's inbound messages as the staff app shows them (src/inbox/message-view.ts). GETs only: no CSRF token. */
export function messageRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/messages/:id/html',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: "A case message's body as a sanitised HTML document for a sandboxed frame. Needs: cases:read",
          description:
            'Script, event handlers, style attributes and javascript: links are removed; links open in a new tab (rel="noopener noreferrer"); cid: images point at /api/messages/{id}/parts/{contentId}; remote images are dropped unless remote=1 (X-Blocked-Remote-Images says how many). Sent with a sandboxing Content-Security-Policy. A text-only message comes as escaped text.',
          operationId: 'getMessageHtml',
          params: MessageParams,
          querystring: Type.Object({
            remote: Type.Optional(
              Type.Union([Type.Literal('1'), Type.Literal('0')], { description: '1: load remote images' }),
            ),
          }),
          response: binary('The HTML document', 'text/html'),
        },
      },
      async (req, reply) => {
        const remote = req.query.remote === '1';
        const view = await messageDocument(ctx.db, req.params.id, { remoteImages: remote });
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', messageHtmlCsp(originOf(req), remote))
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header('cache-control', 'private, no-cache')
          .header('x-blocked-remote-images', String(view.blockedRemoteImages))
          .send(view.document);
      },
    );

    r.get(
      '/messages/:id/parts/:contentId',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: "An inline part (cid: image) of a case message, with the part's content type. Needs: cases:read",
          operationId: 'getMessagePart',
          params: Type.Object({ id: Type.String({ maxLength: 40 }), contentId: Type.String({ maxLength: 1000 }) }),
          response: binary('The part'),
        },
      },
      async (req, reply) => {
        const part = await messagePart(ctx.db, req.params.id, req.params.contentId);
        // Images are shown; anything else named by a cid: link is only ever a download.
        if (!/^image\/[\w.+-]+$/i.test(part.contentType) || /svg/i.test(part.contentType))
          return sendDownload(reply, part);
        return reply
          .header('content-type', part.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', ATTACHMENT_CSP)
          .header('cache-control', 'private, max-age=3600')
          .send(part.content);
      },
    );

    r.get(
      '/messages/:id/attachments/:index',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: "Download a case message's attachment by its Index in the thread. Needs: cases:read",
          operationId: 'getMessageAttachment',
          params: Type.Object({ id: Type.String({ maxLength: 40 }), index: Type.Integer({ minimum: 0 }) }),
          response: binary('The attachment bytes'),
        },
      },
      async (req, reply) => sendDownload(reply, await messageAttachment(ctx.db, req.params.id, req.params.index)),
    );

    r.get(
      '/messages/:id/raw',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags,
          summary: 'Download a case message as received (message/rfc822). Needs: cases:read',
          description: 'Only messages of a case; failed and ignored mail stays with GET /api/inbound/... (admin).',
          operationId: 'getMessageRaw',
          params: MessageParams,
          response: binary('The raw message', 'message/rfc822'),
        },
      },
      async (req, reply) => {
        const { raw } = await caseMessageRaw(ctx.db, req.params.id);
        return sendDownload(reply, {
          fileName: `message-${req.params.id}.eml`,
          contentType: 'message/rfc822',
          content: raw,
        });
      },
    );
  };
}
