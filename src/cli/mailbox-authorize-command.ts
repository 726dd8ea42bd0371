/** `intake mailbox authorize <name>`: one-time consent for a mailbox that signs in with a refresh token. */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { exchangeCode, consentUrl, codeFromPaste, listenForRedirect, pkcePair } from '../mailboxes/authorize.js';
import { GOOGLE_AUTH_URL, GOOGLE_MAIL_SCOPE, GOOGLE_TOKEN_URL } from '../mailboxes/credentials.js';
import type { ClientAuthMethod } from '../mailboxes/oauth2.js';
import { registerCommand } from './registry.js';

const HELP = `usage: intake mailbox authorize <name> [options]

Opens the provider's consent page for the mailbox <name> (its address) and prints the refresh token to set as
IMAP_OAUTH_REFRESH_TOKEN. Defaults come from IMAP_AUTH and IMAP_OAUTH_* (docs/mailboxes-oauth.md).

  --provider google|oauth2   google (default when IMAP_AUTH is not oauth2-refresh-token) or any OAuth2 provider
  --client-id ID             default IMAP_OAUTH_CLIENT_ID
  --client-secret SECRET     default IMAP_OAUTH_CLIENT_SECRET
  --auth-url URL             authorization endpoint (oauth2; default IMAP_OAUTH_AUTH_URL)
  --token-url URL            token endpoint (oauth2; default IMAP_OAUTH_TOKEN_URL)
  --scope S                  oauth2: default IMAP_OAUTH_SCOPE plus offline_access; google: https://mail.google.com/
  --client-auth basic|body   how the client authenticates at the token endpoint (oauth2; default basic)
  --paste                    do not listen on 127.0.0.1: paste the code (or the address the browser ends on)
`;

registerCommand('mailbox', async (args) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      provider: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'auth-url': { type: 'string' },
      'token-url': { type: 'string' },
      scope: { type: 'string' },
      'client-auth': { type: 'string' },
      paste: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const name = positionals[0];
  if (sub !== 'authorize' || !name) {
    process.stderr.write(HELP);
    return 2;
  }
  const env = process.env;
  const provider = values.provider ?? (env.IMAP_AUTH === 'oauth2-refresh-token' ? 'oauth2' : 'google');
  if (provider !== 'google' && provider !== 'oauth2') throw new Error('--provider must be google or oauth2');
  const google = provider === 'google';
  const clientId = values['client-id'] ?? env.IMAP_OAUTH_CLIENT_ID ?? '';
  const clientSecret = values['client-secret'] ?? env.IMAP_OAUTH_CLIENT_SECRET;
  const authUrl = google ? GOOGLE_AUTH_URL : (values['auth-url'] ?? env.IMAP_OAUTH_AUTH_URL ?? '');
  const tokenUrl = google ? GOOGLE_TOKEN_URL : (values['token-url'] ?? env.IMAP_OAUTH_TOKEN_URL ?? '');
  const scope = google
    ? (values.scope ?? GOOGLE_MAIL_SCOPE)
    : (values.scope ?? [env.IMAP_OAUTH_SCOPE, 'offline_access'].filter(Boolean).join(' '));
  const clientAuth = (values['client-auth'] ?? (google ? 'body' : 'basic')) as ClientAuthMethod;
  if (!clientId) throw new Error('no client id: set IMAP_OAUTH_CLIENT_ID or pass --client-id');
  if (!authUrl || !tokenUrl)
    throw new Error('oauth2 needs --auth-url and --token-url (or IMAP_OAUTH_AUTH_URL, _TOKEN_URL)');
  if (clientAuth !== 'basic' && clientAuth !== 'body') throw new Error('--client-auth must be basic or body');

  const state = randomBytes(16).toString('base64url');
  const pkce = pkcePair();
  const listener = values.paste ? undefined : await listenForRedirect(state);
  const redirectUri = listener?.redirectUri ?? 'http://127.0.0.1/callback';
  const url = consentUrl({
    authorizationUrl: authUrl,
    clientId,
    redirectUri,
    scope,
    state,
    codeChallenge: pkce.challenge,
    // Google issues a refresh token only for offline access; `login_hint` preselects the mailbox's account.
    extra: google ? { access_type: 'offline', login_hint: name } : {},
  });
  console.error(`Open this address in a browser, signed in as (or able to sign in as) ${name}, and allow access:\n`);
  console.error(`  ${url}\n`);
  let code: string;
  if (listener) {
    console.error(`Waiting for the browser to return to ${redirectUri} ...`);
    code = await listener.code;
  } else {
    console.error('The browser then ends on an address that does not load: copy that whole address here.');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      code = codeFromPaste(await rl.question('address or code: '), state);
    } finally {
      rl.close();
    }
  }
  const tokens = await exchangeCode({
    tokenUrl,
    clientId,
    clientSecret,
    clientAuth,
    code,
    redirectUri,
    codeVerifier: pkce.verifier,
  });
  console.error(`\nConsent given for ${name}. Put this in the environment of the poller and the worker:\n`);
  console.log(`IMAP_AUTH=${google ? 'google' : 'oauth2-refresh-token'}`);
  console.log(`IMAP_OAUTH_REFRESH_TOKEN=${tokens.refreshToken}`);
  return 0;
});
