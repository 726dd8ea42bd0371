import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Config, MailboxConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { DbOrTrx } from '../db/database.js';
import { credentialsFor, type MailboxCredentials } from '../mailboxes/credentials.js';
import { loadRunnableMailboxes } from '../mailboxes/mailbox-store.js';
import type { SecretBox } from '../mailboxes/secrets.js';

/** How long SMTP keeps using a stored mailbox's auth before reading it again (a secret changed through the API). */
export const SMTP_STORED_MAILBOX_RECHECK_MS = 30_000;

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

/**
 * SMTP_AUTH=oauth2 from the configuration: the SMTP user is SMTP_URL's user, or else the mailbox's. With `stored` (the
 * worker process), SMTP_AUTH_MAILBOX may also name a mailbox of the mailboxes table (its Key or User), read again every
 * SMTP_STORED_MAILBOX_RECHECK_MS so a secret fixed through the API reaches SMTP without a restart; SMTP_URL then names
 * the user when no IMAP_URL mailbox does.
 */
export function smtpOAuthFromConfig(
  config: Pick<Config, 'smtpAuth' | 'smtpAuthMailbox' | 'smtpUrl' | 'mailboxes'>,
  stored?: { db: DbOrTrx; secrets: SecretBox | null },
): SmtpOAuth | undefined {
  if (config.smtpAuth !== 'oauth2' || !config.smtpUrl) return undefined;
  const urlUser = decodeURIComponent(new URL(config.smtpUrl).username);
  if (!stored) {
    const mailbox = smtpOAuthMailbox(config, config.mailboxes);
    return { user: urlUser || mailbox.user, credentials: credentialsFor(mailbox) };
  }
  let fromEnv: MailboxConfig | undefined;
  try {
    fromEnv = smtpOAuthMailbox(config, config.mailboxes);
  } catch {
    fromEnv = undefined;
  }
  const user = urlUser || fromEnv?.user;
  if (!user)
    throw new ConfigError(
      'SMTP_AUTH=oauth2 with a mailbox of the API: put its address as the user of SMTP_URL (smtp://support%40example.com@smtp.example.com:587)',
    );
  let current: { mailbox: MailboxConfig; at: number } | undefined;
  const mailbox = async (): Promise<MailboxConfig> => {
    if (current && Date.now() - current.at < SMTP_STORED_MAILBOX_RECHECK_MS) return current.mailbox;
    const { runnable } = await loadRunnableMailboxes(stored.db, stored.secrets, config.mailboxes);
    const found = smtpOAuthMailbox({ smtpAuthMailbox: config.smtpAuthMailbox ?? user }, [
      ...runnable.map((r) => r.config),
      ...(fromEnv ? [fromEnv] : []),
    ]);
    current = { mailbox: found, at: Date.now() };
    return found;
  };
  return {
    user,
    credentials: {
      login: async () => credentialsFor(await mailbox()).login(),
      rejected: () => {
        if (current) credentialsFor(current.mailbox).rejected();
        // A refusal may mean the stored auth changed: read it again before the next login.
        current = undefined;
      },
    },
  };
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
