import { ValidationError } from '../errors.js';

/**
 * Header safety. Names, subjects and addresses come from customers (inbound mail) and staff (the API);
 * a CR or LF in any of them could end a header and start another ("Eve\r\nBcc: x@y"). nodemailer encodes
 * header values too, but intake does not rely on that alone: every value is cleaned here before it is
 * stored in the outbox, so the row itself is safe whatever later sends it.
 */

/** Longest subject intake sends (characters); longer ones are cut (RFC 5322 lines stop at 998 octets). */
export const MAX_SUBJECT_LENGTH = 250;
/** Longest display name intake sends. */
export const MAX_DISPLAY_NAME_LENGTH = 100;

// C0 and C1 controls (CR, LF, TAB, NUL, ...), DEL, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** One line of header text: controls become one space, runs of whitespace collapse, ends trimmed. */
export function cleanHeaderText(value: string | null | undefined, maxLength = MAX_SUBJECT_LENGTH): string {
  const text = (value ?? '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1).trimEnd()}…` : text;
}

/** A display name: header text without the characters that delimit an address (`<>"\`, `,;:@`). */
export function cleanDisplayName(value: string | null | undefined): string {
  return cleanHeaderText((value ?? '').replace(/[<>"\\,;:@]/g, ' '), MAX_DISPLAY_NAME_LENGTH);
}

// Deliberately stricter than RFC 5321: dot-atom local part, a dotted domain of letters/digits/hyphens
// (IDNs arrive here already in punycode or are rejected). Anything with spaces, quotes, brackets or
// commas — the ways a crafted string smuggles a second recipient — does not pass.
const ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** The address lower-cased and trimmed when it is one plain, valid address; otherwise null. */
export function normaliseAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (trimmed.length > 254 || !ADDRESS.test(trimmed)) return null;
  return trimmed.toLowerCase();
}

/**
 * Checks a recipient list given by a client; a bad entry is a 400 naming it, never a silently
 * dropped recipient. Duplicates are removed (first kept).
 */
export function validateRecipients(field: string, values: readonly string[]): string[] {
  const out: string[] = [];
  const bad: string[] = [];
  for (const v of values) {
    const a = normaliseAddress(v);
    if (!a) bad.push(v);
    else if (!out.includes(a)) out.push(a);
  }
  if (bad.length) {
    const shown = bad.map((b) => JSON.stringify(cleanHeaderText(b, 80))).join(', ');
    throw new ValidationError(
      `${field} has ${bad.length === 1 ? 'an invalid address' : 'invalid addresses'}: ${shown}`,
      { field },
    );
  }
  return out;
}

/** Local part and domain of a normalised address. */
export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}
