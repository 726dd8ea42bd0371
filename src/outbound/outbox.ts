import { sql, type Selectable } from 'kysely';
import type { Config } from '../config.js';
import type { DbOrTrx } from '../db/database.js';
import type { OutboxTable } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ParsedMessage } from '../mail/message.types.js';
import { metrics } from '../ops/metrics.js';
import type { CaseRow, NoteRow } from '../cases/case.mapper.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';
import {
  replySubject,
  replyToAddress,
  subjectWithCaseNumber,
  threadHeaders,
  DEFAULT_MAX_REFERENCES,
} from './headers.js';
import { ackRateKey, checkAcknowledgement, checkAcknowledgements, type GuardVerdict } from './loop-guard.js';
import { senderVerdict } from '../mail/sender-headers.js';
import { newOwnMessageId } from './message-id.js';
import { cleanDisplayName, cleanHeaderText, normaliseAddress, validateRecipients } from './safety.js';
import { renderAcknowledgement } from './templates.js';

/**
 * The outbox: mail to send is written in the caller's transaction, together with the case or note
 * that causes it, and announced with pg_notify (delivered on commit, dropped on rollback). The relay
 * (relay.ts) hands committed rows to the queue and the sender (sender.ts) delivers them.
 * Nothing here talks to Redis or SMTP, so a rolled-back note never sends and a committed one always will.
 */
export const OUTBOX_CHANNEL = 'intake_outbox';
/** Total size of a note's attachments that intake will mail (bytes); most servers refuse 25 MB+. */
export const DEFAULT_MAX_MAIL_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export type OutboxRow = Selectable<OutboxTable>;

export interface OutboundDeps {
  config: Pick<
    Config,
    | 'mailFrom'
    | 'replyAddress'
    | 'messageIdSecret'
    | 'messageIdDomain'
    | 'ownAddresses'
    | 'ackRateLimit'
    | 'ackRateWindowMs'
    | 'messageIdOldSecrets'
    | 'trustedAuthservIds'
    | 'ackDomainHourlyLimit'
    | 'ackHourlyLimit'
  >;
  logger?: Logger;
}

/** The case's thread (Message-IDs received and sent, oldest first). */
export async function caseThread(db: DbOrTrx, caseId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('thread_refs')
    .select('message_id')
    .where('case_id', '=', caseId)
    .orderBy('created')
    .orderBy(sql`direction = 'out'`) // on a tie the customer's message came first
    .execute();
  return rows.map((r) => r.message_id);
}

type NewOutboxRow = Omit<
  OutboxRow,
  'id' | 'status' | 'attempts' | 'last_error' | 'created' | 'sent_at' | 'enqueued_at'
>;

/**
 * Outbox rows, their thread refs and the pg_notify in ONE statement (a round trip costs more than the
 * work here). clock_timestamp(): ours sort after the message they answer, stored in the same transaction.
 */
async function insertQueued(trx: DbOrTrx, values: readonly NewOutboxRow[]): Promise<OutboxRow[]> {
  if (values.length === 0) return [];
  const found = await trx
    .with('o', (qb) =>
      qb
        .insertInto('outbox')
        .values(values.map((v) => ({ ...v, status: 'queued' as const, created: sql<Date>`clock_timestamp()` })))
        .onConflict((oc) =>
          oc
            .column('case_id')
            .where(sql<boolean>`kind = 'ack'`)
            .doNothing(),
        )
        .returningAll(),
    )
    .with('r', (qb) =>
      qb
        .insertInto('thread_refs')
        .columns(['message_id', 'case_id', 'direction', 'created'])
        .expression((eb) =>
          eb
            .selectFrom('o')
            .select([
              'o.message_id',
              'o.case_id',
              sql<'out'>`'out'`.as('direction'),
              sql<Date>`clock_timestamp()`.as('created'),
            ]),
        )
        .onConflict((oc) => oc.columns(['message_id', 'case_id']).doNothing()),
    )
    .selectFrom('o')
    .selectAll('o')
    .select(sql<string>`pg_notify(${OUTBOX_CHANNEL}, o.id::text)`.as('notified'))
    .execute();
  return found.map(({ notified: _notified, ...row }) => row);
}

async function insertSuppressed(
  trx: DbOrTrx,
  rows: readonly { values: NewOutboxRow; verdict: GuardVerdict }[],
): Promise<OutboxRow[]> {
  if (rows.length === 0) return [];
  const inserted = await trx
    .insertInto('outbox')
    .values(
      rows.map(({ values, verdict }) => ({
        ...values,
        status: 'suppressed' as const,
        last_error: `suppressed (${verdict.reason}): ${verdict.detail}`,
        created: sql<Date>`clock_timestamp()`,
      })),
    )
    .onConflict((oc) =>
      oc
        .column('case_id')
        .where(sql<boolean>`kind = 'ack'`)
        .doNothing(),
    )
    .returningAll()
    .execute();
  for (const row of inserted) {
    const verdict = rows.find((r) => r.values.case_id === row.case_id)?.verdict;
    if (verdict) metrics.outboundSuppressed.inc({ reason: verdict.reason });
  }
  return inserted;
}

export interface QueueAcknowledgementInput {
  caseRow: CaseRow;
  /** The case settings, when the caller has them (the inbound hook context does); default: read in `trx`. */
  settings?: CaseSettings;
  /** The customer's message that opened the case. */
  parsed: Pick<
    ParsedMessage,
    'messageId' | 'references' | 'from' | 'subject' | 'cleanSubject' | 'classification' | 'senderHeaders'
  >;
  now?: Date;
}

/**
 * Queues the acknowledgement of a case opened by email, in the caller's transaction. Returns the
 * outbox row — status 'suppressed' with the reason when the loop guard refuses — or null when
 * acknowledgements are off in the case settings (or the case already has one).
 */
export async function queueAcknowledgement(
  trx: DbOrTrx,
  deps: OutboundDeps,
  input: QueueAcknowledgementInput,
): Promise<OutboxRow | null> {
  const settings = input.settings ?? (await getCaseSettings(trx));
  if (!settings.Acknowledgement.Enabled) return null;
  const ack = acknowledgementOf(deps.config, settings, input);
  const verdict = await checkAcknowledgement(trx, ack.to, {
    ...guardOptions(deps.config),
    classification: input.parsed.classification,
    senderDistrust: senderVerdict(input.parsed, deps.config.trustedAuthservIds).distrust,
    now: input.now,
  });
  if (verdict) {
    deps.logger?.info({ caseNumber: input.caseRow.case_number, reason: verdict.reason }, 'acknowledgement suppressed');
    return (await insertSuppressed(trx, [{ values: ack.values, verdict }]))[0] ?? null;
  }
  return (await insertQueued(trx, [ack.values]))[0] ?? null;
}

/**
 * queueAcknowledgement for several new cases of one transaction (an inbound batch): the same rows and the
 * same loop guard (checkAcknowledgements), in four round trips whatever their number. `inputs` share one
 * `settings` (the first one's, else read in `trx`).
 */
export async function queueAcknowledgements(
  trx: DbOrTrx,
  deps: OutboundDeps,
  inputs: readonly QueueAcknowledgementInput[],
): Promise<OutboxRow[]> {
  if (inputs.length === 0) return [];
  const settings = inputs[0]!.settings ?? (await getCaseSettings(trx));
  if (!settings.Acknowledgement.Enabled) return [];
  const acks = inputs.map((input) => acknowledgementOf(deps.config, settings, input));
  const verdicts = await checkAcknowledgements(
    trx,
    inputs.map((input, i) => ({
      to: acks[i]!.to,
      classification: input.parsed.classification,
      senderDistrust: senderVerdict(input.parsed, deps.config.trustedAuthservIds).distrust,
    })),
    { ...guardOptions(deps.config), now: inputs[0]!.now },
  );
  const suppressed = verdicts.flatMap((verdict, i) => (verdict ? [{ values: acks[i]!.values, verdict }] : []));
  for (const [i, verdict] of verdicts.entries()) {
    if (verdict)
      deps.logger?.info(
        { caseNumber: inputs[i]!.caseRow.case_number, reason: verdict.reason },
        'acknowledgement suppressed',
      );
  }
  const queued = acks.filter((_, i) => !verdicts[i]).map((a) => a.values);
  return [...(await insertSuppressed(trx, suppressed)), ...(await insertQueued(trx, queued))];
}

function guardOptions(config: OutboundDeps['config']) {
  return {
    ownAddresses: config.ownAddresses,
    ackRateLimit: config.ackRateLimit,
    ackRateWindowMs: config.ackRateWindowMs,
    ackDomainHourlyLimit: config.ackDomainHourlyLimit,
    ackHourlyLimit: config.ackHourlyLimit,
  };
}

/**
 * The most of the customer's subject an acknowledgement repeats (characters), and of the name it greets: the rest
 * of the text is the installation's template, so a forged sender cannot make intake mail much text of theirs.
 */
export const ACK_MAX_SUBJECT_LENGTH = 80;
export const ACK_MAX_NAME_LENGTH = 40;

/** The acknowledgement's outbox row for a new case, and its recipient. */
function acknowledgementOf(
  config: OutboundDeps['config'],
  settings: CaseSettings,
  input: QueueAcknowledgementInput,
): { to: string | null; values: NewOutboxRow } {
  const { caseRow, parsed } = input;
  const to = normaliseAddress(caseRow.customer_email) ?? normaliseAddress(parsed.from?.email);
  const fromName = parsed.from && to === normaliseAddress(parsed.from.email) ? parsed.from.name : '';
  const customerName = cleanHeaderText(
    cleanDisplayName(caseRow.customer_name || fromName) || to || '',
    ACK_MAX_NAME_LENGTH,
  );
  const rendered = renderAcknowledgement(settings.Acknowledgement, {
    CaseNumber: caseRow.case_number,
    Subject: cleanHeaderText(caseRow.subject || parsed.cleanSubject || parsed.subject, ACK_MAX_SUBJECT_LENGTH),
    CustomerName: customerName,
  });
  const rate = to ? ackRateKey(to) : null;
  const thread = threadHeaders([...parsed.references, parsed.messageId], DEFAULT_MAX_REFERENCES);
  return {
    to,
    values: {
      case_id: caseRow.id,
      note_id: null,
      kind: 'ack' as const,
      automatic: true,
      to_addresses: to ? [to] : [],
      to_name: cleanDisplayName(caseRow.customer_name || fromName) || null,
      cc_addresses: [],
      bcc_addresses: [],
      subject: subjectWithCaseNumber(rendered.subject, caseRow.case_number),
      text_body: rendered.text,
      html_body: null,
      message_id: newOwnMessageId(config, caseRow.id),
      in_reply_to: thread.inReplyTo,
      references: thread.references,
      reply_to: replyToAddress(config.replyAddress, caseRow.reply_token),
      ack_key: rate?.key ?? null,
      ack_domain: rate?.domain ?? null,
    },
  };
}

export interface QueueNoteEmailInput {
  caseRow: CaseRow;
  note: NoteRow;
  /** Recipients; default: the note's EmailTo, else the case's customer. */
  to?: readonly string[] | null;
  cc?: readonly string[] | null;
  bcc?: readonly string[] | null;
  /** The note's saved attachments (sent from the attachments table); checked against the size limit. */
  attachments?: readonly { size: number }[];
  maxAttachmentBytes?: number;
}

const nonEmpty = (list: readonly string[] | null | undefined): list is readonly string[] => !!list && list.length > 0;

/**
 * Queues a staff note as an email to the customer, in the caller's transaction. Internal notes are never
 * sent (returns null). A bad recipient or an oversized attachment set is a ValidationError (400), so the
 * note and its mail are refused together rather than the mail silently dropped.
 */
export async function queueNoteEmail(
  trx: DbOrTrx,
  deps: OutboundDeps,
  input: QueueNoteEmailInput,
): Promise<OutboxRow | null> {
  const { caseRow, note, config } = { ...input, config: deps.config };
  if (!note.is_public) return null;

  const toList = nonEmpty(input.to)
    ? input.to
    : nonEmpty(note.email_to)
      ? note.email_to
      : caseRow.customer_email
        ? [caseRow.customer_email]
        : [];
  const to = validateRecipients('To', toList);
  const cc = validateRecipients('Cc', nonEmpty(input.cc) ? input.cc : note.email_cc).filter((a) => !to.includes(a));
  const bcc = validateRecipients('Bcc', nonEmpty(input.bcc) ? input.bcc : note.email_bcc).filter(
    (a) => !to.includes(a) && !cc.includes(a),
  );
  if (to.length === 0)
    throw new ValidationError(
      'The note cannot be emailed: the case has no customer email and the note names no To address',
    );

  const limit = input.maxAttachmentBytes ?? DEFAULT_MAX_MAIL_ATTACHMENT_BYTES;
  const total = (input.attachments ?? []).reduce((n, a) => n + a.size, 0);
  if (total > limit)
    throw new ValidationError(`The note's attachments total ${total} bytes; at most ${limit} can be emailed`);

  const thread = threadHeaders(await caseThread(trx, caseRow.id), DEFAULT_MAX_REFERENCES);
  const [row] = await insertQueued(trx, [
    {
      case_id: caseRow.id,
      note_id: note.id,
      kind: 'reply',
      automatic: false,
      to_addresses: to,
      to_name:
        to[0] === normaliseAddress(caseRow.customer_email) ? cleanDisplayName(caseRow.customer_name) || null : null,
      cc_addresses: cc,
      bcc_addresses: bcc,
      subject: replySubject(caseRow.subject, caseRow.case_number),
      text_body: note.comment,
      html_body: note.html,
      message_id: newOwnMessageId(config, caseRow.id),
      in_reply_to: thread.inReplyTo,
      references: thread.references,
      reply_to: replyToAddress(config.replyAddress, caseRow.reply_token),
      ack_key: null,
      ack_domain: null,
    },
  ]);
  return row ?? null;
}
