import { rawHeader, splitRaw } from './identity.js';
import { addressesInHeader } from './addresses.js';
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
  const out: Recipient[] = [];
  for (const block of body.split(/\r?\n\s*\r?\n/)) {
    const f = fields(block);
    const email = addressOf(f.get('final-recipient')) ?? addressOf(f.get('original-recipient'));
    if (!email) continue;
    const action = f.get('action')?.toLowerCase() ?? null;
    if (action && SUCCESS_ACTIONS.has(action)) continue;
    const status = STATUS_RE.exec(f.get('status') ?? '')?.[1] ?? null;
    if (!out.some((r) => r.email === email)) out.push({ email, status, action });
  }
  return out;
}

/**
 * Failed recipients of a bounce without a DSN part: X-Failed-Recipients (Exim), and the
 * `<addr>:` paragraphs of qmail ("Hi. This is the qmail-send program ..."), each with the
 * status code of its paragraph when one is given (`(#5.1.1)`, `550 5.1.1`).
 */
function recipientsFromText(text: string, headers: HeaderMap): Recipient[] {
  const out: Recipient[] = [];
  const body = text.split(/^-{2,}\s*(?:Below this line is a copy of the message|This is a copy of the message)/im)[0] ?? text;
  for (const m of body.matchAll(/^<([^<>\s]+@[^<>\s]+)>:\s*\n([\s\S]*?)(?=^<[^<>\s]+@[^<>\s]+>:|(?![\s\S]))/gm)) {
    const email = m[1]!.toLowerCase();
    const status = STATUS_RE.exec(m[2] ?? '')?.[1] ?? null;
    if (!out.some((r) => r.email === email)) out.push({ email, status, action: 'failed' });
  }
  for (const value of headers.get('x-failed-recipients') ?? []) {
    for (const email of addressesInHeader(value)) {
      if (!out.some((r) => r.email === email)) out.push({ email, status: STATUS_RE.exec(body)?.[1] ?? null, action: 'failed' });
    }
  }
  return out;
}

/** Message-ID of the bounced message from an attached message/rfc822 or rfc822-headers part, else from the text. */
function originalMessageId(parts: readonly MimePart[], text: string): string | null {
  for (const part of parts) {
    if (!['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global', 'message/global-headers'].includes(part.contentType)) continue;
    if (!part.content) continue;
    const { header } = splitRaw(part.content.subarray(0, 256 * 1024));
    const id = rawHeader(header, 'Message-ID');
    const m = id ? /<([^<>\s]+)>/.exec(id) : null;
    if (m) return m[1]!;
    if (id) return id.trim();
  }
  // qmail and Exim quote the original headers in the body.
  const m = /^\s*Message-ID:\s*<([^<>\s]+)>/im.exec(text);
  return m ? m[1]! : null;
}

/** Who bounced, how and for which message; never throws on odd reports. */
export function parseBounceInfo(input: BounceInput): BounceInfo {
  let recipients: Recipient[] = [];
  for (const part of input.parts) {
    if (part.contentType === 'message/delivery-status' && part.content) {
      recipients = recipients.concat(parseDeliveryStatus(part.content.toString('utf8')));
    }
  }
  if (recipients.length === 0) recipients = recipientsFromText(input.text, input.headers);
  const permanent =
    recipients.some((r) => r.status?.startsWith('5.') === true) ||
    (recipients.every((r) => r.status === null) && /permanent(ly)? (error|failure|fatal)|\b55[0-4][ -]/i.test(input.text));
  return { originalMessageId: originalMessageId(input.parts, input.text), recipients, permanent };
}
