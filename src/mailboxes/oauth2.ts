import { MailboxAuthError } from './auth-error.js';
import { CLIENT_ASSERTION_TYPE } from './client-assertion.js';

/** How the client proves itself at the token endpoint (RFC 6749 2.3.1): HTTP Basic, or form fields in the body. */
export type ClientAuthMethod = 'basic' | 'body';
/** What a token request may use: also a signed JWT instead of a secret (RFC 7523 2.2, OIDC's `private_key_jwt`). */
export type TokenClientAuth = ClientAuthMethod | 'private_key_jwt';

/** A token endpoint call does not wait longer than this. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 15_000;
/** Lifetime assumed when the provider sends no `expires_in` (RFC 6749 makes it optional). */
export const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60_000;

export type TokenGrant =
  | { type: 'client_credentials'; scope?: string }
  | { type: 'refresh_token'; refreshToken: string; scope?: string }
  | { type: 'authorization_code'; code: string; redirectUri: string; codeVerifier: string };

export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  /** Absent for public clients (PKCE only). */
  clientSecret?: string;
  clientAuth: TokenClientAuth;
  /** With `private_key_jwt`: the signed assertion, made for this one request (its `jti` is single-use). */
  clientAssertion?: string;
  grant: TokenGrant;
}

export interface TokenResponse {
  accessToken: string;
  /** Lifetime from now, in ms (`expires_in`). */
  expiresInMs: number;
  /** A new refresh token, when the provider rotated it (or issued the first one, for an authorization code). */
  refreshToken?: string;
  scope?: string;
}

/** The form body and headers of a token request; pure, so the wire format is unit-tested. */
export function tokenRequestInit(req: TokenRequest): { headers: Record<string, string>; body: URLSearchParams } {
  const body = new URLSearchParams();
  const g = req.grant;
  body.set('grant_type', g.type);
  if (g.type === 'refresh_token') body.set('refresh_token', g.refreshToken);
  if (g.type === 'authorization_code') {
    body.set('code', g.code);
    body.set('redirect_uri', g.redirectUri);
    body.set('code_verifier', g.codeVerifier);
  }
  if (g.type !== 'authorization_code' && g.scope) body.set('scope', g.scope);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (req.clientAuth === 'private_key_jwt') {
    // RFC 7523 2.2; client_id is optional there, but Microsoft's certificate flow documents it.
    body.set('client_id', req.clientId);
    body.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
    body.set('client_assertion', req.clientAssertion ?? '');
  } else if (req.clientAuth === 'basic' && req.clientSecret !== undefined) {
    // RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${enc(req.clientId)}:${enc(req.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', req.clientId);
    if (req.clientSecret !== undefined) body.set('client_secret', req.clientSecret);
  }
  return { headers, body };
}

/**
 * The operator-facing text of a token endpoint's answer that holds no token: the provider's `error` and
 * `error_description` as sent (Microsoft's carry the AADSTS code), else the HTTP status and the start of the body.
 */
export function describeTokenError(status: number, text: string): { message: string; providerError?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json && typeof json === 'object' && typeof (json as { error?: unknown }).error === 'string') {
    const { error, error_description: description } = json as { error: string; error_description?: unknown };
    const detail = typeof description === 'string' && description.trim() ? `: ${oneLine(description)}` : '';
    return { message: `token endpoint refused (HTTP ${status}): ${error}${detail}`, providerError: error };
  }
  const snippet = oneLine(text).slice(0, 200);
  return { message: `token endpoint answered HTTP ${status}${snippet ? `: ${snippet}` : ''}` };
}

/** Microsoft's descriptions span lines (trace and correlation ids); health and logs want one line. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * One token endpoint call (RFC 6749 4.4 / 6 / 4.1.3). Throws MailboxAuthError: `token_refused` for an OAuth2 error
 * answer (4xx with `error`), `token_unreachable` for everything else. Secrets never appear in a message.
 */
export async function requestToken(
  req: TokenRequest,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<TokenResponse> {
  const doFetch = options.fetch ?? fetch;
  const { headers, body } = tokenRequestInit(req);
  let res: Response;
  let text: string;
  try {
    res = await doFetch(req.tokenUrl, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS),
    });
    text = await res.text();
  } catch (err) {
    const cause = err as Error & { cause?: { code?: string; message?: string } };
    const why = cause.cause?.code ?? cause.cause?.message ?? cause.message;
    throw new MailboxAuthError(`token endpoint ${safeUrl(req.tokenUrl)} unreachable: ${why}`, {
      code: 'token_unreachable',
      cause: err,
    });
  }
  if (!res.ok) {
    const { message, providerError } = describeTokenError(res.status, text);
    // 5xx and 429 are the provider's trouble, not ours: the same request may work later.
    const code = providerError && res.status < 500 && res.status !== 429 ? 'token_refused' : 'token_unreachable';
    throw new MailboxAuthError(message, { code, providerError });
  }
  return parseTokenResponse(text);
}

/** Reads a successful token answer (RFC 6749 5.1). */
export function parseTokenResponse(text: string): TokenResponse {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new MailboxAuthError('token endpoint answered 200 without JSON', { code: 'token_unreachable' });
  }
  if (typeof json.access_token !== 'string' || !json.access_token) {
    throw new MailboxAuthError('token endpoint answered 200 without an access_token', { code: 'token_unreachable' });
  }
  const expiresIn = Number(json.expires_in);
  return {
    accessToken: json.access_token,
    expiresInMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_TOKEN_LIFETIME_MS,
    refreshToken: typeof json.refresh_token === 'string' && json.refresh_token ? json.refresh_token : undefined,
    scope: typeof json.scope === 'string' ? json.scope : undefined,
  };
}

/** The token URL without any user:password part (for messages). */
function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    return u.origin + u.pathname;
  } catch {
    return '(invalid URL)';
  }
}
