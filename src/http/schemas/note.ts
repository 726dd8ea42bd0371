import { Type, type Static } from '@sinclair/typebox';
import { Email, MAX_LIST_ITEMS, MAX_TEXT_LENGTH, Nullable, ShortString } from './common.js';

export const AttachmentSchema = Type.Object(
  {
    Id: Type.String(),
    FileName: Type.String(),
    ContentType: Type.String(),
    Size: Type.Integer({ description: 'Bytes' }),
    ContentId: Nullable(Type.String()),
    Inline: Type.Boolean(),
    Url: Type.String({ description: 'Relative URL that downloads the bytes (API key with read scope)' }),
  },
  { additionalProperties: false, title: 'Attachment' },
);

export const NoteDeliverySchema = Type.Object(
  {
    Status: Type.String(),
    To: Type.Array(Type.String()),
    MessageId: Type.String(),
    Error: Nullable(Type.String()),
    SentAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false, title: 'NoteDelivery' },
);

export const NoteSchema = Type.Object(
  {
    Id: Type.String(),
    Comment: Type.String(),
    FullText: Nullable(Type.String({ description: 'Whole text as received, quoted history included (email notes)' })),
    Html: Nullable(Type.String({ description: 'Sanitised HTML body (email notes)' })),
    IsPublic: Type.Boolean({
      description: 'Public notes are visible to the customer (CaseNotes); others are InternalNotes',
    }),
    CreatedBy: Type.String(),
    CreatedByEmail: Nullable(Type.String()),
    Source: Type.String({ description: 'api, email, ...' }),
    Created: Type.String({ format: 'date-time' }),
    SendEmailNotification: Type.Boolean(),
    Attachments: Type.Array(AttachmentSchema),
    Delivery: Type.Array(NoteDeliverySchema, { description: 'Outbound delivery of this note by email, when sent' }),
  },
  { additionalProperties: false, title: 'Note' },
);

/** Largest attachment accepted on a note through the API (decoded bytes). */
export const MAX_NOTE_ATTACHMENT_BYTES = 15 * 1024 * 1024;

export const NoteAttachmentUpload = Type.Object(
  {
    FileName: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Stored with control characters, slashes and backslashes as "_"; dots alone become attachment-<n>',
    }),
    ContentType: Type.Optional(
      Type.String({
        maxLength: 255,
        description:
          'type/subtype, stored lower-case without parameters; default (and anything else) application/octet-stream',
      }),
    ),
    ContentBase64: Type.String({
      maxLength: Math.ceil(MAX_NOTE_ATTACHMENT_BYTES / 3) * 4,
      description: 'The file, base64-encoded (at most 15 MB decoded)',
    }),
  },
  { additionalProperties: false, title: 'NoteAttachmentUpload' },
);

const Recipients = (description: string) => Type.Array(Email(), { maxItems: MAX_LIST_ITEMS, description });

/** Body of POST /api/cases/{id}/notes. */
export const NoteCreateBody = Type.Object(
  {
    Comment: Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH }),
    IsPublic: Type.Optional(Type.Boolean({ description: 'Default false: a note is internal unless said otherwise' })),
    CreatedBy: Type.Optional(ShortString({ description: 'Default: the name of the API key' })),
    SendEmailNotification: Type.Optional(
      Type.Boolean({ description: 'Default false. Asks the outbound mailer to send this (public) note by email' }),
    ),
    To: Type.Optional(Recipients('Recipients of the email notification; stored on the note')),
    Cc: Type.Optional(Recipients('Cc of the email notification')),
    Bcc: Type.Optional(Recipients('Bcc of the email notification')),
    Attachments: Type.Optional(
      Type.Array(NoteAttachmentUpload, {
        maxItems: 20,
        description: 'Files kept on the note and sent with its email notification',
      }),
    ),
    IfThreadVersion: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'The ThreadVersion of GET /api/cases/{id}/thread the note was written against: when the thread has changed since, 409 STALE_THREAD and nothing is saved',
      }),
    ),
  },
  { additionalProperties: false, title: 'NoteCreate' },
);
export type NoteCreateBody = Static<typeof NoteCreateBody>;
