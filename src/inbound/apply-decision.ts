import type { Transaction, Updateable } from 'kysely';
import type { Config } from '../config.js';
import type { CasesTable, Database } from '../db/schema.js';
import { addNoteToLockedCase, createCase, mergeParticipants, statusChangeOfLockedCase } from '../cases/case.service.js';
import { findCaseRow } from '../cases/case.repository.js';
import { participantAddresses } from '../mail/addresses.js';
import type { CaseRow, NoteRow } from '../cases/case.mapper.js';
import { createCasesWithFirstNote } from '../cases/bulk-create.js';
import { orderCasesFromEmail } from '../orders/email-order-cases.js';
import {
  MAX_LIST_ITEMS,
  type EditableCaseFields,
  type NewAttachment,
  type Participant,
  type Property,
} from '../cases/case.types.js';
import type { CaseSettings } from '../settings/case-settings.js';
import type { VersionedCaseSettings } from '../settings/settings.repository.js';
import { excerpt } from '../mail/clean-text.js';
import type { MailAddress, ParsedMessage } from '../mail/message.types.js';
import { MAX_CASE_SUBJECT_LENGTH } from '../mail/subject.js';
import type { ThreadingResult } from './threading.js';

type Trx = Transaction<Database>;

/** Case source of cases made from email. */
export const EMAIL_CASE_SOURCE = 'Email';
/** Note source of notes made from email. */
export const EMAIL_NOTE_SOURCE = 'email';
/** Property a new case gets when the reply it came from belonged to a soft-deleted case. */
export const PREVIOUS_CASE_PROPERTY = 'PreviousCase';
/**
 * Property of a new case started because its sender may not write to the case a header or the subject named
 * (src/inbound/trust-policy.ts): that case's number, for staff to look at. Nothing is written to that case.
 */
export const POSSIBLY_RELATED_CASE_PROPERTY = 'PossiblyRelatedCase';
/** Participant role of people found in Cc. */
export const CC_PARTICIPANT_ROLE = 'Cc';
/** Subject of a case made from mail without one. */
export const EMPTY_SUBJECT = '(no subject)';

export interface EmailHookContext {
  caseRow: CaseRow;
  /** The case settings the worker decided with (its short cache, src/settings/settings-cache.ts): hooks need not read them again. */
  settings: CaseSettings;
  parsed: ParsedMessage;
  /** messages.id of the inbound message. */
  messageRowId: string;
  /** The public note the message became. */
  note: NoteRow;
}

/**
 * Hooks into the inbound transaction, so what they write (an outbox row for an acknowledgement, say)
 * commits or rolls back together with the case. Called only for mail classified `normal`: automatic
 * mail (auto-replies, bounces, lists, feedback reports) never reaches a hook, which is what keeps
 * intake out of mail loops. A hook that throws fails the message (it is retried with backoff).
 */
export interface InboundHooks {
  /**
   * After a `normal` message created a case (case, first note and attachments are written; the message's own
   * thread ref is written with the messages row at the end of the transaction, so a hook threads its mail
   * from `parsed`, as queueAcknowledgement does).
   */
  onNewCaseFromEmail?: (trx: Trx, ctx: EmailHookContext) => Promise<void>;
  /**
   * The same for the new cases of one inbound batch (process-batch.ts), in one call, so a hook can write for all
   * of them in a few statements. When absent, the batch calls onNewCaseFromEmail once per case.
   */
  onNewCasesFromEmail?: (trx: Trx, ctxs: EmailHookContext[]) => Promise<void>;
  /** After a `normal` message was added to an existing case (`reopened` when it reopened a Closed case). */
  onReplyFromEmail?: (trx: Trx, ctx: EmailHookContext & { reopened: boolean }) => Promise<void>;
}

export interface Applied {
  action: ThreadingResult['action'];
  caseRow: CaseRow | null;
  note: NoteRow | null;
  reason: string;
}

/** The customer of a new case: From, or Reply-To when configured and present. */
export function customerAddress(parsed: ParsedMessage, fromReplyTo: boolean): MailAddress | null {
  if (fromReplyTo && parsed.replyTo[0]) return parsed.replyTo[0];
  return parsed.from;
}

/**
 * Cc'd people as participants, through the one address rule (src/mail/addresses.ts participantAddresses:
 * de-duplicated, never the sender, never intake's own addresses with or without `+token`), and never the
 * customer or anyone in `exclude`. Only Cc: the issue asks for Cc'd people, and To co-recipients are
 * often other teams of the same company.
 */
export function ccParticipants(
  parsed: ParsedMessage,
  ownAddresses: readonly string[],
  exclude: readonly (string | null | undefined)[],
): Participant[] {
  const skip = new Set(exclude.filter((e): e is string => !!e).map((e) => e.toLowerCase()));
  return participantAddresses({ from: parsed.from, to: [], cc: parsed.cc }, ownAddresses)
    .filter((a) => !skip.has(a.email.toLowerCase()))
    .map((a) => ({ Name: a.name || null, Email: a.email.toLowerCase(), CustomerId: null, Role: CC_PARTICIPANT_ROLE }));
}

/** Cc'd people only from trusted mail (ThreadingResult.addsParticipants, src/inbound/trust-policy.ts). */
function trustedCc(decision: ThreadingResult, cc: Participant[]): { cc: Participant[]; note: string } {
  if (decision.addsParticipants || cc.length === 0) return { cc, note: '' };
  return { cc: [], note: `; ${cc.length} Cc'd address(es) not made participants: the sender is not trusted` };
}

/**
 * The first `max` entries of a list taken from mail (Participants, RelatedOrders) and a reason note when some were
 * left out. A mail may Cc 20,000 people, but the API refuses a list longer than MAX_LIST_ITEMS: a case holding more
 * could not be PUT back as read. The first ones are kept (header order; on a reply, the case's own first).
 */
export function capFromMail<T>(
  list: readonly T[],
  what: string,
  max: number = MAX_LIST_ITEMS,
): { kept: T[]; note: string } {
  if (list.length <= max) return { kept: [...list], note: '' };
  return { kept: list.slice(0, max), note: `; ${list.length - max} ${what} left out (a case holds at most ${max})` };
}

function attachmentsOf(parsed: ParsedMessage): NewAttachment[] {
  return parsed.attachments.map((a, i) => ({
    fileName: a.fileName || `attachment-${i + 1}`,
    contentType: a.contentType || 'application/octet-stream',
    content: a.content,
    contentId: a.contentId,
    inline: a.inline,
  }));
}

function noteFields(parsed: ParsedMessage, messageRowId: string, isPublic: boolean) {
  return {
    comment: parsed.replyText || parsed.text,
    full_text: parsed.text,
    html: parsed.html,
    is_public: isPublic,
    created_by: parsed.from?.name || parsed.from?.email || '',
    created_by_email: parsed.from?.email ?? null,
    source: EMAIL_NOTE_SOURCE,
    message_id: messageRowId,
    attachments: attachmentsOf(parsed),
  };
}

/** The case fields of a new case made from the message, and the reason's note on lists cut to the API's limit. */
function newCaseInput(
  config: Config,
  parsed: ParsedMessage,
  decision: ThreadingResult,
): { input: EditableCaseFields; note: string } {
  const customer = customerAddress(parsed, config.customerFromReplyTo);
  const properties: Property[] = [
    ...(decision.previousCase ? [{ Key: PREVIOUS_CASE_PROPERTY, Value: decision.previousCase.caseNumber }] : []),
    ...(decision.possiblyRelated
      ? [{ Key: POSSIBLY_RELATED_CASE_PROPERTY, Value: decision.possiblyRelated.caseNumber }]
      : []),
  ];
  const cc = trustedCc(decision, ccParticipants(parsed, config.ownAddresses, [customer?.email]));
  const participants = capFromMail(cc.cc, 'Cc participants');
  const orders = capFromMail(parsed.orderRefs, 'order references');
  const input: EditableCaseFields = {
    Subject: parsed.cleanSubject.trim() || excerpt(parsed.subject.trim(), MAX_CASE_SUBJECT_LENGTH) || EMPTY_SUBJECT,
    Description: parsed.text,
    Source: EMAIL_CASE_SOURCE,
    CustomerName: customer?.name || null,
    CustomerEmail: customer?.email ?? null,
    Participants: participants.kept,
    RelatedOrders: orders.kept,
    Properties: properties,
  };
  return { input, note: cc.note + participants.note + orders.note };
}

/**
 * A new case from the message, its first public note, and (normal mail) the new-case hook. `known`: the
 * worker's cached settings; with `confirm` createCase creates the case in one statement that checks they
 * are current (StaleCaseSettingsError when not: the caller runs the transaction again without `confirm`).
 */
export async function applyNewCase(
  trx: Trx,
  config: Config,
  known: VersionedCaseSettings & { confirm: boolean },
  parsed: ParsedMessage,
  decision: ThreadingResult,
  messageRowId: string,
  hooks: InboundHooks,
): Promise<Applied> {
  const { input, note: cut } = newCaseInput(config, parsed, decision);
  const orderCases = await orderCasesFromEmail(trx, known.settings, [input]);
  const created = await createCase(trx, input, {
    source: EMAIL_CASE_SOURCE,
    settings: known.confirm ? known : undefined,
  });
  await orderCases.addLines(trx, [created]);
  // The case was inserted by this transaction: no one else can see it, let alone lock it.
  const { note, caseRow } = await addNoteToLockedCase(trx, created, noteFields(parsed, messageRowId, true));
  if (parsed.classification === 'normal')
    await hooks.onNewCaseFromEmail?.(trx, { caseRow, settings: known.settings, parsed, messageRowId, note });
  return { action: 'new-case', caseRow, note, reason: decision.reason + cut };
}

/**
 * applyNewCase for several messages at once (an inbound batch, process-batch.ts): every case and its first
 * note in two statements (createCasesWithFirstNote), then the hooks, the batch hook once for all normal mail
 * when there is one. Against the caller's `known` settings, which the statement confirms (StaleCaseSettingsError
 * when they are not current: the caller's transaction is rolled back and its messages go one by one).
 */
export async function applyNewCases(
  trx: Trx,
  config: Config,
  known: VersionedCaseSettings,
  messages: readonly { parsed: ParsedMessage; decision: ThreadingResult; messageRowId: string }[],
  hooks: InboundHooks,
): Promise<Applied[]> {
  const inputs = messages.map(({ parsed, decision }) => newCaseInput(config, parsed, decision));
  // Mail naming orders the order store knows becomes order cases (src/orders): marked before, lines after the insert.
  const orderCases = await orderCasesFromEmail(
    trx,
    known.settings,
    inputs.map((i) => i.input),
  );
  const created = await createCasesWithFirstNote(
    trx,
    known,
    messages.map(({ parsed, messageRowId }, i) => {
      const { attachments, ...note } = noteFields(parsed, messageRowId, true);
      return { input: inputs[i]!.input, note, attachments };
    }),
    { source: EMAIL_CASE_SOURCE },
  );
  await orderCases.addLines(
    trx,
    created.map((c) => c.caseRow),
  );
  const contexts: EmailHookContext[] = [];
  for (const [i, { caseRow, note }] of created.entries()) {
    const { parsed, messageRowId } = messages[i]!;
    if (parsed.classification === 'normal')
      contexts.push({ caseRow, settings: known.settings, parsed, messageRowId, note });
  }
  if (hooks.onNewCasesFromEmail) {
    if (contexts.length > 0) await hooks.onNewCasesFromEmail(trx, contexts);
  } else {
    for (const ctx of contexts) await hooks.onNewCaseFromEmail?.(trx, ctx);
  }
  return created.map(({ caseRow, note }, i) => ({
    action: 'new-case',
    caseRow,
    note,
    reason: messages[i]!.decision.reason + inputs[i]!.note,
  }));
}

/**
 * A message onto an existing case: a public note (normal mail, reopening a Closed case first) or an
 * internal note (automatic mail: no status change, no participants). Returns null when the case went
 * away (soft-deleted) between the lookup and the lock; the caller then starts a new case.
 */
export async function applyToCase(
  trx: Trx,
  config: Config,
  settings: CaseSettings,
  parsed: ParsedMessage,
  decision: ThreadingResult,
  messageRowId: string,
  hooks: InboundHooks,
): Promise<Applied | null> {
  const locked = await findCaseRow(trx, decision.caseId!, { forUpdate: true });
  if (!locked) return null;
  if (decision.internal) {
    const { note, caseRow } = await addNoteToLockedCase(trx, locked, noteFields(parsed, messageRowId, false));
    return { action: 'reply', caseRow, note, reason: decision.reason };
  }
  // Decided on the status as read before the lock: act on the locked row's status.
  const reopen = locked.status === settings.StatusClosed;
  // Status, participants, orders and the comment fields: one update of the locked row, with the note.
  const changes: Updateable<CasesTable> = reopen
    ? { ...(await statusChangeOfLockedCase(trx, locked, settings.StatusReopen)) }
    : {};
  // The case's own entries first, so a cut only ever leaves out what this message would add.
  const cc = trustedCc(decision, ccParticipants(parsed, config.ownAddresses, [locked.customer_email]));
  const participants = capFromMail(
    mergeParticipants(locked.participants, cc.cc),
    'Cc participants',
    Math.max(MAX_LIST_ITEMS, locked.participants.length),
  );
  const orders = capFromMail(
    [...new Set([...locked.related_orders, ...parsed.orderRefs])],
    'order references',
    Math.max(MAX_LIST_ITEMS, locked.related_orders.length),
  );
  if (participants.kept.length !== locked.participants.length) changes.participants = JSON.stringify(participants.kept);
  if (orders.kept.length !== locked.related_orders.length) changes.related_orders = orders.kept;
  const { note, caseRow } = await addNoteToLockedCase(trx, locked, noteFields(parsed, messageRowId, true), changes);
  await hooks.onReplyFromEmail?.(trx, { caseRow, settings, parsed, messageRowId, note, reopened: reopen });
  let reason = decision.reason + cc.note + participants.note + orders.note;
  if (reopen && decision.action !== 'reopen')
    reason += `; the case was ${settings.StatusClosed} when locked, so it is reopened`;
  if (!reopen && decision.action === 'reopen')
    reason += `; the case was no longer ${settings.StatusClosed} when locked`;
  return { action: reopen ? 'reopen' : 'reply', caseRow, note, reason };
}

/**
 * A permanent bounce puts its failed recipients on the suppression list (outbound reads it), but only a bounce that
 * names a message intake sent (the bounce rule matched its original Message-ID, threading.ts), and only for
 * addresses that message was sent to: anyone can write a bounce, and a forged one (backscatter from someone forging
 * our address, or a stranger listing addresses) must not silence real customers. intake's own addresses are never
 * suppressed.
 */
export async function suppressBouncedRecipients(
  trx: Trx,
  config: Config,
  parsed: ParsedMessage,
  decision: ThreadingResult,
  messageRowId: string,
): Promise<string[]> {
  const bounce = parsed.bounce;
  if (parsed.classification !== 'bounce' || !bounce?.permanent || !bounce.originalMessageId) return [];
  if (decision.rule !== 'bounce' || !decision.matched) return [];
  const sent = await trx
    .selectFrom('outbox')
    .select(['to_addresses', 'cc_addresses', 'bcc_addresses'])
    .where('case_id', '=', decision.matched.id)
    .where('message_id', '=', bounce.originalMessageId)
    .execute();
  const addressed = new Set(
    sent.flatMap((r) => [...r.to_addresses, ...r.cc_addresses, ...r.bcc_addresses]).map((a) => a.toLowerCase()),
  );
  const own = new Set(config.ownAddresses.map((a) => a.toLowerCase()));
  const failed = bounce.recipients.filter(
    (r) =>
      r.email &&
      addressed.has(r.email.toLowerCase()) &&
      !own.has(r.email.toLowerCase()) &&
      (r.status ? r.status.startsWith('5') : r.action === 'failed'),
  );
  const emails: string[] = [];
  for (const r of failed) {
    const email = r.email.toLowerCase();
    const reason = `permanent bounce ${r.status ?? 'failed'} (inbound message ${messageRowId}${decision.caseNumber ? `, ${decision.caseNumber}` : ''})`;
    await trx
      .insertInto('address_suppressions')
      .values({ email, reason })
      .onConflict((oc) => oc.column('email').doUpdateSet({ reason, created: new Date() }))
      .execute();
    emails.push(email);
  }
  return emails;
}
