/**
 * The Message-IDs intake signs and recognises. The rules live in src/mail/signed-message-id.ts, beside the other
 * pure rules about mail, because the inbound threading policy (src/inbound/trust-policy.ts) verifies them too.
 */
export {
  MESSAGE_ID_PREFIX,
  findOwnMessageId,
  newOwnMessageId,
  verifyOwnMessageId,
  type MessageIdKeys,
} from '../mail/signed-message-id.js';
