import addressparser from 'nodemailer/lib/addressparser';
import { dmarcResult, trustedAuthenticationResults } from './authentication-results.js';
import { splitRaw } from './identity.js';

/**
 * What the raw header says about who sent a message, beyond the one From address the parser keeps: how many
 * addresses the From header(s) name, and the Authentication-Results values, topmost first. Read from the raw bytes
 * by the inbound pipeline (src/inbound/process-message.ts parseRaw) for the trust policy.
 */
export interface SenderHeaders {
  /** Addresses named by all From fields together (groups expanded). */
  fromAddresses: number;
  /** Every Authentication-Results value, unfolded, in header order (the topmost, newest, first). */
  authenticationResults: string[];
}

/** The From and Authentication-Results fields of the raw header block, with their folded continuation lines. */
const FIELDS = /^(from|authentication-results)[ \t]*:(.*(?:\r?\n[ \t].*)*)/gim;

/** Those header fields, unfolded, in order (one pass over the header; the rest of it is never split). */
function headerFields(raw: Buffer): { name: string; value: string }[] {
  let start = 0;
  while (start < raw.length && start < 1024 && (raw[start] === 0x0d || raw[start] === 0x0a)) start++;
  const { header } = splitRaw(start > 0 ? raw.subarray(start) : raw);
  const out: { name: string; value: string }[] = [];
  for (const m of header.matchAll(FIELDS)) {
    out.push({ name: m[1]!.toLowerCase(), value: m[2]!.replace(/\r?\n[ \t]*/g, ' ').trim() });
  }
  return out;
}

export function readSenderHeaders(raw: Buffer): SenderHeaders {
  let fromAddresses = 0;
  const authenticationResults: string[] = [];
  for (const { name, value } of headerFields(raw)) {
    if (name === 'from')
      fromAddresses += addressparser(value, { flatten: true }).filter((a) => a.address?.includes('@')).length;
    else if (name === 'authentication-results') authenticationResults.push(value);
  }
  return { fromAddresses, authenticationResults };
}

export interface SenderVerdict {
  /** The From address when the From names exactly one, else null: a From with several is from none of them. */
  address: string | null;
  /** DMARC as the trusted Authentication-Results report it (null: not reported by a trusted server). */
  dmarc: 'pass' | 'fail' | null;
  /** Why the From cannot be believed (several addresses, DMARC fail); null when nothing speaks against it. */
  distrust: string | null;
}

/**
 * Whether the From of a message may be believed: it names one address, and no trusted Authentication-Results
 * (`trustedAuthservIds`, topmost only) reports DMARC failing. Without `senderHeaders` (a message not read from raw
 * bytes) only the parsed From is known.
 */
export function senderVerdict(
  parsed: { from: { email: string } | null; senderHeaders?: SenderHeaders },
  trustedAuthservIds: readonly string[],
): SenderVerdict {
  const headers = parsed.senderHeaders;
  const count = headers ? headers.fromAddresses : parsed.from ? 1 : 0;
  const trusted = headers ? trustedAuthenticationResults(headers.authenticationResults, trustedAuthservIds) : [];
  const dmarc = dmarcResult(trusted);
  const address = count === 1 && parsed.from ? parsed.from.email.toLowerCase() : null;
  let distrust: string | null = null;
  if (count !== 1) distrust = count === 0 ? 'From names no address' : `From names ${count} addresses`;
  else if (dmarc === 'fail')
    distrust = `DMARC fails according to ${trusted.map((h) => h.authservId ?? 'the receiving server').join(', ')}`;
  return { address, dmarc, distrust };
}
