import type { ParsedMessage, ThreadDecision } from '../mail/message.types.js';

/**
 * The threading rules: does an inbound message continue a case, and which one? Pure over a lookup
 * interface, so the rules have fast unit tests (threading.spec.ts) and the database side
 * (thread-lookup.ts) stays a handful of queries.
 *
 * Order (the first rule that finds a case wins; an unknown reference is no error, it falls through):
 *  0. the message's own Message-ID is already known: intake sent it ('out', our own mail came back) or
 *     already received it for a case ('in', a redelivery with different bytes) -> ignore;
 *  1. a bounce whose original Message-ID is one intake sent -> that case;
 *  2. a reply token in a recipient address (`support+<token>@...`) -> cases.reply_token;
 *  3. In-Reply-To, then References newest first -> thread_refs;
 *  4. a case number in the subject, accepted only when the sender is the case's customer or a participant.
 * Then the classification decides what happens: only `normal` mail creates, replies to or reopens a case;
 * anything automatic that threads becomes an internal note ('reply', no status change), anything
 * automatic that does not thread is stored and ignored.
 */

/** The few facts about a case the rules need. */
export interface ThreadCase {
  id: string;
  caseNumber: string;
  status: string;
  deleted: boolean;
  customerEmail: string | null;
  /** Lower-cased participant addresses. */
  participantEmails: string[];
}

export interface ThreadLookup {
  caseByReplyToken(token: string): Promise<ThreadCase | null>;
  /** The case a Message-ID intake received ('in') or sent ('out') belongs to. */
  caseByMessageId(
    messageId: string,
    direction?: 'in' | 'out',
  ): Promise<{ case: ThreadCase; direction: 'in' | 'out' } | null>;
  /** Batch form for References (a long thread has dozens): Message-ID -> case, for the ids that are known. */
  casesByMessageIds(messageIds: readonly string[]): Promise<Map<string, ThreadCase>>;
  caseByNumber(caseNumber: string): Promise<ThreadCase | null>;
}

export type ThreadRule =
  'own-message' | 'duplicate' | 'bounce' | 'reply-token' | 'in-reply-to' | 'references' | 'subject';

export interface ThreadingOptions {
  /** settings.StatusClosed: a normal reply to a case in this status reopens it. */
  statusClosed: string;
  /** Use Reply-To as the sender for the subject rule too (config.customerFromReplyTo). Default false. */
  senderFromReplyTo?: boolean;
}

export interface ThreadingResult extends ThreadDecision {
  /** The rule that matched, null when none did. */
  rule: ThreadRule | null;
  /** The matched case (also set when it is soft-deleted; then action is new-case or ignore). */
  matched: ThreadCase | null;
  /** True when the message goes onto the case as an internal note (automatic mail). */
  internal: boolean;
  /** A soft-deleted case the message referred to: the new case refers to it. */
  previousCase: ThreadCase | null;
}

/** The addresses that count as "the sender" for the subject rule (lower-cased). */
export function senderAddresses(parsed: Pick<ParsedMessage, 'from' | 'replyTo'>, fromReplyTo = false): string[] {
  const list = [parsed.from?.email, ...(fromReplyTo ? parsed.replyTo.map((a) => a.email) : [])];
  return [...new Set(list.filter((e): e is string => !!e).map((e) => e.toLowerCase()))];
}

function senderBelongsTo(c: ThreadCase, senders: string[]): boolean {
  const allowed = new Set(
    [c.customerEmail?.toLowerCase(), ...c.participantEmails.map((e) => e.toLowerCase())].filter(Boolean),
  );
  return senders.some((s) => allowed.has(s));
}

/** References newest first (the header lists them oldest first), without the In-Reply-To already tried. */
export function referencesNewestFirst(parsed: Pick<ParsedMessage, 'references' | 'inReplyTo'>): string[] {
  const seen = new Set<string>(parsed.inReplyTo ? [parsed.inReplyTo] : []);
  const out: string[] = [];
  for (const id of [...parsed.references].reverse()) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

/** The Message-IDs this message refers to (In-Reply-To, then References newest first), without its own. */
export function referencedMessageIds(parsed: Pick<ParsedMessage, 'messageId' | 'references' | 'inReplyTo'>): string[] {
  const ids = [...(parsed.inReplyTo ? [parsed.inReplyTo] : []), ...referencesNewestFirst(parsed)];
  return ids.filter((id) => id !== parsed.messageId);
}

/** Every Message-ID decideThread may look up: its own, a bounced original and the referenced ones. */
export function lookupMessageIds(
  parsed: Pick<ParsedMessage, 'messageId' | 'references' | 'inReplyTo' | 'bounce'>,
): string[] {
  const ids = [parsed.messageId, parsed.bounce?.originalMessageId, parsed.inReplyTo, ...parsed.references];
  return [...new Set(ids.filter((id): id is string => !!id))];
}

interface Match {
  rule: ThreadRule;
  case: ThreadCase;
  reason: string;
}

async function findMatch(
  parsed: ParsedMessage,
  lookup: ThreadLookup,
  options: ThreadingOptions,
  notes: string[],
): Promise<Match | null> {
  if (parsed.classification === 'bounce' && parsed.bounce?.originalMessageId) {
    const id = parsed.bounce.originalMessageId;
    const hit = await lookup.caseByMessageId(id, 'out');
    if (hit)
      return {
        rule: 'bounce',
        case: hit.case,
        reason: `bounce of <${id}>, a message intake sent for ${hit.case.caseNumber}`,
      };
    notes.push(`bounced <${id}> is not a message intake sent`);
  }
  for (const token of parsed.replyTokens) {
    const c = await lookup.caseByReplyToken(token);
    if (c) return { rule: 'reply-token', case: c, reason: `reply token ${token} belongs to ${c.caseNumber}` };
    notes.push(`reply token ${token} is unknown`);
  }
  if (parsed.inReplyTo) {
    const hit = await lookup.caseByMessageId(parsed.inReplyTo);
    if (hit)
      return {
        rule: 'in-reply-to',
        case: hit.case,
        reason: `In-Reply-To <${parsed.inReplyTo}> is a message of ${hit.case.caseNumber}`,
      };
    notes.push(`In-Reply-To <${parsed.inReplyTo}> is unknown`);
  }
  const refs = referencesNewestFirst(parsed);
  const known = refs.length > 0 ? await lookup.casesByMessageIds(refs) : new Map<string, ThreadCase>();
  for (const id of refs) {
    const c = known.get(id);
    if (c) return { rule: 'references', case: c, reason: `References <${id}> is a message of ${c.caseNumber}` };
  }
  if (refs.length > 0) notes.push(`none of ${refs.length} References is known`);
  const senders = senderAddresses(parsed, options.senderFromReplyTo);
  for (const number of parsed.caseRefs) {
    const c = await lookup.caseByNumber(number);
    if (!c) {
      notes.push(`subject names ${number}, which does not exist`);
      continue;
    }
    if (senderBelongsTo(c, senders)) {
      return {
        rule: 'subject',
        case: c,
        reason: `subject names ${c.caseNumber} and ${senders[0] ?? 'the sender'} is its customer or a participant`,
      };
    }
    // Threading by subject alone let strangers write onto other people's cases: never do that.
    notes.push(
      `subject names ${c.caseNumber} but ${senders[0] ?? 'the sender'} is neither its customer nor a participant`,
    );
  }
  return null;
}

const withNotes = (reason: string, notes: string[]) => (notes.length ? `${reason} (${notes.join('; ')})` : reason);

/**
 * Decides what an inbound message does. Read-only: `lookup` is queried, nothing is written, so
 * `intake parse` and POST /api/inbound/parse show the same decision the worker would take.
 */
export async function decideThread(
  parsed: ParsedMessage,
  lookup: ThreadLookup,
  options: ThreadingOptions,
): Promise<ThreadingResult> {
  const seen = parsed.messageId ? await seenMessage(parsed.messageId, lookup) : null;
  if (seen) return seen;
  const notes: string[] = [];
  const match = await findMatch(parsed, lookup, options, notes);
  return match ? decideOnMatch(parsed, match, options) : decideWithoutMatch(parsed, notes);
}

const NO_MATCH = { rule: null, matched: null, internal: false, previousCase: null } as const;

/** A Message-ID already on a case: intake's own mail come back, or a second delivery. Either is ignored. */
async function seenMessage(messageId: string, lookup: ThreadLookup): Promise<ThreadingResult | null> {
  const own = await lookup.caseByMessageId(messageId);
  if (!own) return null;
  const c = own.case;
  const reason =
    own.direction === 'out'
      ? `Message-ID <${messageId}> is a message intake sent for ${c.caseNumber}: its own mail came back`
      : `Message-ID <${messageId}> was already received for ${c.caseNumber}: a duplicate delivery`;
  return {
    ...NO_MATCH,
    action: 'ignore',
    caseId: c.id,
    caseNumber: c.caseNumber,
    reason,
    rule: own.direction === 'out' ? 'own-message' : 'duplicate',
    matched: c,
  };
}

/**
 * The message belongs to a case. A deleted case: normal mail starts a new case that refers to it, automatic mail is
 * ignored. A live one: normal mail replies (and reopens a Closed case), automatic mail becomes an internal note.
 */
function decideOnMatch(parsed: ParsedMessage, match: Match, options: ThreadingOptions): ThreadingResult {
  const normal = parsed.classification === 'normal';
  const c = match.case;
  const matched = { ...NO_MATCH, rule: match.rule, matched: c };
  if (c.deleted) {
    if (!normal) {
      return {
        ...matched,
        action: 'ignore',
        caseId: null,
        caseNumber: null,
        reason: `${parsed.classification}: ${match.reason}, but that case is deleted`,
      };
    }
    return {
      ...matched,
      action: 'new-case',
      caseId: null,
      caseNumber: null,
      previousCase: c,
      reason: `${match.reason}, but that case is deleted: a new case refers to it`,
    };
  }
  if (!normal) {
    return {
      ...matched,
      action: 'reply',
      caseId: c.id,
      caseNumber: c.caseNumber,
      internal: true,
      reason: `${parsed.classification} (${parsed.classificationReason}): ${match.reason}; internal note, status unchanged`,
    };
  }
  const reopen = c.status === options.statusClosed;
  return {
    ...matched,
    action: reopen ? 'reopen' : 'reply',
    caseId: c.id,
    caseNumber: c.caseNumber,
    reason: reopen ? `${match.reason}; the case is ${c.status}, so it is reopened` : match.reason,
  };
}

/** No case: normal mail starts one, automatic mail is stored and ignored. `notes` say what was looked at. */
function decideWithoutMatch(parsed: ParsedMessage, notes: string[]): ThreadingResult {
  if (parsed.classification !== 'normal') {
    return {
      ...NO_MATCH,
      action: 'ignore',
      caseId: null,
      caseNumber: null,
      reason: withNotes(
        `${parsed.classification} (${parsed.classificationReason}) that belongs to no case: stored, no case, no answer`,
        notes,
      ),
    };
  }
  return {
    ...NO_MATCH,
    action: 'new-case',
    caseId: null,
    caseNumber: null,
    reason: withNotes('no reply token, known reference or case number of the sender', notes),
  };
}
