import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { Classification } from '../mail/message.types.js';
import { normaliseAddress, splitAddress } from './safety.js';

/**
 * Mail loops start when a help desk answers a machine. No automatic mail (acknowledgements) goes to:
 * a message classified as auto-reply, bounce, list or feedback report; an address that by its name
 * does not read mail; intake's own addresses (or a plus-variant of them); an address suppressed after
 * a hard bounce; or an address that already got ACK_RATE_LIMIT acknowledgements within ACK_RATE_WINDOW_MS.
 * Staff replies are not automatic and are not limited here.
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
  | 'rate-limit';

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

/** The checks that need no database, in order of how much they say about the sender. */
export function checkRecipientStatic(
  to: string | null | undefined,
  context: { classification?: Classification | null; ownAddresses: readonly string[] },
): GuardVerdict | null {
  const c = context.classification;
  if (c && c !== 'normal') return { reason: `sender-${c}`, detail: `the message is classified as ${c}` };
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
  ownAddresses: readonly string[];
  ackRateLimit: number;
  ackRateWindowMs: number;
  now?: Date;
}

/**
 * Whether an acknowledgement may go to `to`. Runs in the caller's transaction and takes a per-address
 * advisory lock until it ends, so two new cases from one sender committing at once cannot both pass a
 * limit that only one of them should.
 */
export async function checkAcknowledgement(
  trx: DbOrTrx,
  to: string | null | undefined,
  options: AckGuardOptions,
): Promise<GuardVerdict | null> {
  const staticVerdict = checkRecipientStatic(to, options);
  if (staticVerdict) return staticVerdict;
  const address = normaliseAddress(to)!;
  // The lock and the suppression list in one round trip (the suppression read needs no lock).
  const { rows } = await sql<{ reason: string | null }>`
    SELECT (SELECT reason FROM address_suppressions WHERE lower(email) = ${address}) AS reason
    FROM (SELECT pg_advisory_xact_lock(hashtext(${`intake-ack:${address}`}))) AS l`.execute(trx);
  const suppression = rows[0]?.reason;
  if (suppression) return suppressedVerdict(address, suppression);

  const since = new Date((options.now ?? new Date()).getTime() - options.ackRateWindowMs);
  // Only acknowledgements that were (to be) sent count: suppressed ones did not reach the address.
  // An ack has one recipient (a CHECK constraint says so): `lower(to_addresses[1])` is exactly the
  // expression of outbox_ack_recipient_idx, so only this address's acks of the window are read.
  // normaliseAddress lower-cases, so the stored and the compared form agree whatever the case.
  const { n } = await trx
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('kind', '=', 'ack')
    .where(sql<string>`lower(to_addresses[1])`, '=', address)
    .where('created', '>', since)
    .where('status', '<>', 'suppressed')
    .executeTakeFirstOrThrow();
  return rateVerdict(address, Number(n), options);
}

const suppressedVerdict = (address: string, reason: string): GuardVerdict => ({
  reason: 'suppressed-address',
  detail: `${address} is marked undeliverable (${reason})`,
});

function rateVerdict(
  address: string,
  sent: number,
  options: Pick<AckGuardOptions, 'ackRateLimit' | 'ackRateWindowMs'>,
): GuardVerdict | null {
  if (sent < options.ackRateLimit) return null;
  const hours = Math.round((options.ackRateWindowMs / 3_600_000) * 10) / 10;
  return {
    reason: 'rate-limit',
    detail: `${address} already got ${sent} acknowledgement(s) within ${hours} h (limit ${options.ackRateLimit})`,
  };
}

/**
 * checkAcknowledgement for several acknowledgements of one transaction (an inbound batch), in two round trips
 * whatever their number: the advisory locks of all addresses (taken in address order, so two batches sharing
 * addresses wait for each other instead of deadlocking), then suppressions and counts of all of them. An
 * address that appears twice counts the acknowledgements let through earlier in the same batch.
 * `recipients[i]` is the recipient of acknowledgement i; the verdicts come back in the same order.
 */
export async function checkAcknowledgements(
  trx: DbOrTrx,
  recipients: readonly { to: string | null | undefined; classification?: Classification | null }[],
  options: Omit<AckGuardOptions, 'classification'>,
): Promise<(GuardVerdict | null)[]> {
  const verdicts = recipients.map((r) =>
    checkRecipientStatic(r.to, { classification: r.classification, ownAddresses: options.ownAddresses }),
  );
  const addresses = [...new Set(recipients.filter((_, i) => !verdicts[i]).map((r) => normaliseAddress(r.to)!))].sort();
  if (addresses.length === 0) return verdicts;
  await sql`
    SELECT pg_advisory_xact_lock(hashtext('intake-ack:' || a))
    FROM (SELECT a FROM unnest(${addresses}::text[]) AS a ORDER BY a) AS sorted`.execute(trx);
  // A statement of its own after the locks: its snapshot sees every acknowledgement committed while we waited.
  const since = new Date((options.now ?? new Date()).getTime() - options.ackRateWindowMs);
  const { rows } = await sql<{ address: string; reason: string | null; sent: string }>`
    SELECT a AS address,
           (SELECT reason FROM address_suppressions WHERE lower(email) = a) AS reason,
           (SELECT count(*) FROM outbox WHERE kind = 'ack' AND lower(to_addresses[1]) = a AND created > ${since} AND status <> 'suppressed') AS sent
    FROM unnest(${addresses}::text[]) AS a`.execute(trx);
  const state = new Map(rows.map((r) => [r.address, { reason: r.reason, sent: Number(r.sent) }]));
  return recipients.map((r, i) => {
    if (verdicts[i]) return verdicts[i];
    const address = normaliseAddress(r.to)!;
    const s = state.get(address)!;
    if (s.reason) return suppressedVerdict(address, s.reason);
    const verdict = rateVerdict(address, s.sent, options);
    if (!verdict) s.sent++;
    return verdict;
  });
}
