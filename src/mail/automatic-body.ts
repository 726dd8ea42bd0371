/**
 * Machine mail that carries no DSN or ARF structure, recognised from the start of its text: notifications that
 * sending services mail as JSON (Amazon SES through SNS, Postmark, SendGrid, Mailgun webhooks forwarded by mail),
 * the fixed first sentence of MTA bounce texts, and complaint reports whose report part was dropped
 * (Microsoft JMRP, AOL). Only the head of the text is read, and only at its start: a customer who forwards a bounce
 * writes their own words first, so their mail stays normal.
 */

/** Characters of the text looked at; notifications put their type near the top. */
export const AUTOMATIC_BODY_SCAN_LENGTH = 20_000;

/**
 * `"notificationType":"Bounce"` (SES), `"RecordType":"Bounce"` (Postmark), `"event":"bounce"` (SendGrid),
 * `"event":"failed"` with `"severity":"permanent"` (Mailgun) — also inside an SNS envelope, where the inner JSON is
 * a string and its quotes are escaped (`\"notificationType\":\"Bounce\"`).
 */
const JSON_BOUNCE =
  /\\?"(?:notificationType|eventType|RecordType|Type|event)\\?"\s{0,10}:\s{0,10}\\?"(?:Bounce|HardBounce|SoftBounce|bounce|bounced|dropped)\\?"/;
const JSON_MAILGUN_FAILED = /\\?"event\\?"\s{0,10}:\s{0,10}\\?"failed\\?"/;
const JSON_COMPLAINT =
  /\\?"(?:notificationType|eventType|RecordType|Type|event)\\?"\s{0,10}:\s{0,10}\\?"(?:Complaint|SpamComplaint|spamreport|complained)\\?"/;

/** Opening lines of bounce texts (Postfix, Exim, qmail, Sendmail, Exchange, Gmail). */
const BOUNCE_OPENING =
  /^(?:Hi\. This is the qmail-send program|This is the mail system at host|This message was created automatically by mail delivery software|The original message was received at .{1,200} from|Delivery has failed to these recipients or groups|Your message to \S{1,254}@\S{1,254} couldn't be delivered|Delivery to the following recipients? failed|I'm sorry to have to inform you that your message could not)\b/i;

/** Opening lines and fields of complaint reports (ARF's human part, JMRP, AOL). */
const COMPLAINT_OPENING =
  /^(?:This is an email abuse report for an email message|This is a(?:n)? (?:spam|abuse) report)\b/i;
const FEEDBACK_TYPE_FIELD = /^Feedback-Type:\s{0,10}(?:abuse|fraud|virus|other|not-spam|opt-out|auth-failure)\s*$/im;

/** The first `count` non-blank lines of the text, trimmed. */
function openingLines(text: string, count: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < count && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + 1_000)).trim();
    if (line) out.push(line);
    start = end + 1;
  }
  return out;
}

export interface BodySignal {
  classification: 'bounce' | 'feedback-report';
  reason: string;
}

/** A bounce or complaint told by its text alone, or null. */
export function automaticBody(text: string): BodySignal | null {
  const head = text.length > AUTOMATIC_BODY_SCAN_LENGTH ? text.slice(0, AUTOMATIC_BODY_SCAN_LENGTH) : text;
  const first = openingLines(head, 1)[0] ?? '';
  if (first.startsWith('{') || first.startsWith('[')) {
    if (JSON_COMPLAINT.test(head))
      return { classification: 'feedback-report', reason: 'complaint notification (JSON)' };
    if (JSON_BOUNCE.test(head)) return { classification: 'bounce', reason: 'bounce notification (JSON)' };
    if (JSON_MAILGUN_FAILED.test(head) && /\\?"severity\\?"\s{0,10}:\s{0,10}\\?"permanent\\?"/.test(head))
      return { classification: 'bounce', reason: 'bounce notification (JSON)' };
    return null;
  }
  if (COMPLAINT_OPENING.test(first)) return { classification: 'feedback-report', reason: 'complaint report text' };
  if (FEEDBACK_TYPE_FIELD.test(head) && /^Version:\s{0,10}1\s*$/im.test(head) && /^User-Agent:/im.test(head))
    return { classification: 'feedback-report', reason: 'Feedback-Type fields in the text (ARF)' };
  if (BOUNCE_OPENING.test(first)) return { classification: 'bounce', reason: 'bounce text' };
  return null;
}
