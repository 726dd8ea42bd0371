import type { AddressObject, EmailAddress } from 'mailparser';
import type { MailAddress } from './message.types.js';

/** `" <Ann@Example.COM> "` -> `ann@example.com`. Lower-cased: intake compares addresses case-insensitively. */
export function normaliseEmail(address: string): string {
  return address.trim().replace(/^<|>$/g, '').replace(/^mailto:/i, '').trim().toLowerCase();
}

/** A plausible addr-spec: something@domain, no spaces. Garbage in address headers is common. */
export function isEmailLike(address: string): boolean {
  return /^[^\s@<>()]+@[^\s@<>()]+$/.test(address);
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
    out.push({ name: (entry.name ?? '').replace(/\u0000/g, '').trim(), email });
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
  const out: string[] = [];
  for (const m of value.matchAll(/[^\s<>,;"'()]+@[^\s<>,;"'()]+/g)) {
    const email = normaliseEmail(m[0]);
    if (isEmailLike(email) && !out.includes(email)) out.push(email);
  }
  return out;
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
 * Reply tokens from recipient addresses: with REPLY_ADDRESS `support@example.com`,
 * `support+Tok3n@example.com` yields `tok3n` (lower-case: some servers lower-case the local part).
 * De-duplicated, in order of the input.
 */
export function extractReplyTokens(recipients: readonly string[], replyAddress: string): string[] {
  const reply = normaliseEmail(replyAddress);
  const at = reply.lastIndexOf('@');
  if (at <= 0) return [];
  const local = withoutSubAddress(reply).slice(0, withoutSubAddress(reply).lastIndexOf('@'));
  const domain = reply.slice(at + 1);
  const tokens: string[] = [];
  for (const r of recipients) {
    const email = normaliseEmail(r);
    const rAt = email.lastIndexOf('@');
    if (rAt < 0 || email.slice(rAt + 1) !== domain) continue;
    const rLocal = email.slice(0, rAt);
    if (!rLocal.startsWith(`${local}+`)) continue;
    const token = rLocal.slice(local.length + 1);
    if (TOKEN_RE.test(token) && !tokens.includes(token)) tokens.push(token);
  }
  return tokens;
}

/**
 * The people a message was also sent to, as case participants: To and Cc, without the sender and
 * without intake's own addresses (with or without `+token`), de-duplicated.
 */
export function participantAddresses(
  m: { from: MailAddress | null; to: readonly MailAddress[]; cc: readonly MailAddress[] },
  ownAddresses: readonly string[],
): MailAddress[] {
  const out: MailAddress[] = [];
  for (const a of [...m.to, ...m.cc]) {
    if (a.email === m.from?.email || isOwnAddress(a.email, ownAddresses) || out.some((o) => o.email === a.email)) continue;
    out.push(a);
  }
  return out;
}
