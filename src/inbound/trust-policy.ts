import type { Config } from '../config.js';
import { senderVerdict, type SenderVerdict } from '../mail/sender-headers.js';
import { verifyOwnMessageId, type MessageIdKeys } from '../mail/signed-message-id.js';
import type { ParsedMessage } from '../mail/message.types.js';

/**
 * Who may steer a message onto an existing case (docs/threading-trust.md). Pure: the threading rules
 * (threading.ts) ask it, the database is not involved.
 *
 * A header match (In-Reply-To, References) or the case number in the subject counts only when
 *  - the referenced Message-ID is one intake sent and signed (HMAC under MESSAGE_ID_SECRET or one of
 *    MESSAGE_ID_OLD_SECRETS): it threads onto the case the signature names, from any sender; or
 *  - the sender is the case's customer or a participant: the From names exactly that one address, and no
 *    trusted Authentication-Results (TRUSTED_AUTHSERV_IDS, topmost only) reports DMARC failing for it.
 * Reply-To never counts. Anything else starts a new case that names the case it seemed to belong to
 * (PossiblyRelatedCase), and nothing is added to or reopened on that case.
 * Cc'd addresses become participants only from a trusted sender.
 */

export interface TrustOptions {
  /** TRUSTED_AUTHSERV_IDS (lower-cased). */
  trustedAuthservIds: readonly string[];
  /** MESSAGE_ID_SECRET and MESSAGE_ID_OLD_SECRETS. */
  keys: Pick<MessageIdKeys, 'messageIdSecret' | 'messageIdOldSecrets'>;
}

export function trustOptionsFor(
  config: Pick<Config, 'trustedAuthservIds' | 'messageIdSecret' | 'messageIdOldSecrets'>,
): TrustOptions {
  return {
    trustedAuthservIds: config.trustedAuthservIds,
    keys: { messageIdSecret: config.messageIdSecret, messageIdOldSecrets: config.messageIdOldSecrets },
  };
}

/** The people of a case: its customer and participants (lower-cased). */
export interface CaseMembers {
  customerEmail: string | null;
  participantEmails: readonly string[];
}

/** What the policy knows about the sender of one message, worked out once per message. */
export interface SenderTrust extends SenderVerdict {
  /** For reasons: the From address, or a description of the From. */
  label: string;
}

export function senderTrust(
  parsed: Pick<ParsedMessage, 'from' | 'senderHeaders'>,
  options: Pick<TrustOptions, 'trustedAuthservIds'>,
): SenderTrust {
  const verdict = senderVerdict(parsed, options.trustedAuthservIds);
  return { ...verdict, label: verdict.address ?? parsed.from?.email ?? 'the sender' };
}

/** True when the sender may act as the case's customer or participant (see the policy above). */
export function isTrustedMember(c: CaseMembers, sender: SenderTrust): boolean {
  if (!sender.address || sender.distrust) return false;
  const a = sender.address;
  return c.customerEmail?.toLowerCase() === a || c.participantEmails.some((p) => p.toLowerCase() === a);
}

/** Why a sender is not trusted on a case, for the decision's reason. */
export function distrustReason(c: CaseMembers & { caseNumber: string }, sender: SenderTrust): string {
  if (sender.distrust) return `${sender.distrust}, so ${sender.label} is not trusted on ${c.caseNumber}`;
  return `${sender.label} is neither its customer nor a participant`;
}

/** The case id a Message-ID names when intake signed it (current or old secret); null for any other id. */
export function signedCaseId(messageId: string, options: Pick<TrustOptions, 'keys'>): string | null {
  return verifyOwnMessageId(options.keys, messageId)?.caseId ?? null;
}
