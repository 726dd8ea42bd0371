import { Type } from '@sinclair/typebox';
import type { StaleThreadError } from '../../cases/thread-version.js';
import { DateTime, Nullable } from './common.js';

// Schemas of the staff inbox's routes (src/http/routes/staff-inbox.ts, live.ts, reply-templates.ts).

const ThreadAttachment = Type.Object(
  {
    Index: Type.Integer({ description: "Position among the message's (or note's) attachments" }),
    FileName: Type.String(),
    ContentType: Type.String(),
    Size: Type.Integer({ description: 'Bytes' }),
    Url: Type.String({ description: 'Download URL (Content-Disposition: attachment)' }),
  },
  { additionalProperties: false },
);

const EmailItem = Type.Object(
  {
    Kind: Type.Literal('email'),
    Id: Type.String({
      description: 'Inbound: the message id (the /api/messages/{id} routes); outbound: the outbox id',
    }),
    At: DateTime(),
    Direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    NoteId: Nullable(Type.String({ description: 'The case note the inbound message became' })),
    From: Nullable(Type.String({ description: '"Name <address>" or the address' })),
    To: Type.Array(Type.String()),
    Cc: Type.Array(Type.String()),
    Subject: Type.String(),
    ReplyText: Type.String({ description: "The sender's new text (quoted history and signature cut off)" }),
    QuotedText: Type.String({ description: 'The signature and quoted history, to fold away (may be empty)' }),
    HasHtml: Type.Boolean(),
    HtmlUrl: Nullable(Type.String({ description: 'The sanitised HTML for a sandboxed frame' })),
    RawUrl: Nullable(Type.String({ description: 'The message as received (message/rfc822)' })),
    Status: Nullable(Type.String({ description: 'Outbound only: queued, sending, sent, failed or suppressed' })),
    Attachments: Type.Array(ThreadAttachment),
  },
  { additionalProperties: false, title: 'ThreadEmail' },
);

const NoteItem = Type.Object(
  {
    Kind: Type.Literal('note'),
    Id: Type.String(),
    At: DateTime(),
    Public: Type.Boolean(),
    Text: Type.String(),
    AuthorName: Type.String(),
    AuthorUserId: Nullable(Type.String({ description: "The staff user's id when a staff user wrote it" })),
    Email: Nullable(
      Type.String({
        description:
          "Delivery state of a public note's email: queued, sending, sent, failed or suppressed; null when not emailed",
      }),
    ),
    Attachments: Type.Array(ThreadAttachment),
  },
  { additionalProperties: false, title: 'ThreadNote' },
);

const StatusItem = Type.Object(
  {
    Kind: Type.Literal('status'),
    Id: Type.String(),
    At: DateTime(),
    From: Nullable(Type.String({ description: 'Null for the first status' })),
    To: Type.String(),
    ByName: Nullable(Type.String()),
    Reopened: Type.Boolean({ description: 'Into Status Reopen, or out of Status Closed' }),
  },
  { additionalProperties: false, title: 'ThreadStatus' },
);

export const ThreadSchema = Type.Object(
  {
    CaseId: Type.String(),
    CaseNumber: Type.String(),
    ThreadVersion: Type.String({
      description: 'Opaque; changes whenever an item is added. Send it as IfThreadVersion with a note.',
    }),
    Items: Type.Array(Type.Union([EmailItem, NoteItem, StatusItem]), { description: 'In time order' }),
  },
  { additionalProperties: false, title: 'CaseThread' },
);

/** The 409 of a note written against an older thread: the contract's fields and the API's usual error fields. */
export const StaleThreadSchema = Type.Object(
  {
    Code: Type.Literal('STALE_THREAD'),
    Message: Type.String(),
    ThreadVersion: Type.String({ description: 'The current thread version' }),
    error: Type.String(),
    code: Type.String(),
    message: Type.String(),
    statusCode: Type.Integer(),
  },
  { title: 'StaleThread', description: 'The thread has changed since IfThreadVersion: nothing was saved' },
);

export function staleThreadAnswer(err: StaleThreadError) {
  return {
    Code: 'STALE_THREAD' as const,
    Message: err.message,
    ThreadVersion: err.threadVersion,
    error: 'StaleThreadError',
    code: 'STALE_THREAD',
    message: err.message,
    statusCode: 409,
  };
}
