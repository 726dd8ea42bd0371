import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { Classification } from '../mail/message.types.js';
import { normaliseAddress, splitAddress } from './safety.js';

/**
 * Mail loops start when a help desk answers a machine, and forged senders turn acknowledgements into a spam cannon
 * (docs/threading-trust.md). No automatic mail (acknowledgements) goes to: a message classified as auto-reply,
 * bounce, list or feedback report; a sender the trust policy does not believe (a From with several addresses,
 * DMARC failing by a trusted Authentication-Results); an address that by its name does not read mail; intake's own
 * addresses (or a plus-variant of them); an address suppressed after a hard bounce; an address (counted without its
 * +tag, and for Gmail without dots) that already got ACK_RATE_LIMIT acknowledgements within ACK_RATE_WINDOW_MS; a
 * domain that got ACK_DOMAIN_HOURLY_LIMIT within the hour; or anyone once the installation sent ACK_HOURLY_LIMIT
 * within the hour. Staff replies are not automatic and are not limited here.
 */

export type SuppressionReason =
  | 'invalid-address'
  | 'sender-auto-reply'
  | 'sender-bounce'
  | 'sender-list'
  | 'sender-feedback-report'
  | 'no-reply-address'
  | 'own-address'
  | 'suppressed-address'
  | 'sender-unauthenticated'
  | 'rate-limit'
  | 'domain-rate-limit'
  | 'hourly-limit';

export interface GuardVerdict {
  reason: SuppressionReason;
  /** Human-readable detail, stored on the outbox row (visible in the API). */
  detail: string;
}

// Local parts of addresses that never read replies (matched at the start, with a separator or end after).
const NO_REPLY_LOCAL =
  /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?|auto[-_.]?reply|notifications?[-_.]?noreply)(?:$|[-_.+])/i;
// List plumbing: owner-x@, x-request@, x-bounces@.
const LIST_LOCAL = /(?:^owner-|-(?:request|bounces?|owner)$)/i;

export function isNoReplyAddress(address: string): boolean {
  const { local } = splitAddress(address.toLowerCase());
  const base = local.split('+')[0]!;
  return NO_REPLY_LOCAL.test(local) || NO_REPLY_LOCAL.test(base) || LIST_LOCAL.test(base);
}

/** Own address, or a plus-variant of one (`support+abc@x` is `support@x`). */
export function isOwnAddress(address: string, ownAddresses: readonly string[]): boolean {
  const a = address.toLowerCase();
  const { local, domain } = splitAddress(a);
  const base = `${local.split('+')[0]}@${domain}`;
  return ownAddresses.some((o) => {
    const own = o.toLowerCase();
    return own === a || own === base;
  });
}

/** Mail domains that ignore dots in the local part (`a.n.n@gmail.com` is `ann@gmail.com`), and their aliases. */
const DOTLESS_DOMAINS: Readonly<Record<string, string>> = { 'gmail.com': 'gmail.com', 'googlemail.com': 'gmail.com' };

/**
 * The key acknowledgements to an address are counted under: lower-cased, without a `+tag`, and for providers that
 * ignore dots without them, so `victim+a@` and `victim+b@` share one limit. `domain` is the key's domain.
 */
export function ackRateKey(address: string): { key: string; domain: string } {
  const { local, domain: rawDomain } = splitAddress(address.toLowerCase());
  const domain = DOTLESS_DOMAINS[rawDomain] ?? rawDomain;
  let base = local.split('+')[0]!;
  if (DOTLESS_DOMAINS[rawDomain]) base = base.replace(/\./g, '');
  return { key: `${base || local}@${domain}`, domain };
}

/** The checks that need no database, in order of how much they say about the sender. */
export function checkRecipientStatic(
  to: string | null | undefined,
  context: {
    classification?: Classification | null;
    ownAddresses: readonly string[];
    /** Why the trust policy does not believe the sender (src/mail/sender-headers.ts senderVerdict), if it does not. */
    senderDistrust?: string | null;
  },
): GuardVerdict | null {
  const c = context.classification;
  if (c && c !== 'normal') return { reason: `sender-${c}`, detail: `the message is classified as ${c}` };
  if (context.senderDistrust)
    return { reason: 'sender-unauthenticated', detail: `the sender is not believed: ${context.senderDistrust}` };
  const address = normaliseAddress(to);
  if (!address)
    return { reason: 'invalid-address', detail: `no valid recipient address (${JSON.stringify(to ?? null)})` };
  if (isOwnAddress(address, context.ownAddresses))
    return { reason: 'own-address', detail: `${address} is one of intake's own addresses` };
  if (isNoReplyAddress(address)) return { reason: 'no-reply-address', detail: `${address} does not accept replies` };
  return null;
}

export async function isSuppressed(db: DbOrTrx, address: string): Promise<{ reason: string } | undefined> {
  return db
    .selectFrom('address_suppressions')
    .select('reason')
    .where(sql<string>`lower(email)`, '=', address.toLowerCase())
    .executeTakeFirst();
}

export interface AckGuardOptions {
  classification?: Classification | null;
  senderDistrust?: string | null;
  ownAddresses: readonly string[];
  ackRateLimit: number;
  ackRateWindowMs: number;
  /** Per domain per hour; 0 = no limit. */
  ackDomainHourlyLimit: number;
  /** For the installation per hour; 0 = no limit. */
  ackHourlyLimit: number;
  now?: Date;
}

const HOUR_MS = 3_600_000;

/**
 * Whether an acknowledgement may go to `to`. Runs in the caller's transaction and takes a per-address
 * advisory lock (on the rate key) until it ends, so two new cases from one sender committing at once cannot both
 * pass a limit that only one of them should. The domain and hourly limits are counted without a lock: concurrent
 * transactions may each pass the last free place, so they can be exceeded by the number of transactions in flight.
 */
export async function checkAcknowledgement(
  trx: DbOrTrx,
  to: string | null | undefined,
  options: AckGuardOptions,
): Promise<GuardVerdict | null> {
  const [verdict] = await checkAcknowledgements(
    trx,
    [{ to, classification: options.classification, senderDistrust: options.senderDistrust }],
    options,
  );
  return verdict ?? null;
}

const suppressedVerdict = (address: string, reason: string): GuardVerdict => ({
  reason: 'suppressed-address',
  detail: `${address} is marked undeliverable (${reason})`,
});

interface Counts {
  /** The address's acknowledgements in ACK_RATE_WINDOW_MS. */
  sent: number;
  /** Its domain's in the last hour. */
  domain: number;
  /** The installation's in the last hour (counted up to the limit). */
  all: number;
}

function rateVerdict(
  address: string,
  rate: { key: string; domain: string },
  counts: Counts,
  options: Pick<AckGuardOptions, 'ackRateLimit' | 'ackRateWindowMs' | 'ackDomainHourlyLimit' | 'ackHourlyLimit'>,
): GuardVerdict | null {
  if (counts.sent >= options.ackRateLimit) {
    const hours = Math.round((options.ackRateWindowMs / HOUR_MS) * 10) / 10;
    const as = rate.key === address ? '' : ` (counted as ${rate.key})`;
    return {
      reason: 'rate-limit',
      detail: `${address}${as} already got ${counts.sent} acknowledgement(s) within ${hours} h (limit ${options.ackRateLimit})`,
    };
  }
  if (options.ackDomainHourlyLimit > 0 && counts.domain >= options.ackDomainHourlyLimit)
    return {
      reason: 'domain-rate-limit',
      detail: `${rate.domain} already got ${counts.domain} acknowledgement(s) within the hour (limit ${options.ackDomainHourlyLimit})`,
    };
  if (options.ackHourlyLimit > 0 && counts.all >= options.ackHourlyLimit)
    return {
      reason: 'hourly-limit',
      detail: `${counts.all} acknowledgements were sent within the hour (ACK_HOURLY_LIMIT ${options.ackHourlyLimit})`,
    };
  return null;
}

/**
 * checkAcknowledgement for several acknowledgements of one transaction (an inbound batch), in two round trips
 * whatever their number: the advisory locks of all rate keys (taken in key order, so two batches sharing
 * addresses wait for each other instead of deadlocking), then suppressions and counts of all of them. An
 * address, domain or the installation counts the acknowledgements let through earlier in the same batch.
 * `recipients[i]` is the recipient of acknowledgement i; the verdicts come back in the same order.
 */
export async function checkAcknowledgements(
  trx: DbOrTrx,
  recipients: readonly {
    to: string | null | undefined;
    classification?: Classification | null;
    senderDistrust?: string | null;
  }[],
  options: Omit<AckGuardOptions, 'classification' | 'senderDistrust'>,
): Promise<(GuardVerdict | null)[]> {
  const verdicts = recipients.map((r) =>
    checkRecipientStatic(r.to, {
      classification: r.classification,
      senderDistrust: r.senderDistrust,
      ownAddresses: options.ownAddresses,
    }),
  );
  const rates = recipients.map((r, i) => (verdicts[i] ? null : ackRateKey(normaliseAddress(r.to)!)));
  const keys = [...new Set(rates.filter((r) => r !== null).map((r) => r.key))].sort();
  if (keys.length === 0) return verdicts;
  const domains = [...new Set(rates.filter((r) => r !== null).map((r) => r.domain))];
  const addresses = [...new Set(recipients.filter((_, i) => !verdicts[i]).map((r) => normaliseAddress(r.to)!))];
  await sql`
    SELECT pg_advisory_xact_lock(hashtext('intake-ack:' || k))
    FROM (SELECT k FROM unnest(${keys}::text[]) AS k ORDER BY k) AS sorted`.execute(trx);
  // A statement of its own after the locks: its snapshot sees every acknowledgement committed while we waited.
  const now = (options.now ?? new Date()).getTime();
  const since = new Date(now - options.ackRateWindowMs);
  const hourAgo = new Date(now - HOUR_MS);
  // The domain and hourly counts are only compared with their limits: count no further than that.
  const cap = Math.max(options.ackHourlyLimit, 0);
  const { rows } = await sql<{
    kind: 'address' | 'key' | 'domain' | 'all';
    name: string;
    reason: string | null;
    n: string;
  }>`
    SELECT 'address' AS kind, a AS name, (SELECT reason FROM address_suppressions WHERE lower(email) = a) AS reason, 0 AS n
      FROM unnest(${addresses}::text[]) AS a
    UNION ALL
    SELECT 'key', k, NULL,
           (SELECT count(*) FROM outbox WHERE kind = 'ack' AND ack_key = k AND created > ${since} AND status <> 'suppressed')
      FROM unnest(${keys}::text[]) AS k
    UNION ALL
    SELECT 'domain', d, NULL,
           (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE kind = 'ack' AND ack_domain = d AND created > ${hourAgo} AND status <> 'suppressed' LIMIT ${options.ackDomainHourlyLimit}) AS l)
      FROM unnest(${options.ackDomainHourlyLimit > 0 ? domains : []}::text[]) AS d
    UNION ALL
    SELECT 'all', '', NULL,
           (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE kind = 'ack' AND created > ${hourAgo} AND status <> 'suppressed' LIMIT ${cap}) AS l)
     WHERE ${cap} > 0`.execute(trx);
  const suppression = new Map<string, string | null>();
  const sent = new Map<string, number>();
  const perDomain = new Map<string, number>();
  let all = 0;
  for (const r of rows) {
    if (r.kind === 'address') suppression.set(r.name, r.reason);
    else if (r.kind === 'key') sent.set(r.name, Number(r.n));
    else if (r.kind === 'domain') perDomain.set(r.name, Number(r.n));
    else all = Number(r.n);
  }
  return recipients.map((r, i) => {
    if (verdicts[i]) return verdicts[i];
    const address = normaliseAddress(r.to)!;
    const rate = rates[i]!;
    const reason = suppression.get(address);
    if (reason) return suppressedVerdict(address, reason);
    const counts = { sent: sent.get(rate.key) ?? 0, domain: perDomain.get(rate.domain) ?? 0, all };
    const verdict = rateVerdict(address, rate, counts, options);
    if (!verdict) {
      sent.set(rate.key, counts.sent + 1);
      perDomain.set(rate.domain, counts.domain + 1);
      all++;
    }
    return verdict;
  });
}
