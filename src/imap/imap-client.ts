import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { MailboxConfig } from '../config.js';

/**
 * A new connection to a configured mailbox, not yet connected. One ImapFlow is one connection and is never
 * reused after close, so every caller makes its own. `extra` adds per-use options (IDLE timing).
 */
export function newImapClient(mailbox: MailboxConfig, extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: mailbox.host,
    port: mailbox.port,
    secure: mailbox.secure,
    auth: { user: mailbox.user, pass: mailbox.pass },
    tls: mailbox.tlsInsecure ? { rejectUnauthorized: false } : undefined,
    logger: false,
    ...extra,
  });
}
