import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { MailboxConfig } from '../config.js';
import type { MailLogin } from '../mailboxes/credentials.js';

/**
 * A new connection to a configured mailbox, not yet connected. One ImapFlow is one connection and is never
 * reused after close, so every caller makes its own. `extra` adds per-use options (IDLE timing). `login` is the
 * mailbox's current login from credentialsFor(mailbox).login() (an access token logs in with OAUTHBEARER or
 * XOAUTH2); without it, the password of IMAP_URL.
 */
export function newImapClient(
  mailbox: MailboxConfig,
  extra: Partial<ImapFlowOptions> = {},
  login: MailLogin = { user: mailbox.user, pass: mailbox.pass },
): ImapFlow {
  return new ImapFlow({
    host: mailbox.host,
    port: mailbox.port,
    secure: mailbox.tls ? mailbox.tls === 'tls' : mailbox.secure,
    // `starttls` requires the upgrade, `none` never asks for it; unset: upgrade when offered (imapflow's default).
    ...(mailbox.tls === 'starttls' ? { doSTARTTLS: true } : mailbox.tls === 'none' ? { doSTARTTLS: false } : {}),
    auth: login,
    tls: mailbox.tlsInsecure ? { rejectUnauthorized: false } : undefined,
    logger: false,
    ...extra,
  });
}

/** The server refused the login itself (a tagged NO to LOGIN/AUTHENTICATE), not the network or TLS. */
export function isLoginRefused(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { authenticationFailed?: unknown }).authenticationFailed === true;
}

/**
 * The server's own words for a refused login (`[AUTHENTICATIONFAILED] ...`; with OAuth2, the JSON status the
 * server sent in its SASL challenge): imapflow's message alone is "Command failed".
 */
export function loginRefusedText(err: unknown): string {
  const e = err as { message?: string; response?: unknown; serverResponseCode?: string; oauthError?: unknown };
  // imapflow's `response` is the tagged line ("2 NO [AUTHENTICATIONFAILED] ..."): the tag and status say nothing.
  const response = typeof e.response === 'string' ? e.response.replace(/^\S+\s+(NO|BAD)\s+/i, '').trim() : '';
  let text = response || e.message || 'refused';
  if (e.serverResponseCode && !text.includes(e.serverResponseCode)) text = `[${e.serverResponseCode}] ${text}`;
  const oauth = e.oauthError as { status?: unknown } | string | undefined;
  const status = typeof oauth === 'string' ? oauth : oauth && typeof oauth.status === 'string' ? oauth.status : '';
  return status ? `${text} (${status})` : text;
}
