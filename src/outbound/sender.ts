import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { PermanentSendError } from '../errors.js';
import type { Logger } from '../logger.js';
import { metrics } from '../ops/metrics.js';
import { retryWithBackoff } from '../queue/backoff.js';
import { isSuppressed } from './loop-guard.js';
import type { OutboxRow } from './outbox.js';
import { cleanDisplayName, cleanHeaderText } from './safety.js';
import { nodemailerOAuth2, urlWithoutCredentials, type SmtpOAuth } from './smtp-auth.js';

/**
 * Delivers one outbox row over SMTP. The row, not the job, is the record:
 *
 * 1. In a short transaction: lock the row; skip it when it is already sent, failed or suppressed;
 *    mark it 'sending' and count the attempt; commit.
 * 2. Send with the stored Message-ID and headers (outside any transaction).
 * 3. Mark it 'sent' (or, on an SMTP error, back to 'queued' with the error for the next retry, or
 *    'failed' when the error is permanent or the last attempt).
 *
 * A job that finds its row still 'sending' knows an earlier run died between 2 and 3: the server may or
 * may not have accepted the mail. intake does not send it again (a customer never gets the same reply
 * twice) and marks it 'failed' with a "delivery uncertain" error that staff see on the note. So delivery
 * is at-most-once inside that window (seconds, and only on a crash) and retried until delivered
 * everywhere else. `requeueOutboxRow` (relay.ts) sends such a row again on purpose.
 */

/** nodemailer's own timeouts are minutes long; a stuck server should fail the attempt and retry later. */
export const DEFAULT_SMTP_CONNECTION_TIMEOUT_MS = 10_000;
export const DEFAULT_SMTP_GREETING_TIMEOUT_MS = 10_000;
export const DEFAULT_SMTP_SOCKET_TIMEOUT_MS = 60_000;

export const UNCERTAIN_DELIVERY_ERROR =
  'delivery uncertain: an earlier attempt was interrupted while sending; not resent automatically so it cannot arrive twice';

export type MailTransport = Transporter<SMTPTransport.SentMessageInfo>;

/** The SMTP transport of SMTP_URL; with `oauth`, it logs in by XOAUTH2 with the mailbox's token (smtp-auth.ts). */
export function createSmtpTransport(smtpUrl: string, oauth?: SmtpOAuth): MailTransport {
  return nodemailer.createTransport({
    url: oauth ? urlWithoutCredentials(smtpUrl) : smtpUrl,
    ...(oauth ? { auth: nodemailerOAuth2(oauth) } : {}),
    connectionTimeout: DEFAULT_SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: DEFAULT_SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: DEFAULT_SMTP_SOCKET_TIMEOUT_MS,
    // Content comes from the database only: never let a message read local files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  } as SMTPTransport.Options);
}

export interface SenderDeps {
  db: Db;
  config: Pick<Config, 'mailFrom' | 'mailFromName'>;
  logger: Logger;
  transport: MailTransport;
}

export type SendOutcome = 'sent' | 'already-done' | 'missing' | 'suppressed' | 'uncertain';

interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
  code?: string;
  command?: string;
  rejected?: string[];
}

const brackets = (id: string): string => `<${id}>`;

type Claim = { kind: 'send'; row: OutboxRow } | { kind: Exclude<SendOutcome, 'sent'> };

async function claim(deps: SenderDeps, outboxId: string): Promise<Claim> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('outbox').selectAll().where('id', '=', outboxId).forUpdate().executeTakeFirst();
    if (!row) return { kind: 'missing' };
    if (row.status === 'sent' || row.status === 'failed' || row.status === 'suppressed')
      return { kind: 'already-done' };
    if (row.status === 'sending') {
      await trx
        .updateTable('outbox')
        .set({ status: 'failed', last_error: UNCERTAIN_DELIVERY_ERROR })
        .where('id', '=', row.id)
        .execute();
      metrics.outboundFailed.inc({ kind: row.kind, final: 'true' });
      return { kind: 'uncertain' };
    }
    if (row.automatic) {
      // A hard bounce may have arrived since the row was queued.
      for (const address of row.to_addresses) {
        const s = await isSuppressed(trx, address);
        if (s) {
          await trx
            .updateTable('outbox')
            .set({
              status: 'suppressed',
              last_error: `suppressed (suppressed-address): ${address} is marked undeliverable (${s.reason})`,
            })
            .where('id', '=', row.id)
            .execute();
          metrics.outboundSuppressed.inc({ reason: 'suppressed-address' });
          return { kind: 'suppressed' };
        }
      }
    }
    const claimed = await trx
      .updateTable('outbox')
      .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { kind: 'send', row: claimed };
  });
}

async function buildMail(deps: SenderDeps, row: OutboxRow): Promise<SendMailOptions> {
  const files = row.note_id
    ? await deps.db
        .selectFrom('attachments')
        .select(['file_name', 'content_type', 'content', 'content_id', 'inline'])
        .where('note_id', '=', row.note_id)
        .orderBy('created')
        .execute()
    : [];
  const toName = row.to_name ? cleanDisplayName(row.to_name) : '';
  return {
    from: { name: cleanDisplayName(deps.config.mailFromName), address: deps.config.mailFrom },
    // Addresses were validated when queued; objects (not strings) keep nodemailer from parsing them again.
    to: row.to_addresses.map((address, i) => (i === 0 && toName ? { name: toName, address } : { name: '', address })),
    cc: row.cc_addresses.map((address) => ({ name: '', address })),
    bcc: row.bcc_addresses.map((address) => ({ name: '', address })),
    subject: cleanHeaderText(row.subject),
    text: row.text_body,
    ...(row.html_body ? { html: row.html_body } : {}),
    messageId: brackets(row.message_id),
    ...(row.in_reply_to ? { inReplyTo: brackets(row.in_reply_to) } : {}),
    ...(row.references.length ? { references: row.references.map(brackets) } : {}),
    ...(row.reply_to ? { replyTo: { name: '', address: row.reply_to } } : {}),
    // RFC 3834: automatic answers say so, and ask Exchange not to auto-answer them back.
    headers: row.automatic ? { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } : {},
    attachments: files.map((f) => ({
      filename: cleanHeaderText(f.file_name, 200) || 'attachment',
      content: f.content,
      contentType: f.content_type,
      ...(f.inline && f.content_id ? { cid: f.content_id } : {}),
    })),
  };
}

/**
 * Sends one outbox row. Resolves with what happened; throws a PermanentSendError for a 5xx answer
 * (row marked failed) and the SMTP error itself for a passing fault (row back to 'queued', retried).
 * `isLastAttempt`: no retry follows, so a passing fault is recorded as final too.
 */
export async function sendOutboxRow(
  deps: SenderDeps,
  outboxId: string,
  options: { isLastAttempt?: boolean } = {},
): Promise<SendOutcome> {
  const c = await claim(deps, outboxId);
  if (c.kind !== 'send') return c.kind;
  const { row } = c;
  try {
    const info = await deps.transport.sendMail(await buildMail(deps, row));
    const rejected = (info.rejected ?? []).map(String);
    const sentAt = new Date();
    // The mail is out: a passing database fault must not turn it into "uncertain", so retry the mark briefly.
    await retryWithBackoff(() =>
      deps.db
        .updateTable('outbox')
        .set({
          status: 'sent',
          sent_at: sentAt,
          last_error: rejected.length ? `rejected by the server: ${rejected.join(', ')}` : null,
        })
        .where('id', '=', row.id)
        .execute(),
    );
    metrics.outboundSent.inc({ kind: row.kind });
    deps.logger.info(
      { outboxId: row.id, kind: row.kind, messageId: row.message_id, attempts: row.attempts },
      'outbound mail sent',
    );
    return 'sent';
  } catch (err) {
    const e = err as SmtpError;
    const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
    const final = permanent || !!options.isLastAttempt;
    const message = cleanHeaderText(e.response || e.message || String(err), 500);
    await deps.db.transaction().execute(async (trx) => {
      if (permanent && row.automatic && e.rejected?.length) {
        // The server refused these recipients outright: like a hard bounce, no more automatic mail to them.
        await trx
          .insertInto('address_suppressions')
          .values(
            e.rejected.map((email) => ({
              email: email.toLowerCase(),
              reason: `SMTP ${e.responseCode}: ${message}`.slice(0, 300),
            })),
          )
          .onConflict((oc) => oc.column('email').doNothing())
          .execute();
      }
      await trx
        .updateTable('outbox')
        .set({ status: final ? 'failed' : 'queued', last_error: `attempt ${row.attempts}: ${message}` })
        .where('id', '=', row.id)
        .execute();
    });
    metrics.outboundFailed.inc({ kind: row.kind, final: String(final) });
    deps.logger.warn(
      { outboxId: row.id, attempts: row.attempts, final, code: e.code, responseCode: e.responseCode, err: message },
      'outbound mail not sent',
    );
    if (permanent) throw new PermanentSendError(message, e.responseCode);
    throw err;
  }
}
