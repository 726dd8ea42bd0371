import { rawHeader, splitRaw, usableMessageId } from './identity.js';
import { addressesInHeader, isEmailLike } from './addresses.js';
import type { HeaderMap, MimePart } from './classify.js';
import type { BounceInfo } from './message.types.js';

export interface BounceInput {
  parts: readonly MimePart[];
  /** Plain-text body of the bounce (qmail/Exim bounces carry everything there). */
  text: string;
  headers: HeaderMap;
}

type Recipient = BounceInfo['recipients'][number];

const STATUS_RE = /\b([245]\.\d{1,3}\.\d{1,3})\b/;
/**
 * Failed recipients read from one report at most. A real DSN names a handful; each one read becomes a suppression
 * row (one statement each), so a report listing 10,000 must not become 10,000 statements.
 */
export const MAX_BOUNCE_RECIPIENTS = 100;
/** Recipient actions that are not failures (RFC 3464 §2.3.3). */
const SUCCESS_ACTIONS = new Set(['delivered', 'relayed', 'expanded']);

/** Fields of a DSN block (`Name: value` lines, continuation lines folded). */
function fields(block: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(line);
    if (m && !map.has(m[1]!.toLowerCase())) map.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  return map;
}

/** `rfc822; Bob@Example.net` -> `bob@example.net`. */
function addressOf(value: string | undefined): string | null {
  if (!value) return null;
  return addressesInHeader(value.includes(';') ? value.slice(value.indexOf(';') + 1) : value)[0] ?? null;
}

/** RFC 3464 message/delivery-status: one per-message block, then one block per recipient. */
export function parseDeliveryStatus(body: string): Recipient[] {
  const out = new Map<string, Recipient>();
  for (const block of body.split(/\r?\n\s*\r?\n/)) {
    if (out.size >= MAX_BOUNCE_RECIPIENTS) break;
    const f = fields(block);
    const email = addressOf(f.get('final-recipient')) ?? addressOf(f.get('original-recipient'));
    if (!email || out.has(email)) continue;
    const action = f.get('action')?.toLowerCase() ?? null;
    if (action && SUCCESS_ACTIONS.has(action)) continue;
    const status = STATUS_RE.exec(f.get('status') ?? '')?.[1] ?? null;
    out.set(email, { email, status, action });
  }
  return [...out.values()];
}

/**
 * Failed recipients of a bounce without a DSN part: X-Failed-Recipients (Exim), and the
 * `<addr>:` paragraphs of qmail ("Hi. This is the qmail-send program ..."), each with the
 * status code of its paragraph when one is given (`(#5.1.1)`, `550 5.1.1`).
 */
function recipientsFromText(text: string, headers: HeaderMap): Recipient[] {
  const out = new Map<string, Recipient>();
  const body =
    text.split(/^-{2,}\s*(?:Below this line is a copy of the message|This is a copy of the message)/im)[0] ?? text;
  // No '@' inside either half of `<addr>`: with it, a line of '<a@a@a@…' is tried at every '@' (quadratic).
  for (const m of body.matchAll(/^<([^<>\s@]+@[^<>\s@]+)>:\s*\n([\s\S]*?)(?=^<[^<>\s@]+@[^<>\s@]+>:|(?![\s\S]))/gm)) {
    if (out.size >= MAX_BOUNCE_RECIPIENTS) break;
    const email = m[1]!.toLowerCase();
    if (!isEmailLike(email) || out.has(email)) continue;
    out.set(email, { email, status: STATUS_RE.exec(m[2] ?? '')?.[1] ?? null, action: 'failed' });
  }
  const status = STATUS_RE.exec(body)?.[1] ?? null;
  for (const value of headers.get('x-failed-recipients') ?? []) {
    for (const email of addressesInHeader(value)) {
      if (out.size >= MAX_BOUNCE_RECIPIENTS) break;
      if (!out.has(email)) out.set(email, { email, status, action: 'failed' });
    }
  }
  return [...out.values()];
}

/** Message-ID of the bounced message from an attached message/rfc822 or rfc822-headers part, else from the text. */
function originalMessageId(parts: readonly MimePart[], text: string): string | null {
  for (const part of parts) {
    if (
      ![
        'message/rfc822',
        'text/rfc822-headers',
        'message/rfc822-headers',
        'message/global',
        'message/global-headers',
      ].includes(part.contentType)
    )
      continue;
    if (!part.content) continue;
    const { header } = splitRaw(part.content.subarray(0, 256 * 1024));
    const id = rawHeader(header, 'Message-ID');
    const m = id ? /<([^<>\s]+)>/.exec(id) : null;
    if (m) return usableMessageId(m[1]);
    if (id) return usableMessageId(id.trim());
  }
  // qmail and Exim quote the original headers in the body. `^[ \t]*`, not `^\s*`: that ran from every line start
  // over all the blank lines after it (quadratic on a body of newlines).
  const m = /^[ \t]*Message-ID:\s*<([^<>\s]+)>/im.exec(text);
  return m ? usableMessageId(m[1]) : null;
}

/** Who bounced, how and for which message; never throws on odd reports. */
export function parseBounceInfo(input: BounceInput): BounceInfo {
  let recipients: Recipient[] = [];
  for (const part of input.parts) {
    if (part.contentType === 'message/delivery-status' && part.content) {
      recipients = recipients.concat(parseDeliveryStatus(part.content.toString('utf8')));
    }
  }
  if (recipients.length > MAX_BOUNCE_RECIPIENTS) recipients = recipients.slice(0, MAX_BOUNCE_RECIPIENTS);
  if (recipients.length === 0) recipients = recipientsFromText(input.text, input.headers);
  const permanent =
    recipients.some((r) => r.status?.startsWith('5.') === true) ||
    (recipients.every((r) => r.status === null) &&
      /permanent(ly)? (error|failure|fatal)|\b55[0-4][ -]/i.test(input.text));
  return { originalMessageId: originalMessageId(input.parts, input.text), recipients, permanent };
}
