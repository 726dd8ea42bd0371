import { createHash } from 'node:crypto';
import type { MailboxConfig } from '../config.js';
import { MailboxAuthError } from './auth-error.js';
import { parseClientCertificate, signClientAssertion, type ClientCertificatePem } from './client-assertion.js';
import { requestToken, type ClientAuthMethod, type TokenRequest } from './oauth2.js';
import { TokenCache } from './token-cache.js';

export { MailboxAuthError, type MailboxAuthErrorCode } from './auth-error.js';

/** Microsoft identity platform, app-only access to Exchange Online (IMAP and SMTP). */
export const MICROSOFT365_SCOPE = 'https://outlook.office365.com/.default';
export const microsoft365TokenUrl = (tenantId: string): string =>
  `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
/** Google's token endpoint and the scope that covers IMAP and SMTP of Gmail. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

/**
 * How intake logs in to a mailbox: the `Auth` of the mailbox API (PascalCase there, camelCase here).
 * `password` is what IMAP_URL's user:password means. `clientAuth` of the generic types says how the client
 * authenticates at the token endpoint: `basic` (HTTP Basic, RFC 6749's default) or `body` (form fields).
 */
export type MailboxAuth =
  | { type: 'password'; password: string }
  | ({
      type: 'oauth2-client-credentials';
      tokenUrl: string;
      clientId: string;
      scope?: string;
      clientAuth?: ClientAuthMethod;
    } & ClientCredential)
  | {
      type: 'oauth2-refresh-token';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      refreshToken: string;
      scope?: string;
      clientAuth?: ClientAuthMethod;
    }
  | ({ type: 'microsoft365'; tenantId: string; clientId: string } & ClientCredential)
  | { type: 'google'; clientId: string; clientSecret: string; refreshToken: string };

/**
 * How an app-only client proves itself: its secret, or a certificate whose private key signs a client assertion
 * (RFC 7523, OIDC's `private_key_jwt`; Microsoft's "certificate credentials"). Exactly one of the two.
 */
export interface ClientCredential {
  clientSecret?: string;
  /** PEM of the X.509 certificate (public), as uploaded to the provider. */
  certificate?: string;
  /** PEM of the certificate's RSA private key (secret), unencrypted. */
  privateKey?: string;
}

/** The auth types that take a certificate instead of a client secret. */
export const CERTIFICATE_AUTH_TYPES: readonly MailboxAuthType[] = Object.freeze([
  'oauth2-client-credentials',
  'microsoft365',
]);

export type MailboxAuthType = MailboxAuth['type'];
export const MAILBOX_AUTH_TYPES: readonly MailboxAuthType[] = Object.freeze([
  'password',
  'oauth2-client-credentials',
  'oauth2-refresh-token',
  'microsoft365',
  'google',
]);

/** What imapflow's `auth` (and nodemailer's) takes: a password, or an OAuth2 access token (XOAUTH2). */
export type MailLogin = { user: string; pass: string } | { user: string; accessToken: string };

/** A mailbox's login, cached and refreshed by its implementation; one per mailbox (see credentialsFor). */
export interface MailboxCredentials {
  /** The login to use now. Throws MailboxAuthError (with the provider's own error text) when none can be had. */
  login(): Promise<MailLogin>;
  /** The server refused the last login: forget any cached token, so the next login() fetches a new one. */
  rejected(): void;
}

export interface CredentialsOptions {
  /**
   * Called when the provider returns a new refresh token (rotation): save it where the mailbox's auth is stored,
   * or the next start uses the old one, which the provider may already have revoked. Errors are logged by the caller's
   * `onError`, never thrown into the login.
   */
  onRefreshToken?: (refreshToken: string) => void | Promise<void>;
  /** Told about a failed onRefreshToken. */
  onError?: (err: unknown) => void;
  /** Replaces global fetch (tests). */
  fetch?: typeof fetch;
}

/** The token request of an OAuth2 auth, with the provider's conventions filled in. */
export function tokenRequestFor(auth: Exclude<MailboxAuth, { type: 'password' }>, refreshToken?: string): TokenRequest {
  switch (auth.type) {
    case 'oauth2-client-credentials':
      return {
        tokenUrl: auth.tokenUrl,
        clientId: auth.clientId,
        ...clientProof(auth, auth.tokenUrl, auth.clientAuth ?? 'basic'),
        grant: { type: 'client_credentials', scope: auth.scope },
      };
    case 'oauth2-refresh-token':
      return {
        tokenUrl: auth.tokenUrl,
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        clientAuth: auth.clientAuth ?? 'basic',
        grant: { type: 'refresh_token', refreshToken: refreshToken ?? auth.refreshToken, scope: auth.scope },
      };
    case 'microsoft365':
      // Microsoft documents client_id/client_secret in the body for the v2.0 client credentials flow.
      return {
        tokenUrl: microsoft365TokenUrl(auth.tenantId),
        clientId: auth.clientId,
        ...clientProof(auth, microsoft365TokenUrl(auth.tenantId), 'body'),
        grant: { type: 'client_credentials', scope: MICROSOFT365_SCOPE },
      };
    case 'google':
      // A refresh keeps the scopes granted at consent; Google takes the client in the body.
      return {
        tokenUrl: GOOGLE_TOKEN_URL,
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        clientAuth: 'body',
        grant: { type: 'refresh_token', refreshToken: refreshToken ?? auth.refreshToken },
      };
  }
}

/** The fields an auth type needs; a missing one is named in the error. */
export function checkMailboxAuth(auth: MailboxAuth): void {
  const needs: Record<MailboxAuthType, string[]> = {
    password: [],
    'oauth2-client-credentials': ['tokenUrl', 'clientId'],
    'oauth2-refresh-token': ['tokenUrl', 'clientId', 'clientSecret', 'refreshToken'],
    microsoft365: ['tenantId', 'clientId'],
    google: ['clientId', 'clientSecret', 'refreshToken'],
  };
  const fields = needs[auth.type];
  if (!fields) throw new MailboxAuthError(`unknown auth type "${String(auth.type)}"`, { code: 'not_configured' });
  const rec = auth as unknown as Record<string, unknown>;
  const blank = (f: string) => typeof rec[f] !== 'string' || !(rec[f] as string).trim();
  const missing = fields.filter(blank);
  if (CERTIFICATE_AUTH_TYPES.includes(auth.type)) {
    if (!blank('clientSecret') && !(blank('certificate') && blank('privateKey')))
      throw new MailboxAuthError(`${auth.type} auth takes clientSecret, or certificate and privateKey, not both`, {
        code: 'not_configured',
      });
    if (blank('clientSecret') && blank('certificate') && blank('privateKey'))
      missing.push('clientSecret (or certificate and privateKey)');
    else if (blank('clientSecret')) missing.push(...['certificate', 'privateKey'].filter(blank));
  }
  if (missing.length)
    throw new MailboxAuthError(`${auth.type} auth needs ${missing.join(', ')}`, { code: 'not_configured' });
  if ('tokenUrl' in auth) {
    let u: URL;
    try {
      u = new URL(auth.tokenUrl);
    } catch {
      throw new MailboxAuthError('tokenUrl is not a valid URL', { code: 'not_configured' });
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new MailboxAuthError('tokenUrl must start with https://', { code: 'not_configured' });
  }
  if (usesCertificate(auth)) parseClientCertificate(auth);
}

/** Whether the auth signs in with a certificate (checkMailboxAuth has made sure it has its key too). */
export function usesCertificate(auth: MailboxAuth): auth is MailboxAuth & Required<ClientCertificatePem> {
  return CERTIFICATE_AUTH_TYPES.includes(auth.type) && !!(auth as ClientCredential).certificate?.trim();
}

/** The client's part of a token request: its secret, or an assertion signed now for this token endpoint. */
function clientProof(
  auth: ClientCredential & { clientId: string },
  tokenUrl: string,
  secretAuth: ClientAuthMethod,
): Pick<TokenRequest, 'clientAuth' | 'clientSecret' | 'clientAssertion'> {
  if (!auth.certificate?.trim()) return { clientAuth: secretAuth, clientSecret: auth.clientSecret };
  const cert = parseClientCertificate({ certificate: auth.certificate, privateKey: auth.privateKey ?? '' });
  return {
    clientAuth: 'private_key_jwt',
    clientAssertion: signClientAssertion(cert, { clientId: auth.clientId, audience: tokenUrl }),
  };
}

/** OAuth2 credentials of one mailbox: a cached token, the refresh token as last rotated. */
export class OAuth2Credentials implements MailboxCredentials {
  readonly cache: TokenCache;
  readonly #user: string;
  #refreshToken: string | undefined;

  constructor(user: string, auth: Exclude<MailboxAuth, { type: 'password' }>, options: CredentialsOptions = {}) {
    checkMailboxAuth(auth);
    this.#user = user;
    this.#refreshToken = 'refreshToken' in auth ? auth.refreshToken : undefined;
    this.cache = new TokenCache({
      fetchToken: async () => {
        const res = await requestToken(tokenRequestFor(auth, this.#refreshToken), { fetch: options.fetch });
        if (res.refreshToken && this.#refreshToken !== undefined && res.refreshToken !== this.#refreshToken) {
          // Rotation: the old refresh token may stop working at once, so the new one is used from now on.
          this.#refreshToken = res.refreshToken;
          try {
            await options.onRefreshToken?.(res.refreshToken);
          } catch (err) {
            options.onError?.(err);
          }
        }
        return res;
      },
    });
  }

  async login(): Promise<MailLogin> {
    return { user: this.#user, accessToken: await this.cache.get() };
  }

  rejected(): void {
    this.cache.invalidate();
  }
}

type MailboxWithAuth = Pick<MailboxConfig, 'key' | 'user' | 'pass'> & { auth?: MailboxAuth };

/** Credentials live as long as their mailbox's auth is unchanged: the token cache is shared by IMAP and SMTP. */
const registry = new Map<string, { fingerprint: string; credentials: MailboxCredentials }>();

function fingerprint(mailbox: MailboxWithAuth): string {
  return createHash('sha256')
    .update(JSON.stringify([mailbox.user, mailbox.auth ?? null, mailbox.pass]))
    .digest('base64url');
}

/**
 * The mailbox's credentials: its `auth`, or the password of its IMAP_URL when it has none. One instance per mailbox
 * key while its user and auth stay the same (so the token cache and its single flight are per mailbox in a process);
 * a changed auth gets a fresh instance. `options` count for the call that creates the instance.
 */
export function credentialsFor(mailbox: MailboxWithAuth, options: CredentialsOptions = {}): MailboxCredentials {
  const auth: MailboxAuth = mailbox.auth ?? { type: 'password', password: mailbox.pass };
  if (auth.type === 'password') {
    return {
      login: async () => ({ user: mailbox.user, pass: auth.password }),
      rejected: () => undefined,
    };
  }
  const fp = fingerprint(mailbox);
  const known = registry.get(mailbox.key);
  if (known && known.fingerprint === fp) return known.credentials;
  const credentials = new OAuth2Credentials(mailbox.user, auth, options);
  registry.set(mailbox.key, { fingerprint: fp, credentials });
  return credentials;
}

/** Forgets a removed mailbox's cached token. */
export function forgetCredentials(mailboxKey: string): void {
  registry.delete(mailboxKey);
}
