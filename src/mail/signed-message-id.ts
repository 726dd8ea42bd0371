import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed Message-IDs. Message-IDs intake sends look like `intake.<caseId>.<nonce>.<mac>@<domain>` (stored and compared
 * without angle brackets, like every Message-ID in the database). The MAC is an HMAC-SHA256 of
 * `intake.<caseId>.<nonce>` under MESSAGE_ID_SECRET, so a reply whose In-Reply-To/References carries such
 * an id can be tied to its case even when thread_refs has no row for it, and a stranger cannot forge one
 * that points at somebody else's case (docs/threading-trust.md). The domain is not signed: changing MESSAGE_ID_DOMAIN keeps old
 * threads working.
 */
export const MESSAGE_ID_PREFIX = 'intake';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHAPE = /^intake\.([0-9a-f-]{36})\.([0-9a-f]{16})\.([0-9a-f]{32})@[^@\s<>]+$/;

export interface MessageIdKeys {
  /** MESSAGE_ID_SECRET: signs every new id, and verifies. */
  messageIdSecret: string;
  /**
   * MESSAGE_ID_OLD_SECRETS: secrets that only verify, so replies to mail signed before a rotation still thread.
   * Default none.
   */
  messageIdOldSecrets?: readonly string[];
  messageIdDomain: string;
}

function mac(secret: string, caseId: string, nonce: string): string {
  return createHmac('sha256', secret).update(`${MESSAGE_ID_PREFIX}.${caseId}.${nonce}`).digest('hex').slice(0, 32);
}

/** A new signed Message-ID for a mail about `caseId`, without angle brackets. */
export function newOwnMessageId(keys: MessageIdKeys, caseId: string): string {
  const id = caseId.toLowerCase();
  if (!UUID.test(id)) throw new Error(`case id ${caseId} is not a uuid`);
  const nonce = randomBytes(8).toString('hex');
  return `${MESSAGE_ID_PREFIX}.${id}.${nonce}.${mac(keys.messageIdSecret, id, nonce)}@${keys.messageIdDomain}`;
}

/**
 * The case id inside a Message-ID that intake signed with MESSAGE_ID_SECRET or one of MESSAGE_ID_OLD_SECRETS, or null
 * for anybody else's id (or a forged one). Accepts the id with or without angle brackets; case-insensitive because
 * some gateways fold case.
 */
export function verifyOwnMessageId(
  keys: Pick<MessageIdKeys, 'messageIdSecret' | 'messageIdOldSecrets'>,
  messageId: string | null | undefined,
): { caseId: string } | null {
  if (!messageId) return null;
  const bare = messageId.trim().replace(/^<|>$/g, '').toLowerCase();
  const m = SHAPE.exec(bare);
  if (!m) return null;
  const [, caseId, nonce, given] = m as unknown as [string, string, string, string];
  if (!UUID.test(caseId)) return null;
  const actual = Buffer.from(given, 'hex');
  for (const secret of [keys.messageIdSecret, ...(keys.messageIdOldSecrets ?? [])]) {
    const expected = Buffer.from(mac(secret, caseId, nonce), 'hex');
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return { caseId };
  }
  return null;
}

/** The first of several Message-IDs (e.g. a References list) that intake signed. */
export function findOwnMessageId(
  keys: Pick<MessageIdKeys, 'messageIdSecret' | 'messageIdOldSecrets'>,
  ids: readonly (string | null | undefined)[],
): { caseId: string; messageId: string } | null {
  // Newest first: References lists oldest first, and the newest of ours is the most specific.
  for (const id of [...ids].reverse()) {
    const v = verifyOwnMessageId(keys, id);
    if (v && id) return { ...v, messageId: id.trim().replace(/^<|>$/g, '') };
  }
  return null;
}
