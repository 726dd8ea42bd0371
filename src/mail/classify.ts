import { automaticBody } from './automatic-body.js';
import { excerpt, withoutComments } from './clean-text.js';
import type { Classification } from './message.types.js';

/** Lower-cased header name -> unfolded raw values, in order. */
export type HeaderMap = ReadonlyMap<string, readonly string[]>;

/** One non-body MIME part, as far as classification needs it. */
export interface MimePart {
  /** Lower-cased MIME type without parameters, e.g. `message/delivery-status`. */
  contentType: string;
  content?: Buffer;
}

export interface ClassifyInput {
  headers: HeaderMap;
  /** The top-level Content-Type (value lower-cased, params keyed lower-case); null when absent. */
  contentType: { value: string; params: Record<string, string> } | null;
  /** MIME parts that are not the text/HTML body (attachments, reports, embedded messages). */
  parts: readonly MimePart[];
  /** Decoded subject. */
  subject: string;
  /** Lower-cased From address, null when there is none. */
  from: string | null;
  /** The plain text (its start is read for bounces and complaints that carry no report part). */
  text?: string;
}

export interface ClassificationResult {
  classification: Classification;
  /** The header or shape that decided, e.g. `Auto-Submitted: auto-replied`. */
  reason: string;
}

/**
 * Subjects mail servers give bounces. Anchored and exact on purpose: a customer writing
 * "Undelivered parcel" must still get a case, so a bare word never counts.
 */
const BOUNCE_SUBJECT =
  /^\s*(undeliverable\s*:|undelivered mail returned to sender\s*$|delivery status notification \((failure|delay)\)\s*$|mail delivery failed\s*(:|$)|mail delivery failure\s*$|returned mail\s*:|failure notice\s*$|delivery failure notification\s*$|message not delivered\s*(:|$)|unzustellbar\s*:|nicht zustellbar\s*:|non remis\s*:|non distribuable\s*:|onbestelbaar\s*:|niet bezorgd\s*:|no se puede entregar\s*:|non recapitabile\s*:|配信不能\s*[:：]|undelivered mail\s*:)/i;
/** Complaint reports mailed without an ARF part: Microsoft JMRP, AOL's feedback loop. */
const COMPLAINT_SUBJECT = /^\s*(complaint about message from\s|email feedback report for ip\s|abuse report\s*:)/i;
/**
 * Subjects auto-responders use; the same care as for bounces ("Out of office chair broken" is a customer).
 * No two `\s*` around an optional word: they backtrack quadratically over a long run of spaces.
 */
const AUTO_REPLY_SUBJECT =
  /^\s*(out of (the )?office\s*(((auto[- ]?)?reply|notice|message|notification)\s*)?([:\-–(]|$)|automatic reply\s*:|auto[- ]?reply\s*:|autoreply\s*:|auto:|abwesenheitsnotiz\b|automatische antwort\s*:|r[ée]ponse automatique\s*:|automatisch antwoord\s*:|afwezigheidsbericht\b)/i;
const BOUNCE_SENDER = /^(mailer[-_]?daemon|post[-_]?master|mail[-_]daemon)(@|$)/i;

function first(headers: HeaderMap, name: string): string | null {
  const v = headers.get(name);
  return v && v.length > 0 ? v[0]! : null;
}

/** First token of a header value, lower-cased, comments and parameters dropped: `Auto-Generated (x); a=b` -> `auto-generated`. */
function token(value: string): string {
  return withoutComments(value).split(';')[0]!.trim().toLowerCase();
}

function has(headers: HeaderMap, name: string): boolean {
  return (headers.get(name)?.length ?? 0) > 0;
}

function reportType(input: ClassifyInput): string | null {
  if (input.contentType?.value !== 'multipart/report') return null;
  return (input.contentType.params['report-type'] ?? '').toLowerCase() || 'unknown';
}

function hasPart(input: ClassifyInput, type: string): boolean {
  return input.parts.some((p) => p.contentType === type);
}

function feedbackReport(input: ClassifyInput): string | null {
  if (reportType(input) === 'feedback-report') return 'multipart/report; report-type=feedback-report (ARF)';
  if (hasPart(input, 'message/feedback-report')) return 'message/feedback-report part (ARF)';
  if (COMPLAINT_SUBJECT.test(input.subject)) return `complaint subject "${excerpt(input.subject)}"`;
  return null;
}

/** The bounce address (Return-Path) of a mail server's own notice: `<MAILER-DAEMON@mx.example.org>`. */
function bounceReturnPath(input: ClassifyInput): string | null {
  const rp = first(input.headers, 'return-path');
  if (!rp) return null;
  const address = /<\s*([^<>\s]{1,254})\s*>/.exec(rp)?.[1] ?? rp.trim();
  return BOUNCE_SENDER.test(address) ? `Return-Path: ${excerpt(address)}` : null;
}

/** Signals that only bounces carry. `Return-Path: <>` is weaker: auto-replies use a null sender too. */
function strongBounce(input: ClassifyInput): string | null {
  const rt = reportType(input);
  if (rt === 'delivery-status') return 'multipart/report; report-type=delivery-status (DSN)';
  if (hasPart(input, 'message/delivery-status')) return 'message/delivery-status part (DSN)';
  const failed = first(input.headers, 'x-failed-recipients');
  if (failed) return `X-Failed-Recipients: ${excerpt(failed)}`;
  if (input.from && BOUNCE_SENDER.test(input.from)) return `From ${input.from}`;
  const returnPath = bounceReturnPath(input);
  if (returnPath) return returnPath;
  if (BOUNCE_SUBJECT.test(input.subject)) return `bounce subject "${excerpt(input.subject)}"`;
  return null;
}

function autoReply(input: ClassifyInput): string | null {
  const h = input.headers;
  const submitted = first(h, 'auto-submitted');
  if (submitted !== null && token(submitted) !== 'no' && token(submitted) !== '')
    return `Auto-Submitted: ${excerpt(token(submitted))}`;
  for (const name of ['X-Autoreply', 'X-Autorespond', 'X-Autoresponder']) {
    const v = first(h, name.toLowerCase());
    if (v !== null && !['no', 'false', '0'].includes(token(v))) return `${name}: ${excerpt(v)}`;
  }
  const suppress = first(h, 'x-auto-response-suppress');
  if (suppress && /\b(oof|autoreply|all)\b/i.test(suppress)) return `X-Auto-Response-Suppress: ${excerpt(suppress)}`;
  const precedence = first(h, 'precedence');
  if (precedence && token(precedence) === 'auto_reply') return 'Precedence: auto_reply';
  // Read receipts (MDN) are machine answers too: they must never reopen a case.
  if (reportType(input) === 'disposition-notification' || hasPart(input, 'message/disposition-notification')) {
    return 'read receipt (multipart/report; report-type=disposition-notification)';
  }
  if (AUTO_REPLY_SUBJECT.test(input.subject)) return `auto-reply subject "${excerpt(input.subject)}"`;
  return null;
}

function weakBounce(input: ClassifyInput): string | null {
  const rp = first(input.headers, 'return-path');
  if (rp !== null && /^<\s*>$/.test(rp.trim())) return 'Return-Path: <> (null sender)';
  return null;
}

function list(input: ClassifyInput): string | null {
  const h = input.headers;
  if (has(h, 'list-id')) return `List-Id: ${excerpt(first(h, 'list-id')!)}`;
  if (has(h, 'list-unsubscribe')) return 'List-Unsubscribe header';
  const precedence = first(h, 'precedence');
  if (precedence && ['bulk', 'list', 'junk'].includes(token(precedence)))
    return `Precedence: ${excerpt(token(precedence))}`;
  if (has(h, 'x-mailing-list')) return `X-Mailing-List: ${excerpt(first(h, 'x-mailing-list')!)}`;
  return null;
}

/**
 * Classifies a message from its headers and MIME structure alone. The order matters: a bounce often
 * also carries `Auto-Submitted`, and an auto-reply from a list server carries `List-Id`; the more
 * specific kind wins. Only `normal` mail may open or reopen a case or get an automatic answer.
 */
export function classifyMessage(input: ClassifyInput): ClassificationResult {
  const feedback = feedbackReport(input);
  if (feedback) return { classification: 'feedback-report', reason: feedback };
  const bounce = strongBounce(input);
  if (bounce) return { classification: 'bounce', reason: bounce };
  // No report part and no telling header: the text may still say it (JSON notifications, MTA texts, JMRP).
  const body = input.text ? automaticBody(input.text) : null;
  if (body) return body;
  const auto = autoReply(input);
  if (auto) return { classification: 'auto-reply', reason: auto };
  const nullSender = weakBounce(input);
  if (nullSender) return { classification: 'bounce', reason: nullSender };
  const bulk = list(input);
  if (bulk) return { classification: 'list', reason: bulk };
  return { classification: 'normal', reason: 'no auto-reply, bounce or list markers' };
}
