import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Config, MailboxConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { credentialsFor, type MailboxCredentials } from '../mailboxes/credentials.js';

/**
 * nodemailer asks for a token again after this long even when it still has one: the mailbox's credentials keep the
 * real expiry and answer from their cache, so this only bounds how long nodemailer holds a token on its own.
 */
export const SMTP_TOKEN_RECHECK_MS = 60_000;

/** SMTP sign-in with a mailbox's OAuth2 token: the SMTP user and where its tokens come from. */
export interface SmtpOAuth {
  user: string;
  credentials: MailboxCredentials;
}

/**
 * The mailbox whose credentials SMTP_AUTH=oauth2 uses: SMTP_AUTH_MAILBOX (a mailbox's key or user name), or the first
 * mailbox with OAuth2 auth. Throws ConfigError with one line when there is none.
 */
export function smtpOAuthMailbox(
  config: Pick<Config, 'smtpAuthMailbox'>,
  mailboxes: readonly MailboxConfig[],
): MailboxConfig {
  const wanted = config.smtpAuthMailbox;
  const found = wanted
    ? mailboxes.find((m) => m.key === wanted || m.user.toLowerCase() === wanted.toLowerCase())
    : mailboxes.find((m) => m.auth && m.auth.type !== 'password');
  if (!found)
    throw new ConfigError(
      wanted
        ? `SMTP_AUTH_MAILBOX=${wanted} names no configured mailbox`
        : 'SMTP_AUTH=oauth2 needs a mailbox with OAuth2 auth (IMAP_AUTH) or SMTP_AUTH_MAILBOX',
    );
  if (!found.auth || found.auth.type === 'password')
    throw new ConfigError(`SMTP_AUTH=oauth2: mailbox ${found.key} signs in with a password, not OAuth2`);
  return found;
}

/** SMTP_AUTH=oauth2 from the configuration: the SMTP user is SMTP_URL's user, or else the mailbox's. */
export function smtpOAuthFromConfig(
  config: Pick<Config, 'smtpAuth' | 'smtpAuthMailbox' | 'smtpUrl' | 'mailboxes'>,
): SmtpOAuth | undefined {
  if (config.smtpAuth !== 'oauth2' || !config.smtpUrl) return undefined;
  const mailbox = smtpOAuthMailbox(config, config.mailboxes);
  const urlUser = decodeURIComponent(new URL(config.smtpUrl).username);
  return { user: urlUser || mailbox.user, credentials: credentialsFor(mailbox) };
}

/**
 * nodemailer's `auth` for XOAUTH2 with tokens from the mailbox's credentials: asked for one before each login, and
 * when the server refused the last one (`renew`), the cached token is dropped first so a new one is fetched.
 */
export function nodemailerOAuth2(oauth: SmtpOAuth): SMTPTransport.Options['auth'] {
  return {
    type: 'OAuth2',
    user: oauth.user,
    provisionCallback: (
      _user: string,
      renew: boolean,
      callback: (err: Error | null, token?: string, expires?: number) => void,
    ) => {
      if (renew) oauth.credentials.rejected();
      oauth.credentials.login().then(
        (login) =>
          'accessToken' in login
            ? callback(null, login.accessToken, Date.now() + SMTP_TOKEN_RECHECK_MS)
            : callback(new Error('SMTP_AUTH=oauth2: the mailbox has no OAuth2 auth')),
        (err: Error) => callback(err),
      );
    },
  } as SMTPTransport.Options['auth'];
}

/** SMTP_URL without its user and password (OAuth2 replaces them). */
export function urlWithoutCredentials(smtpUrl: string): string {
  const u = new URL(smtpUrl);
  u.username = '';
  u.password = '';
  return u.toString();
}
