import type { AddressObject, EmailAddress } from 'mailparser';
import { cleanText } from './clean-text.js';
import type { MailAddress } from './message.types.js';

/** `" <Ann@Example.COM> "` -> `ann@example.com`. Lower-cased: intake compares addresses case-insensitively. */
export function normaliseEmail(address: string): string {
  return address
    .trim()
    .replace(/^<|>$/g, '')
    .replace(/^mailto:/i, '')
    .trim()
    .toLowerCase();
}

/**
 * Longest address accepted. RFC 5321 limits a path to 256 octets, so no longer address can receive mail; and an
 * address is a btree key (cases_customer_email_idx refuses keys over 2,704 bytes, which failed the message).
 */
export const MAX_EMAIL_LENGTH = 254;

/**
 * A plausible addr-spec: something@domain, no spaces, no control characters (PostgreSQL text refuses NUL),
 * well-formed UTF-16 (jsonb refuses lone surrogates), at most MAX_EMAIL_LENGTH. Garbage in address headers is common.
 */
export function isEmailLike(address: string): boolean {
  return (
    address.length <= MAX_EMAIL_LENGTH &&
    /^[^\s@<>()\u0000-\u001f\u007f]+@[^\s@<>()\u0000-\u001f\u007f]+$/.test(address) &&
    address.isWellFormed()
  );
}

function flatten(entries: EmailAddress[], out: MailAddress[], seen: Set<string>): void {
  for (const entry of entries) {
    if (entry.group) {
      flatten(entry.group, out, seen);
      continue;
    }
    const email = normaliseEmail(entry.address ?? '');
    if (!isEmailLike(email) || seen.has(email)) continue;
    seen.add(email);
    out.push({ name: cleanText(entry.name ?? '').trim(), email });
  }
}

/** mailparser's address header(s) -> a flat, de-duplicated list (groups expanded, unusable entries dropped). */
export function toMailAddresses(value: AddressObject | AddressObject[] | undefined | null): MailAddress[] {
  if (!value) return [];
  const out: MailAddress[] = [];
  const seen = new Set<string>();
  for (const obj of Array.isArray(value) ? value : [value]) flatten(obj.value ?? [], out, seen);
  return out;
}

/** Bare addresses out of a raw header value such as Delivered-To or X-Original-To (`<a@x>, b@y`). */
export function addressesInHeader(value: string): string[] {
  const out = new Set<string>();
  // A match starts only where a run of address characters starts (the look-behind): from every position of a long
  // run without '@' the pattern rescanned the run (500 KB of a DSN field took minutes).
  for (const m of value.matchAll(/(?<![^\s<>,;"'()])[^\s<>,;"'()]+@[^\s<>,;"'()]+/g)) {
    const email = normaliseEmail(m[0]);
    if (isEmailLike(email)) out.add(email);
  }
  return [...out];
}

/** `support+abc@example.com` -> `support@example.com`: the mailbox an address with a sub-address delivers to. */
export function withoutSubAddress(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  const local = email.slice(0, at);
  const plus = local.indexOf('+');
  return plus < 0 ? email : `${local.slice(0, plus)}${email.slice(at)}`;
}

/** True when `email` is one of intake's own addresses, with or without a `+token` sub-address. */
export function isOwnAddress(email: string, ownAddresses: readonly string[]): boolean {
  const e = withoutSubAddress(normaliseEmail(email));
  return ownAddresses.some((own) => withoutSubAddress(normaliseEmail(own)) === e);
}

/** Reply tokens are what intake generates: letters, digits, '-' and '_'. Anything else is not ours. */
const TOKEN_RE = /^[a-z0-9][a-z0-9_-]{2,63}$/;
/**
 * Reply tokens read from one message at most. intake sends one per mail, and the threading rules look each up
 * with a query of its own: 10,000 `support+x@` recipients must not become 10,000 queries.
 */
export const MAX_REPLY_TOKENS = 10;

/**
 * Reply tokens from recipient addresses: with REPLY_ADDRESS `support@example.com`,
 * `support+Tok3n@example.com` yields `tok3n` (lower-case: some servers lower-case the local part).
 * De-duplicated, in order of the input, at most MAX_REPLY_TOKENS.
 */
export function extractReplyTokens(recipients: readonly string[], replyAddress: string): string[] {
  const reply = normaliseEmail(replyAddress);
  const at = reply.lastIndexOf('@');
  if (at <= 0) return [];
  const local = withoutSubAddress(reply).slice(0, withoutSubAddress(reply).lastIndexOf('@'));
  const domain = reply.slice(at + 1);
  const tokens = new Set<string>();
  for (const r of recipients) {
    if (tokens.size >= MAX_REPLY_TOKENS) break;
    const email = normaliseEmail(r);
    const rAt = email.lastIndexOf('@');
    if (rAt < 0 || email.slice(rAt + 1) !== domain) continue;
    const rLocal = email.slice(0, rAt);
    if (!rLocal.startsWith(`${local}+`)) continue;
    const token = rLocal.slice(local.length + 1);
    if (TOKEN_RE.test(token)) tokens.add(token);
  }
  return [...tokens];
}

/**
 * The people a message was also sent to, as case participants: To and Cc, without the sender and
 * without intake's own addresses (with or without `+token`), de-duplicated.
 */
export function participantAddresses(
  m: { from: MailAddress | null; to: readonly MailAddress[]; cc: readonly MailAddress[] },
  ownAddresses: readonly string[],
): MailAddress[] {
  const out = new Map<string, MailAddress>();
  for (const a of [...m.to, ...m.cc]) {
    if (a.email === m.from?.email || out.has(a.email) || isOwnAddress(a.email, ownAddresses)) continue;
    out.set(a.email, a);
  }
  return [...out.values()];
}
