import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MailboxAuthError } from './auth-error.js';
import { requestToken, type ClientAuthMethod, type TokenResponse } from './oauth2.js';

/** How long the loopback listener waits for the browser to come back with the code. */
export const DEFAULT_CONSENT_TIMEOUT_MS = 10 * 60_000;

/** A PKCE verifier and its S256 challenge (RFC 7636 4.1, 4.2). */
export function pkcePair(random: Buffer = randomBytes(32)): { verifier: string; challenge: string } {
  const verifier = random.toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface ConsentRequest {
  authorizationUrl: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string;
  /** Provider-specific parameters, e.g. Google's `access_type=offline`. */
  extra?: Record<string, string>;
}

/**
 * The URL the operator opens to give consent: authorization code with PKCE (S256) and `prompt=consent`, so the
 * provider issues a refresh token even when the app was consented to before (Google issues one only then).
 */
export function consentUrl(req: ConsentRequest): string {
  const u = new URL(req.authorizationUrl);
  const p = u.searchParams;
  p.set('response_type', 'code');
  p.set('client_id', req.clientId);
  p.set('redirect_uri', req.redirectUri);
  p.set('scope', req.scope);
  p.set('state', req.state);
  p.set('code_challenge', req.codeChallenge);
  p.set('code_challenge_method', 'S256');
  p.set('prompt', 'consent');
  for (const [k, v] of Object.entries(req.extra ?? {})) p.set(k, v);
  return u.toString();
}

/**
 * The code from what the operator pasted: the whole redirect URL (from the browser's address bar) or the code alone.
 * A URL's `state` must be ours; an `error` in it is the provider's refusal, said as sent.
 */
export function codeFromPaste(input: string, state: string): string {
  const text = input.trim();
  if (!/^https?:\/\//i.test(text)) {
    if (!text) throw new MailboxAuthError('no code was pasted', { code: 'not_configured' });
    return text;
  }
  return codeFromRedirect(new URL(text).searchParams, state);
}

function codeFromRedirect(params: URLSearchParams, state: string): string {
  const error = params.get('error');
  if (error) {
    const description = params.get('error_description');
    throw new MailboxAuthError(`consent refused: ${error}${description ? `: ${description}` : ''}`, {
      providerError: error,
    });
  }
  if (params.get('state') !== state)
    throw new MailboxAuthError('the redirect carries another state: start the authorization again', {
      code: 'not_configured',
    });
  const code = params.get('code');
  if (!code) throw new MailboxAuthError('the redirect carries no code', { code: 'not_configured' });
  return code;
}

export interface LoopbackListener {
  redirectUri: string;
  /** Resolves with the code once the browser arrives at the redirect URI; rejects on a refusal or the time-out. */
  code: Promise<string>;
  close(): void;
}

/**
 * Listens on 127.0.0.1 and a free port for the provider's redirect (RFC 8252 7.3, loopback redirect): Google and
 * most providers accept any port for a loopback redirect URI of a desktop client.
 */
export async function listenForRedirect(
  state: string,
  timeoutMs = DEFAULT_CONSENT_TIMEOUT_MS,
): Promise<LoopbackListener> {
  let settle!: { ok: (code: string) => void; fail: (err: Error) => void };
  const code = new Promise<string>((ok, fail) => (settle = { ok, fail }));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    try {
      const got = codeFromRedirect(url.searchParams, state);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('intake: consent received. You can close this window and return to the terminal.\n');
      settle.ok(got);
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`intake: ${(err as Error).message}\n`);
      settle.fail(err as Error);
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const timer = setTimeout(
    () => settle.fail(new MailboxAuthError('no consent arrived in time', { code: 'not_configured' })),
    timeoutMs,
  );
  const close = () => {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  };
  void code.then(close, close);
  return { redirectUri: `http://127.0.0.1:${port}/callback`, code, close };
}

/** Exchanges the code (with the PKCE verifier) for tokens; the refresh token is what the mailbox keeps. */
export async function exchangeCode(
  req: {
    tokenUrl: string;
    clientId: string;
    clientSecret?: string;
    clientAuth: ClientAuthMethod;
    code: string;
    redirectUri: string;
    codeVerifier: string;
  },
  options: { fetch?: typeof fetch } = {},
): Promise<TokenResponse & { refreshToken: string }> {
  const res = await requestToken(
    {
      tokenUrl: req.tokenUrl,
      clientId: req.clientId,
      clientSecret: req.clientSecret,
      clientAuth: req.clientAuth,
      grant: {
        type: 'authorization_code',
        code: req.code,
        redirectUri: req.redirectUri,
        codeVerifier: req.codeVerifier,
      },
    },
    options,
  );
  if (!res.refreshToken)
    throw new MailboxAuthError(
      'the provider issued no refresh token: ask for offline access (Google: access_type=offline; others: the offline_access scope) and consent again',
      { code: 'token_refused' },
    );
  return { ...res, refreshToken: res.refreshToken };
}
