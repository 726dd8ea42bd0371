import { simpleParser } from 'mailparser';
import { toMailAddresses } from './addresses.js';
import type { MailAddress } from './message.types.js';

/** The header of a message ends within this many bytes, or what follows is not read (a thread view shows addresses). */
export const MAX_HEADER_BYTES = 64 * 1024;

export interface AddressHeaders {
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
}

/** Where the header of raw mail ends (after its blank line), or the length read. */
function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf < 0 ? -1 : crlf + 4, lf < 0 ? -1 : lf + 2].filter((n) => n >= 0);
  return ends.length ? Math.min(...ends) : raw.length;
}

/** From, To, Cc and Subject of raw mail, read from its header alone (the body is never parsed). */
export async function readAddressHeaders(raw: Buffer): Promise<AddressHeaders> {
  const head = raw.subarray(0, Math.min(headerEnd(raw), MAX_HEADER_BYTES));
  const parsed = await simpleParser(Buffer.concat([head, Buffer.from('\r\n\r\n')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  return {
    from: toMailAddresses(parsed.from)[0] ?? null,
    to: toMailAddresses(parsed.to),
    cc: toMailAddresses(parsed.cc),
    subject: parsed.subject ?? '',
  };
}

/** "Name <address>", or the address alone. */
export function formatAddress(a: MailAddress): string {
  return a.name ? `${a.name} <${a.email}>` : a.email;
}
