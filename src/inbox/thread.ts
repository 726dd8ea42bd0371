import { sql } from 'kysely';
import { caseIdOf } from '../cases/case.service.js';
import { noteThreadKey, outboxThreadKey, statusThreadKey, threadVersionOf } from '../cases/thread-version.js';
import type { DbOrTrx } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import { formatAddress, readAddressHeaders, MAX_HEADER_BYTES } from '../mail/message-headers.js';
import { splitReply } from '../mail/reply-text.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';

// A case's thread as an agent reads it: every email in and out, every note and every status change, in time order.

export interface ThreadAttachmentJson {
  Index: number;
  FileName: string;
  ContentType: string;
  Size: number;
  Url: string;
}

interface ItemBase {
  Id: string;
  At: string;
}
export interface EmailItemJson extends ItemBase {
  Kind: 'email';
  Direction: 'in' | 'out';
  /** The case note the inbound message became (null for outbound mail). */
  NoteId: string | null;
  From: string | null;
  To: string[];
  Cc: string[];
  Subject: string;
  ReplyText: string;
  QuotedText: string;
  HasHtml: boolean;
  HtmlUrl: string | null;
  RawUrl: string | null;
  /** Outbound mail only: its delivery state (queued, sending, sent, failed, suppressed). */
  Status: string | null;
  Attachments: ThreadAttachmentJson[];
}
export interface NoteItemJson extends ItemBase {
  Kind: 'note';
  Public: boolean;
  Text: string;
  AuthorName: string;
  AuthorUserId: string | null;
  /** The delivery state of a public note's email (queued, sending, sent, failed, suppressed); null when not emailed. */
  Email: string | null;
  Attachments: ThreadAttachmentJson[];
}
export interface StatusItemJson extends ItemBase {
  Kind: 'status';
  From: string | null;
  To: string;
  ByName: string | null;
  Reopened: boolean;
}
export type ThreadItemJson = EmailItemJson | NoteItemJson | StatusItemJson;

export interface ThreadJson {
  CaseId: string;
  CaseNumber: string;
  ThreadVersion: string;
  Items: ThreadItemJson[];
}

/** Where a message's parts are served (src/http/routes/messages.ts). */
export const messageUrls = (messageId: string) => ({
  html: `/api/messages/${messageId}/html`,
  raw: `/api/messages/${messageId}/raw`,
  attachment: (index: number) => `/api/messages/${messageId}/attachments/${index}`,
  part: (contentId: string) => `/api/messages/${messageId}/parts/${encodeURIComponent(contentId)}`,
});

/** The folded part of an inbound text: the signature and quoted history beside the reply the note keeps. */
function quotedPart(full: string, reply: string): string {
  if (!full || full.trim() === reply.trim()) return '';
  const parts = splitReply(full);
  return [parts.signature, parts.quoted].filter(Boolean).join('\n\n');
}

const order = { status: 0, email: 1, note: 2 } as const;

/** A case's thread (the case by id or by number; 404 for a missing or deleted case). */
export async function getThread(
  db: DbOrTrx,
  idOrNumber: string,
  options: { settingsCache?: CaseSettingsCache; mailFrom?: string } = {},
): Promise<ThreadJson> {
  const caseId = await caseIdOf(db, idOrNumber);
  const [found, { settings }] = await Promise.all([
    db
      .selectFrom('cases')
      .select(['id', 'case_number'])
      .where('id', '=', caseId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),
    cachedCaseSettings(db, options.settingsCache),
  ]);
  if (!found) throw new NotFoundError('Case', idOrNumber);
  // One after the other: the web process has few connections, and each statement takes well under a millisecond.
  const notes = await db
    .selectFrom('case_notes as n')
    .leftJoin('messages as m', 'm.id', 'n.message_id')
    .select([
      'n.id',
      'n.created',
      'n.comment',
      'n.full_text',
      'n.is_public',
      'n.created_by',
      'n.created_by_email',
      sql<string | null>`n.message_id::text`.as('message_id'),
      sql<boolean>`n.html IS NOT NULL`.as('has_html'),
      sql<Buffer | null>`substring(m.raw from 1 for ${MAX_HEADER_BYTES})`.as('head'),
      sql<string | null>`CASE WHEN n.message_id IS NULL AND n.created_by_email IS NOT NULL THEN
          (SELECT u.id::text FROM staff_users u WHERE lower(u.email) = lower(n.created_by_email)) END`.as(
        'author_user_id',
      ),
      sql<string | null>`(SELECT o.status FROM outbox o WHERE o.note_id = n.id ORDER BY o.created DESC LIMIT 1)`.as(
        'email_status',
      ),
    ])
    .where('n.case_id', '=', caseId)
    .orderBy('n.created')
    .orderBy('n.id')
    .execute();
  const files = await db
    .selectFrom('attachments')
    .select([
      'id',
      'note_id',
      sql<string | null>`message_id::text`.as('message_id'),
      'file_name',
      'content_type',
      'size',
      'content_id',
      'inline',
    ])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
  const log = await db
    .selectFrom('case_status_log')
    .select([sql<string>`id::text`.as('id'), 'status', 'timestamp', 'changed_by'])
    .where('case_id', '=', caseId)
    .orderBy('timestamp')
    .orderBy('id')
    .execute();
  const outbound = await db
    .selectFrom('outbox')
    .select([
      'id',
      'created',
      'to_addresses',
      'cc_addresses',
      'subject',
      'text_body',
      sql<boolean>`html_body IS NOT NULL`.as('has_html'),
      'status',
    ])
    .where('case_id', '=', caseId)
    .where('note_id', 'is', null)
    .orderBy('created')
    .execute();

  // Attachments by owner, in the order the message routes count them (by id within the message).
  const byMessage = new Map<string, typeof files>();
  const byNote = new Map<string, typeof files>();
  for (const f of files) {
    if (f.message_id) byMessage.set(f.message_id, [...(byMessage.get(f.message_id) ?? []), f]);
    else if (f.note_id) byNote.set(f.note_id, [...(byNote.get(f.note_id) ?? []), f]);
  }
  // Inline images with a Content-ID are shown in the HTML itself, not listed.
  const listed = (list: typeof files | undefined, url: (f: (typeof files)[number], i: number) => string) =>
    (list ?? []).flatMap((f, i) =>
      f.inline && f.content_id
        ? []
        : [{ Index: i, FileName: f.file_name, ContentType: f.content_type, Size: f.size, Url: url(f, i) }],
    );

  const items: ThreadItemJson[] = [];
  for (const n of notes) {
    if (n.message_id) {
      const urls = messageUrls(n.message_id);
      const headers = n.head ? await readAddressHeaders(n.head).catch(() => null) : null;
      items.push({
        Kind: 'email',
        Id: n.message_id,
        At: n.created.toISOString(),
        Direction: 'in',
        NoteId: n.id,
        From: headers?.from
          ? formatAddress(headers.from)
          : n.created_by_email
            ? formatAddress({ name: n.created_by, email: n.created_by_email })
            : n.created_by || null,
        To: headers?.to.map(formatAddress) ?? [],
        Cc: headers?.cc.map(formatAddress) ?? [],
        Subject: headers?.subject ?? '',
        ReplyText: n.comment,
        QuotedText: quotedPart(n.full_text ?? '', n.comment),
        HasHtml: n.has_html,
        HtmlUrl: n.has_html ? urls.html : null,
        RawUrl: urls.raw,
        Status: null,
        Attachments: listed(byMessage.get(n.message_id), (_f, i) => urls.attachment(i)),
      });
    } else {
      items.push({
        Kind: 'note',
        Id: n.id,
        At: n.created.toISOString(),
        Public: n.is_public,
        Text: n.comment,
        AuthorName: n.created_by,
        AuthorUserId: n.author_user_id,
        Email: n.email_status,
        Attachments: listed(byNote.get(n.id), (f) => `/api/cases/${caseId}/attachments/${f.id}`),
      });
    }
  }
  let previous: string | null = null;
  for (const l of log) {
    items.push({
      Kind: 'status',
      Id: l.id,
      At: l.timestamp.toISOString(),
      From: previous,
      To: l.status,
      ByName: l.changed_by,
      Reopened: isReopen(settings, previous, l.status),
    });
    previous = l.status;
  }
  for (const o of outbound) {
    items.push({
      Kind: 'email',
      Id: o.id,
      At: o.created.toISOString(),
      Direction: 'out',
      NoteId: null,
      From: options.mailFrom ?? null,
      To: o.to_addresses,
      Cc: o.cc_addresses,
      Subject: o.subject,
      ReplyText: o.text_body,
      QuotedText: '',
      HasHtml: o.has_html,
      HtmlUrl: null,
      RawUrl: null,
      Status: o.status,
      Attachments: [],
    });
  }
  // Time order; at the same instant a status change (a case's first, New) before the mail that caused it.
  items.sort((a, b) => a.At.localeCompare(b.At) || order[a.Kind] - order[b.Kind]);
  const keys = [
    ...notes.map(noteThreadKey),
    ...log.map((l) => statusThreadKey(l.id)),
    ...outbound.map((o) => outboxThreadKey(o.id)),
  ];
  return { CaseId: caseId, CaseNumber: found.case_number, ThreadVersion: threadVersionOf(keys), Items: items };
}

/** A change into Status Reopen, or out of Status Closed into an open status. */
function isReopen(settings: CaseSettings, from: string | null, to: string): boolean {
  if (from === null) return false;
  return to === settings.StatusReopen || (from === settings.StatusClosed && to !== settings.StatusClosed);
}
