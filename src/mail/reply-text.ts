/**
 * The new part of a reply: what the sender wrote above the quoted history, without the signature.
 * Line-based heuristics for the shapes the common clients produce; the full text is always kept
 * beside it, so a wrong cut loses nothing.
 */

import { isSignatureStart } from './reply-footers.js';
import {
  BLOCK_DATE,
  BLOCK_FROM,
  BLOCK_SPAN,
  isAttribution,
  isSeparator,
  MAX_MARKER_LINE_LENGTH,
  mayEndAttribution,
  mayStartAttribution,
} from './reply-headers.js';

/** Longest text we look at line by line; beyond that the reply is surely above. */
export const MAX_REPLY_SCAN_LENGTH = 200_000;

/** An attribution may be wrapped over this many lines ("On Mon, 2 Nov 2026 at 11:04, Ann <" / "ann@x> wrote:"). */
const MAX_ATTRIBUTION_LINES = 3;

export interface ReplyParts {
  /** The new text. */
  reply: string;
  /** The signature that followed it, if one was recognised. */
  signature: string;
  /** The quoted history (attribution line included). */
  quoted: string;
}

const isQuoted = (line: string) => line.trimStart().startsWith('>');

/** Index of the next non-blank line at or after `from`, or -1. */
function nextContent(lines: string[], from: number): number {
  for (let i = from; i < lines.length; i++) if (lines[i]!.trim()) return i;
  return -1;
}

/**
 * The first line of an attribution that ends on line `end`, or -1. Wrapped attributions are joined from up to
 * MAX_ATTRIBUTION_LINES lines, starting only at a line where one may start (so body text above is never taken in).
 */
function attributionStart(lines: string[], end: number): number {
  const last = lines[end]!.trim();
  if (!mayEndAttribution(last)) return -1;
  const next = nextContent(lines, end + 1);
  const quoteFollows = next >= 0 && isQuoted(lines[next]!);
  for (let start = Math.max(0, end - MAX_ATTRIBUTION_LINES + 1); start <= end; start++) {
    const part = lines.slice(start, end + 1).map((l) => l.trim());
    if (part.some((l) => !l || l.length > MAX_MARKER_LINE_LENGTH)) continue;
    if (start < end && !mayStartAttribution(part[0]!, start === 0 || !lines[start - 1]!.trim())) continue;
    if (isAttribution(part.join(' '), quoteFollows)) return start;
  }
  return -1;
}

/** Line index where quoted history starts (attribution, separator or header block), or lines.length. */
function historyStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.length > MAX_MARKER_LINE_LENGTH) continue;
    if (isSeparator(line)) return i;
    const attribution = attributionStart(lines, i);
    if (attribution >= 0) return attribution;
    if (BLOCK_FROM.test(line)) {
      for (let j = i + 1; j < Math.min(lines.length, i + BLOCK_SPAN); j++) {
        if (BLOCK_DATE.test(lines[j]!.trim())) return i;
      }
    }
  }
  return lines.length;
}

/** Trailing '>' lines (and blank lines between them) belong to the quote; inline answers between quotes stay. */
function trailingQuoteStart(lines: string[], end: number): number {
  let start = end;
  let sawQuote = false;
  for (let i = end - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line.startsWith('>')) {
      sawQuote = true;
      start = i;
    } else if (line === '') {
      if (sawQuote) start = i;
    } else break;
  }
  return sawQuote ? start : end;
}

function signatureStart(lines: string[], from: number, end: number): number {
  for (let i = from; i < end; i++) if (isSignatureStart(lines[i]!)) return i;
  return end;
}

/**
 * A reply written below the quote (bottom-posting): the text opens with quoted history (an attribution or
 * separator and '>' lines, or '>' lines alone) and the new text follows with no further quote. Returns the
 * line where the new text starts, or -1 when the text is not shaped so (an inline reply keeps its questions).
 */
function bottomReplyStart(lines: string[], history: number): number {
  const first = nextContent(lines, 0);
  if (first < 0) return -1;
  let i = first;
  if (history === first) {
    // Skip the attribution or separator line(s) down to the quote.
    const quote = lines.findIndex((l, k) => k > first && isQuoted(l));
    if (quote < 0 || quote - first > MAX_ATTRIBUTION_LINES) return -1;
    i = quote;
  } else if (!isQuoted(lines[first]!)) return -1;
  while (i < lines.length && (isQuoted(lines[i]!) || !lines[i]!.trim())) i++;
  if (i >= lines.length) return -1;
  // Anything quoted further down, before a later history marker, makes it an inline reply: keep it whole.
  const rest = lines.slice(i);
  const restHistory = historyStart(rest);
  const restEnd = trailingQuoteStart(rest, restHistory);
  return rest.slice(0, restEnd).some(isQuoted) ? -1 : i;
}

/** Splits a plain-text reply into the new text, its signature and the quoted history. */
export function splitReply(text: string): ReplyParts {
  const scanned = text.length > MAX_REPLY_SCAN_LENGTH ? text.slice(0, MAX_REPLY_SCAN_LENGTH) : text;
  const lines = scanned.replace(/\r\n?/g, '\n').split('\n');
  let begin = 0;
  let end = historyStart(lines);
  const bottom = bottomReplyStart(lines, end);
  if (bottom >= 0) {
    begin = bottom;
    const rest = lines.slice(bottom);
    end = bottom + historyStart(rest);
  }
  end = trailingQuoteStart(lines, end);
  if (end < begin) end = begin;
  const sig = signatureStart(lines, begin, end);
  const reply = lines
    .slice(begin, sig)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const signature = lines.slice(sig, end).join('\n').trim();
  const quoted = (
    lines.slice(0, begin).join('\n') +
    (begin > 0 ? '\n' : '') +
    lines.slice(end).join('\n') +
    (scanned.length < text.length ? text.slice(scanned.length) : '')
  ).trim();
  return { reply, signature, quoted };
}

/**
 * The new part of a reply. When nothing is left after cutting (a forward without a comment, a reply
 * that is all quote) the whole text is returned: an empty note would hide what arrived.
 */
export function extractReplyText(text: string): string {
  const { reply } = splitReply(text);
  return reply || text.trim();
}

/**
 * Reply and forward prefixes as clients write them: en/de/nl/sv/da/nb/fi/it/fr, and Outlook's localized ones
 * (pl "Odp:"/"PD:", pt-BR "RES:"/"ENC:", es "RV:", sv "VB:", fi "VL:", ru "Ответ:", zh "回复:"/"答复:"/"转发:",
 * ja "返信:"/"転送:").
 */
const REPLY_PREFIX =
  /^\s*(re|aw|sv|vs|antw|fw|fwd|wg|tr|doorst|rif|r|odp|pd|res|enc|rv|vb|vl|ответ|отв|回复|答复|转发|回覆|轉寄|返信|転送)\s*((\[\d+\]|\(\d+\))\s*)?[:：]/i;

/** A reply or forward: it refers to earlier mail, or its subject says so. */
export function looksLikeReply(m: {
  inReplyTo: string | null;
  references: readonly string[];
  subject: string;
}): boolean {
  // The blanks after the counter belong to it: two \s* around an optional counter are quadratic on 'Re' + spaces.
  return m.inReplyTo !== null || m.references.length > 0 || REPLY_PREFIX.test(m.subject);
}

/**
 * `ReplyText` of a message: the new part of a reply. A message that is not a reply by its headers or subject is
 * still cut when its text holds quoted history with new text above it (Outlook replies can come without
 * In-Reply-To, References or a known prefix); fresh mail keeps its full text.
 */
export function replyTextOf(text: string, isReply: boolean): string {
  if (isReply) return extractReplyText(text);
  const { reply, quoted } = splitReply(text);
  return reply && quoted ? reply : text;
}
