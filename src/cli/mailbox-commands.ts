/**
 * `intake mailbox list`, `intake mailbox authorize <name>` (one-time consent for a mailbox that signs in with a refresh
 * token) and `intake secrets rotate`.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { exchangeCode, consentUrl, codeFromPaste, listenForRedirect, pkcePair } from '../mailboxes/authorize.js';
import { loadConfig } from '../config.js';
import { GOOGLE_AUTH_URL, GOOGLE_MAIL_SCOPE, GOOGLE_TOKEN_URL } from '../mailboxes/credentials.js';
import {
  findMailbox,
  listMailboxes,
  rotateSecrets,
  saveRefreshToken,
  secretBoxFor,
} from '../mailboxes/mailbox-store.js';
import type { ClientAuthMethod } from '../mailboxes/oauth2.js';
import { withDb } from './core-commands.js';
import { registerCommand } from './registry.js';

const HELP = `usage: intake mailbox list
       intake mailbox authorize <name> [options]

authorize opens the provider's consent page for the mailbox <name>. When <name> is a stored mailbox (its Name, Key
or User in /api/admin/mailboxes) of type google or oauth2-refresh-token, its client and token endpoint are the
defaults and the new refresh token is stored in it (sealed; its poller reconnects with it). Otherwise <name> is the
mailbox's address, defaults come from IMAP_AUTH and IMAP_OAUTH_*, and the refresh token is printed to set as
IMAP_OAUTH_REFRESH_TOKEN (docs/mailboxes-oauth.md).

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
  if (sub === 'list') {
    const list = await withDb((db) => listMailboxes(db));
    for (const m of list)
      console.log(
        `${m.id}  ${m.enabled ? 'enabled ' : 'disabled'}  ${m.auth.type.padEnd(25)}  ${m.name}${m.name === m.key ? '' : `  (${m.key})`}`,
      );
    if (list.length === 0) console.error('no mailboxes: add one with POST /api/admin/mailboxes, or set IMAP_URL');
    return 0;
  }
  const name = positionals[0];
  if (sub !== 'authorize' || !name) {
    process.stderr.write(HELP);
    return 2;
  }
  const env = process.env;
  const box = secretBoxFor(loadConfig().secretsKeys);
  const stored = await withDb((db) => findMailbox(db, box, name)).catch(() => null);
  const storedAuth =
    stored?.auth && (stored.auth.type === 'google' || stored.auth.type === 'oauth2-refresh-token') ? stored.auth : null;
  const provider =
    values.provider ??
    (storedAuth ? (storedAuth.type === 'google' ? 'google' : 'oauth2') : undefined) ??
    (env.IMAP_AUTH === 'oauth2-refresh-token' ? 'oauth2' : 'google');
  if (provider !== 'google' && provider !== 'oauth2') throw new Error('--provider must be google or oauth2');
  const google = provider === 'google';
  const clientId = values['client-id'] ?? storedAuth?.clientId ?? env.IMAP_OAUTH_CLIENT_ID ?? '';
  const clientSecret = values['client-secret'] ?? storedAuth?.clientSecret ?? env.IMAP_OAUTH_CLIENT_SECRET;
  const storedTokenUrl = storedAuth && 'tokenUrl' in storedAuth ? storedAuth.tokenUrl : undefined;
  const storedScope = storedAuth && 'scope' in storedAuth ? storedAuth.scope : undefined;
  const authUrl = google ? GOOGLE_AUTH_URL : (values['auth-url'] ?? env.IMAP_OAUTH_AUTH_URL ?? '');
  const tokenUrl = google
    ? GOOGLE_TOKEN_URL
    : (values['token-url'] ?? storedTokenUrl ?? env.IMAP_OAUTH_TOKEN_URL ?? '');
  const scope = google
    ? (values.scope ?? GOOGLE_MAIL_SCOPE)
    : (values.scope ?? [storedScope ?? env.IMAP_OAUTH_SCOPE, 'offline_access'].filter(Boolean).join(' '));
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
  if (storedAuth && stored) {
    await withDb((db) => saveRefreshToken(db, box, stored.record.id, tokens.refreshToken, { consented: true }));
    console.error(
      `\nConsent given for ${stored.record.name}: the refresh token is stored (sealed); its poller reconnects with it.`,
    );
    return 0;
  }
  console.error(`\nConsent given for ${name}. Put this in the environment of the poller and the worker:\n`);
  console.log(`IMAP_AUTH=${google ? 'google' : 'oauth2-refresh-token'}`);
  console.log(`IMAP_OAUTH_REFRESH_TOKEN=${tokens.refreshToken}`);
  return 0;
});

registerCommand('secrets', async (args) => {
  if (args[0] !== 'rotate') {
    process.stderr.write(
      'usage: intake secrets rotate\n\nSeals every stored mailbox secret again with SECRETS_KEY; the key that sealed them must be SECRETS_KEY or in SECRETS_OLD_KEYS.\n',
    );
    return 2;
  }
  const config = loadConfig();
  if (config.secretsKeys?.development)
    throw new Error(
      'SECRETS_KEY is not set: set the new key (openssl rand -hex 32) and the old one in SECRETS_OLD_KEYS',
    );
  const { resealed, total } = await withDb((db) => rotateSecrets(db, secretBoxFor(config.secretsKeys)));
  console.log(`${resealed} of ${total} stored secrets sealed again with the current SECRETS_KEY`);
  if (resealed > 0) console.error('once every process runs with the new SECRETS_KEY, SECRETS_OLD_KEYS can be emptied');
  return 0;
});
