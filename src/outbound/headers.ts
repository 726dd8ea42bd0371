import { cleanHeaderText, normaliseAddress, splitAddress } from './safety.js';

/**
 * Threading headers of the mail intake sends (RFC 5322 section 3.6.4): In-Reply-To names the message
 * answered, References the thread oldest first. Long threads are capped the way mail clients do it
 * (keep the first id, which roots the thread, and the newest ones) so the header stays a sane size.
 */
export const DEFAULT_MAX_REFERENCES = 20;

export interface ThreadHeaders {
  inReplyTo: string | null;
  /** Oldest first, without angle brackets. */
  references: string[];
}

const bare = (id: string): string => id.trim().replace(/^<|>$/g, '');
// A Message-ID from somebody else's mail goes back into our headers: keep only well-formed ones.
const MESSAGE_ID = /^[^\s<>@]+@[^\s<>@]+$/;

/** Thread headers answering the last message of `thread` (oldest first; duplicates and junk dropped). */
export function threadHeaders(
  thread: readonly (string | null | undefined)[],
  max = DEFAULT_MAX_REFERENCES,
): ThreadHeaders {
  const ids: string[] = [];
  for (const raw of thread) {
    if (!raw) continue;
    const id = bare(raw);
    if (!MESSAGE_ID.test(id) || id.length > 250) continue;
    const seen = ids.indexOf(id);
    if (seen !== -1) ids.splice(seen, 1); // a repeated id counts at its newest position
    ids.push(id);
  }
  const inReplyTo = ids.at(-1) ?? null;
  const keep = Math.max(1, max);
  const references = ids.length <= keep ? ids : [ids[0]!, ...ids.slice(ids.length - (keep - 1))];
  return { inReplyTo, references };
}

/** `[CS-1001]` */
export const caseTag = (caseNumber: string): string => `[${caseNumber}]`;

/**
 * The subject with the case number added once, in front: `[CS-1001] Where is my order?`. A subject that
 * already carries the tag (a reply to our own mail) keeps its single one.
 */
export function subjectWithCaseNumber(subject: string, caseNumber: string): string {
  const clean = cleanHeaderText(subject);
  const tag = caseTag(caseNumber);
  if (clean.toLowerCase().includes(tag.toLowerCase())) return clean;
  return clean ? `${tag} ${clean}` : tag;
}

/** The subject of a staff reply: `Re: [CS-1001] <case subject>` (one Re:, one tag). */
export function replySubject(caseSubject: string, caseNumber: string): string {
  const withoutRe = cleanHeaderText(caseSubject).replace(/^(?:(?:re|aw|sv|antw|fwd?|wg)\s*:\s*)+/i, '');
  return `Re: ${subjectWithCaseNumber(withoutRe, caseNumber)}`;
}

/**
 * Reply-To carrying the case's reply token: `support+<token>@example.com` from REPLY_ADDRESS.
 * Null when REPLY_ADDRESS is empty (the mailbox does not support plus-addressing) or unusable.
 */
export function replyToAddress(replyAddress: string, replyToken: string): string | null {
  const base = normaliseAddress(replyAddress);
  if (!base || !/^[a-z0-9]+$/.test(replyToken)) return null;
  const { local, domain } = splitAddress(base);
  return `${local}+${replyToken}@${domain}`;
}
