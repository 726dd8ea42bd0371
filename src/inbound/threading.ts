import type { ParsedMessage, ThreadDecision } from '../mail/message.types.js';
import {
  distrustReason,
  isTrustedMember,
  senderTrust,
  signedCaseId,
  type SenderTrust,
  type TrustOptions,
} from './trust-policy.js';

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
 *  3. In-Reply-To, then References newest first: a Message-ID intake signed -> the case it names; a Message-ID in
 *     thread_refs -> its case, only when the sender is that case's customer or a participant (trust-policy.ts);
 *  4. a case number in the subject, accepted on the same condition.
 * A reference or case number the sender may not use starts a new case that names the case (possiblyRelated).
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
  /**
   * Batch form for In-Reply-To and References (a long thread has dozens): Message-ID -> every case it belongs to
   * (a live case first, then the newest), for the ids that are known.
   */
  casesByMessageIds(messageIds: readonly string[]): Promise<Map<string, ThreadCase[]>>;
  caseByNumber(caseNumber: string): Promise<ThreadCase | null>;
  /** The case a signed Message-ID names, when thread_refs has no row for that id. */
  caseById(caseId: string): Promise<ThreadCase | null>;
}

export type ThreadRule =
  'own-message' | 'duplicate' | 'bounce' | 'reply-token' | 'in-reply-to' | 'references' | 'subject';

export interface ThreadingOptions {
  /** settings.StatusClosed: a normal reply to a case in this status reopens it. */
  statusClosed: string;
  /** Who may steer a message onto a case (trust-policy.ts; trustOptionsFor(config)). */
  trust: TrustOptions;
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
  /**
   * A case the message seemed to belong to by a header or the subject, but whose customer or participant the sender
   * is not (trust-policy.ts): the new case names it (PossiblyRelatedCase), and nothing is written to it.
   */
  possiblyRelated: ThreadCase | null;
  /** True when the Cc'd addresses may become participants: only mail from a trusted sender adds any. */
  addsParticipants: boolean;
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
  addsParticipants: boolean;
}

/** What findMatch looked at without a match: notes for the reason, and the first case the sender may not write to. */
interface Misses {
  notes: string[];
  related: ThreadCase | null;
}

/** In-Reply-To, then References newest first: a signed id of intake's, or a message of a case the sender belongs to. */
async function headerMatch(
  parsed: ParsedMessage,
  lookup: ThreadLookup,
  options: ThreadingOptions,
  sender: SenderTrust,
  misses: Misses,
): Promise<Match | null> {
  const ids = referencedMessageIds(parsed);
  if (ids.length === 0) return null;
  const known = await lookup.casesByMessageIds(ids);
  let unknown = 0;
  for (const id of ids) {
    const rule: ThreadRule = id === parsed.inReplyTo ? 'in-reply-to' : 'references';
    const header = rule === 'in-reply-to' ? 'In-Reply-To' : 'References';
    const cases = known.get(id) ?? [];
    const signed = signedCaseId(id, options.trust);
    if (signed) {
      // Signed by intake: the signature, not the sender, says which case (a colleague the customer forwarded to).
      const c = cases.find((k) => k.id === signed) ?? (await lookup.caseById(signed));
      if (c) {
        const reason = `${header} <${id}> is a message intake sent and signed for ${c.caseNumber}`;
        return { rule, case: c, reason, addsParticipants: isTrustedMember(c, sender) };
      }
      misses.notes.push(`${header} <${id}> is signed by intake for a case that does not exist`);
      continue;
    }
    const trusted = cases.find((c) => isTrustedMember(c, sender));
    if (trusted) {
      const reason = `${header} <${id}> is a message of ${trusted.caseNumber} and ${sender.label} is its customer or a participant`;
      return { rule, case: trusted, reason, addsParticipants: true };
    }
    const first = cases[0];
    if (!first) {
      unknown++;
      continue;
    }
    misses.related ??= first;
    misses.notes.push(`${header} <${id}> is a message of ${first.caseNumber}, but ${distrustReason(first, sender)}`);
  }
  if (unknown > 0)
    misses.notes.push(
      ids.length === 1 && ids[0] === parsed.inReplyTo
        ? `In-Reply-To <${ids[0]}> is unknown`
        : `${unknown} of ${ids.length} referenced Message-IDs are unknown`,
    );
  return null;
}

async function findMatch(
  parsed: ParsedMessage,
  lookup: ThreadLookup,
  options: ThreadingOptions,
  sender: SenderTrust,
  misses: Misses,
): Promise<Match | null> {
  const { notes } = misses;
  if (parsed.classification === 'bounce' && parsed.bounce?.originalMessageId) {
    const id = parsed.bounce.originalMessageId;
    const hit = await lookup.caseByMessageId(id, 'out');
    if (hit)
      return {
        rule: 'bounce',
        case: hit.case,
        reason: `bounce of <${id}>, a message intake sent for ${hit.case.caseNumber}`,
        addsParticipants: false,
      };
    notes.push(`bounced <${id}> is not a message intake sent`);
  }
  for (const token of parsed.replyTokens) {
    // The token travels only in intake's own Reply-To: like a signed Message-ID, it names the case itself.
    const c = await lookup.caseByReplyToken(token);
    if (c)
      return {
        rule: 'reply-token',
        case: c,
        reason: `reply token ${token} belongs to ${c.caseNumber}`,
        addsParticipants: isTrustedMember(c, sender),
      };
    notes.push(`reply token ${token} is unknown`);
  }
  const byHeader = await headerMatch(parsed, lookup, options, sender, misses);
  if (byHeader) return byHeader;
  for (const number of parsed.caseRefs) {
    const c = await lookup.caseByNumber(number);
    if (!c) {
      notes.push(`subject names ${number}, which does not exist`);
      continue;
    }
    // Threading by subject alone let strangers write onto other people's cases: only the case's own people, by From.
    if (isTrustedMember(c, sender)) {
      return {
        rule: 'subject',
        case: c,
        reason: `subject names ${c.caseNumber} and ${sender.label} is its customer or a participant`,
        addsParticipants: true,
      };
    }
    misses.related ??= c;
    notes.push(`subject names ${c.caseNumber} but ${distrustReason(c, sender)}`);
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
  const sender = senderTrust(parsed, options.trust);
  const misses: Misses = { notes: [], related: null };
  const match = await findMatch(parsed, lookup, options, sender, misses);
  return match ? decideOnMatch(parsed, match, options, sender) : decideWithoutMatch(parsed, misses, sender);
}

const NO_MATCH = {
  rule: null,
  matched: null,
  internal: false,
  previousCase: null,
  possiblyRelated: null,
  addsParticipants: false,
} as const;

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
function decideOnMatch(
  parsed: ParsedMessage,
  match: Match,
  options: ThreadingOptions,
  sender: SenderTrust,
): ThreadingResult {
  const normal = parsed.classification === 'normal';
  const c = match.case;
  const matched = { ...NO_MATCH, rule: match.rule, matched: c, addsParticipants: normal && match.addsParticipants };
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
      addsParticipants: !sender.distrust,
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

/**
 * No case: normal mail starts one (naming the case it seemed to belong to, if any), automatic mail is stored and
 * ignored. The notes say what was looked at.
 */
function decideWithoutMatch(parsed: ParsedMessage, misses: Misses, sender: SenderTrust): ThreadingResult {
  const { notes, related } = misses;
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
  const base = related
    ? `not trusted on ${related.caseNumber}: a new case, possibly related to ${related.caseNumber}`
    : 'no reply token, known reference or case number of the sender';
  return {
    ...NO_MATCH,
    action: 'new-case',
    caseId: null,
    caseNumber: null,
    possiblyRelated: related,
    addsParticipants: !sender.distrust,
    reason: withNotes(sender.distrust && !related ? `${base}; ${sender.distrust}` : base, notes),
  };
}
