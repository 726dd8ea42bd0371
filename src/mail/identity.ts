import { createHash } from 'node:crypto';

/** Splits raw RFC 5322 bytes into the header block and the body at the first empty line. */
export function splitRaw(raw: Buffer): { header: string; body: Buffer } {
  let idx = raw.indexOf('\r\n\r\n');
  let sep = 4;
  const lf = raw.indexOf('\n\n');
  if (idx === -1 || (lf !== -1 && lf < idx)) {
    idx = lf;
    sep = 2;
  }
  if (idx === -1) return { header: raw.toString('latin1'), body: Buffer.alloc(0) };
  return { header: raw.subarray(0, idx).toString('latin1'), body: raw.subarray(idx + sep) };
}

/** Value of the first header `name` in a raw header block (unfolded, trimmed); null when absent. */
export function rawHeader(header: string, name: string): string | null {
  const unfolded = header.replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  const m = re.exec(unfolded);
  return m ? m[1]!.trim() : null;
}

/**
 * Longest Message-ID intake keeps, in characters. Ids are btree keys (messages.message_id, thread_refs), which
 * PostgreSQL refuses over 2,704 bytes, and 500 UTF-16 units are at most 1,500 bytes of UTF-8. Real ids are far
 * shorter (RFC 5322 ids are one token on a header line; the common clients write under 100 characters).
 */
export const MAX_MESSAGE_ID_LENGTH = 500;

/**
 * The id itself when it can be stored and compared, else null: longer than MAX_MESSAGE_ID_LENGTH, or with a control
 * character (PostgreSQL text refuses NUL; RFC 5322 ids are printable) or a lone surrogate (jsonb refuses it). Such
 * an id can never match one intake stored, so a message with one is treated as having none.
 */
export function usableMessageId(id: string | null | undefined): string | null {
  if (!id || id.length > MAX_MESSAGE_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id) || !id.isWellFormed()) return null;
  return id;
}

/** `<abc@x>` -> `abc@x`; the first id of a header that may hold several. Not checked by usableMessageId: the dedupe key hashes it as it is. */
export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /<([^<>\s]+)>/.exec(value);
  const id = (m ? m[1] : value.trim().split(/\s+/)[0])?.trim();
  return id ? id : null;
}

/**
 * The identity of a message, used to de-duplicate it however often it is delivered or fetched
 * (redelivery, UIDVALIDITY change, a poller killed between enqueue and flag).
 *
 * Message-ID alone is not enough: some senders omit it and some reuse it for different mail. So the key
 * is the Message-ID together with the headers a sender sets once (From, Date, Subject) and a hash of the
 * body. Headers added in transit (Received, Delivered-To, X-*) are left out, so the same message that
 * reaches us by two paths still has one identity.
 */
export function messageDedupeKey(raw: Buffer): string {
  const { header, body } = splitRaw(raw);
  const parts = [
    normaliseMessageId(rawHeader(header, 'Message-ID')) ?? '',
    rawHeader(header, 'From') ?? '',
    rawHeader(header, 'Date') ?? '',
    rawHeader(header, 'Subject') ?? '',
    createHash('sha256').update(body).digest('hex'),
  ];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}
