import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type MailboxConfig } from '../src/config.js';
import type { Fleet } from '../src/imap/fleet.js';
import { createLogger } from '../src/logger.js';
import { consentUrl, exchangeCode, listenForRedirect, pkcePair } from '../src/mailboxes/authorize.js';
import { credentialsFor, OAuth2Credentials } from '../src/mailboxes/credentials.js';
import { secretBoxFor, seedEnvMailboxes } from '../src/mailboxes/mailbox-store.js';
import { createSmtpTransport } from '../src/outbound/sender.js';
import { smtpOAuthFromConfig } from '../src/outbound/smtp-auth.js';
import { createRedis } from '../src/queue/queues.js';
import type { RedisClient } from '../src/queue/redis-target.js';
import { makeMessage, startDovecot, type DovecotServer } from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { createInboundContext, type InboundContext } from './helpers/inbound.js';
import { startOAuth2Server, type TestOAuth2Server } from './helpers/oauth2-server.js';
import {
  addApiMailbox,
  appendWithPassword,
  caseFromMailbox,
  mailboxHealth,
  startTestFleet,
} from './helpers/mailbox-fleet.js';
import { waitFor } from './helpers/wait.js';

/**
 * Mailboxes that sign in with OAuth2, against real servers: oidc-provider issues short-lived access tokens by client
 * credentials (as Entra does for Microsoft 365 app-only access), and Dovecot accepts a token only when the OAuth2
 * server's introspection says it is active and granted for that mailbox (its oauth2 passdb; XOAUTH2 and OAUTHBEARER).
 * The poller and the inbound worker run in this process, as in test/imap-e2e.test.ts.
 */

const run = promisify(execFile);
/** Short on purpose: every reconnect after a few seconds needs a new token. */
const TOKEN_TTL_S = 5;
const tag = randomBytes(3).toString('hex');

let oauth: TestOAuth2Server;
let dovecot: DovecotServer;
let c: InboundContext;
let leaseRedis: RedisClient;
let fleet: Fleet | undefined;

beforeAll(async () => {
  oauth = await startOAuth2Server({ accessTokenTtlSeconds: TOKEN_TTL_S });
  dovecot = await startDovecot({
    oauth2: { introspectionUrl: oauth.introspectionUrlWithCredentials, usernameAttribute: 'mailbox_user' },
  });
  c = await createInboundContext('mboauth');
  leaseRedis = createRedis(TEST_REDIS_URL, 'worker');
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  leaseRedis?.disconnect();
  await c?.close();
  await dovecot?.stop();
  await oauth?.close();
});

/** The environment of a mailbox that signs in by client credentials at the test OAuth2 server. */
function oauthEnv(user: string, clientId: string, clientSecret: string): Record<string, string> {
  return {
    IMAP_URL: `imap://${user}@${dovecot.host}:${dovecot.port}/INBOX?tlsInsecure=1`,
    IMAP_AUTH: 'oauth2-client-credentials',
    IMAP_OAUTH_TOKEN_URL: oauth.tokenUrl,
    IMAP_OAUTH_CLIENT_ID: clientId,
    IMAP_OAUTH_CLIENT_SECRET: clientSecret,
    IMAP_OAUTH_SCOPE: 'mail',
  };
}

/** The mailbox as intake reads it from the environment at start. */
const mailboxFromEnv = (env: Record<string, string>): MailboxConfig => loadConfig(env).mailboxes[0]!;

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** The poller process's fleet in this process: it picks up changes made through the API within seconds. */
async function startPolling(): Promise<Fleet> {
  fleet ??= startTestFleet(c, leaseRedis);
  await fleet.ready();
  return fleet;
}

/** The mailbox as the fleet runs it now (with its auth), once it does. */
const running = (key: string) =>
  waitFor(`the fleet to watch ${key}`, async () => fleet?.mailboxes().find((m) => m.key === key), 10_000, 100);

/** Adds a mailbox through the API that signs in by client credentials at the test OAuth2 server. */
async function addMailbox(user: string, clientId: string, clientSecret: string): Promise<{ id: string; key: string }> {
  const added = await addApiMailbox(c, dovecot, `OAuth2 ${user}`, user, {
    Type: 'oauth2-client-credentials',
    TokenUrl: oauth.tokenUrl,
    ClientId: clientId,
    ClientSecret: clientSecret,
    Scope: 'mail',
  });
  return { id: added.Id, key: added.Key };
}

const append = (user: string, raw: string) => appendWithPassword(dovecot, user, raw);

/** Ends the user's IMAP sessions on the server, as a server restart or a provider's session limit does. */
async function kick(user: string): Promise<void> {
  await run('doveadm', ['-c', join(dovecot.dir, 'dovecot.conf'), 'kick', user]).catch(() => undefined);
}

const caseFor = (mailbox: MailboxConfig, subject: string) => caseFromMailbox(c, mailbox.key, subject);

/** The mailbox's health as GET /api/admin/mailboxes shows it. */
async function healthOf(mailbox: MailboxConfig): Promise<{ state: string; lastError: string | null } | undefined> {
  const health = await mailboxHealth(c, mailbox.key);
  return health && { state: health.State, lastError: health.LastError };
}

const dovecotLog = () => readFileSync(join(dovecot.dir, 'dovecot.log'), 'utf8');

describe('mailboxes that sign in with OAuth2 (client credentials) at a real OAuth2 server and Dovecot', () => {
  const user = `oauth-${tag}`;
  const clientId = `intake-${tag}`;
  let mailbox: MailboxConfig;

  it('imports mail into a case, logged in with an access token instead of a password (the mailbox from IMAP_AUTH)', async () => {
    oauth.setClient({ clientId, clientSecret: 'first-secret', mailboxUser: user });
    // IMAP_URL with IMAP_AUTH, as a poller's environment gives it: seeded into the mailboxes table at start.
    mailbox = mailboxFromEnv(oauthEnv(user, clientId, 'first-secret'));
    expect(mailbox.pass).toBe('');
    await seedEnvMailboxes(c.t.ctx.db, secretBoxFor(c.t.ctx.config.secretsKeys), [mailbox], logger);
    await startPolling();
    await append(user, makeMessage(1, { subject: `Parcel missing ${tag}` }));
    const kase = await caseFor(mailbox, `Parcel missing ${tag}`);
    expect(kase.Subject).toBe(`Parcel missing ${tag}`);
    expect(oauth.tokensIssued(clientId)).toBeGreaterThanOrEqual(1);
    // Dovecot let the mailbox in by a token mechanism, never by a password.
    expect(dovecotLog()).toMatch(new RegExp(`Login: user=<${user}>, method=(OAUTHBEARER|XOAUTH2)`));
  });

  it('asks for a new token once the old one has expired, and goes on importing after a reconnect', async () => {
    const before = oauth.tokensIssued(clientId);
    // The token of the first login expires on the server: Dovecot would now refuse it. (credentialsFor gives the
    // poller's own instance: one per mailbox and auth.)
    const firstToken = await credentialsFor(await running(mailbox.key)).login();
    await waitFor(
      'the first token to expire',
      async () => 'accessToken' in firstToken && (await oauth.introspect(firstToken.accessToken)).active === false,
      (TOKEN_TTL_S + 5) * 1000,
      250,
    );
    await kick(user);
    await append(user, makeMessage(2, { subject: `Wrong size ${tag}` }));
    const kase = await caseFor(mailbox, `Wrong size ${tag}`);
    expect(kase.Subject).toBe(`Wrong size ${tag}`);
    expect(oauth.tokensIssued(clientId)).toBeGreaterThan(before);
    expect((await healthOf(mailbox))?.lastError).toBeNull();
  });

  it("shows the provider's error in mailbox health when the client is removed, never asks faster than the backoff, and recovers when the new secret is given through the API, with no restart", async () => {
    oauth.removeClient(clientId);
    // Sessions end (provider or server restart): each reconnect must now get a new token, which the provider refuses.
    const failed = await waitFor(
      'the mailbox to show the token error',
      async () => {
        await kick(user);
        const h = await healthOf(mailbox);
        return h?.state === 'error' && h.lastError?.includes('invalid_client') ? h : undefined;
      },
      20_000,
      300,
    );
    expect(failed.lastError).toBe(
      'sign-in token: token endpoint refused (HTTP 401): invalid_client: client authentication failed',
    );
    // Reconnects go on every 0.2-1 s, but the token endpoint is asked at most at 2 s, 4 s, 8 s...: in 5 s, 3 times.
    const counted = oauth.tokenRequests(clientId);
    const start = Date.now();
    while (Date.now() - start < 5_000) {
      await kick(user);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(oauth.tokenRequests(clientId) - counted).toBeLessThanOrEqual(3);

    // The operator makes a new secret (as in Entra) and gives it through the API: the running poller picks it up.
    oauth.setClient({ clientId, clientSecret: 'second-secret', mailboxUser: user });
    const listed = await c.t.call('GET', '/api/admin/mailboxes');
    const id = (listed.json.Mailboxes as { Id: string; Key: string }[]).find((m) => m.Key === mailbox.key)!.Id;
    const put = await c.t.call('PUT', `/api/admin/mailboxes/${id}`, {
      Auth: {
        Type: 'oauth2-client-credentials',
        TokenUrl: oauth.tokenUrl,
        ClientId: clientId,
        ClientSecret: 'second-secret',
        Scope: 'mail',
      },
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.Source).toBe('api');
    expect(JSON.stringify(put.json)).not.toContain('second-secret');
    await append(user, makeMessage(3, { subject: `Refund please ${tag}` }));
    await caseFor(mailbox, `Refund please ${tag}`);
    const healthy = await waitFor('the error to clear', async () => {
      const h = await healthOf(mailbox);
      return h && h.state !== 'error' && h.lastError === null ? h : undefined;
    });
    expect(healthy.lastError).toBeNull();
    // The connection test of the API says the same, step by step.
    const tried = await c.t.call('POST', `/api/admin/mailboxes/${id}/test`);
    expect(tried.json).toMatchObject({ Ok: true, FailedStep: null });
    expect(tried.json.Steps.map((s: { Step: string }) => s.Step)).toEqual(['token', 'connect', 'login', 'folder']);
  });

  it("shows the server's refusal when the token is not for this mailbox, and asks for a new token before the next attempt", async () => {
    const other = `oauth-other-${tag}`;
    const otherClient = `intake-other-${tag}`;
    // The client is granted another mailbox than the one it is configured for: its tokens are valid, Dovecot says no.
    oauth.setClient({ clientId: otherClient, clientSecret: 's3', mailboxUser: `${other}-elsewhere` });
    const added = await addMailbox(other, otherClient, 's3');
    const m = { key: added.key } as MailboxConfig;
    const h = await waitFor('the refused login in mailbox health', async () => {
      const x = await healthOf(m);
      return x?.state === 'error' && x.lastError ? x : undefined;
    });
    expect(h.lastError).toBe(
      'login refused by the server: [AUTHENTICATIONFAILED] Authentication failed. (invalid_token)',
    );
    // A refused token is dropped (rejected()): the next attempt gets a new one, at the poller's backoff.
    await waitFor('a new token after the refusal', async () => oauth.tokensIssued(otherClient) >= 2, 15_000);
    // The connection test names the failed step in the server's words.
    const tried = await c.t.call('POST', `/api/admin/mailboxes/${added.id}/test`);
    expect(tried.json).toMatchObject({ Ok: false, FailedStep: 'login' });
    expect(tried.json.Steps.at(-1).Message).toContain('AUTHENTICATIONFAILED');
  });
});

/**
 * A real SMTP server (smtp-server) that accepts only XOAUTH2 and checks each token as Dovecot does: RFC 7662
 * introspection at the OAuth2 server, active and granted for the user that logs in.
 */
async function startTokenCheckingSmtp(): Promise<{
  url: string;
  received: { user: string; raw: string }[];
  close(): Promise<void>;
}> {
  const received: { user: string; raw: string }[] = [];
  const server = new SMTPServer({
    authMethods: ['XOAUTH2'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      void oauth.introspect(auth.accessToken ?? '').then(
        (info) =>
          info.active === true && info.mailbox_user === auth.username
            ? callback(null, { user: auth.username })
            : callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } }),
        (err: Error) => callback(err),
      );
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        received.push({ user: String(session.user), raw });
        callback();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

describe("outbound mail that signs in with the mailbox's OAuth2 token (SMTP XOAUTH2)", () => {
  it('sends through an SMTP server that accepts only valid tokens for the sending mailbox', async () => {
    const smtp = await startTokenCheckingSmtp();
    try {
      const user = `smtp-${tag}`;
      const clientId = `intake-smtp-${tag}`;
      oauth.setClient({ clientId, clientSecret: 'smtp-secret', mailboxUser: user });
      const config = loadConfig({
        ...oauthEnv(user, clientId, 'smtp-secret'),
        SMTP_URL: smtp.url,
        SMTP_AUTH: 'oauth2',
      });
      const transport = createSmtpTransport(config.smtpUrl!, smtpOAuthFromConfig(config));
      await transport.sendMail({
        from: `${user}@example.com`,
        to: 'customer@example.com',
        subject: `Re: order ${tag}`,
        text: 'On its way.',
      });
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]!.user).toBe(user);
      expect(smtp.received[0]!.raw).toContain(`Subject: Re: order ${tag}`);
      transport.close();

      // A token granted for another mailbox is refused by the server; the error says so and nothing is sent.
      const wrongClient = `intake-smtp-wrong-${tag}`;
      oauth.setClient({ clientId: wrongClient, clientSecret: 'x', mailboxUser: 'someone-else' });
      const wrong = loadConfig({ ...oauthEnv(user, wrongClient, 'x'), SMTP_URL: smtp.url, SMTP_AUTH: 'oauth2' });
      const refused = createSmtpTransport(wrong.smtpUrl!, smtpOAuthFromConfig(wrong));
      await expect(
        refused.sendMail({ from: `${user}@example.com`, to: 'customer@example.com', subject: 'x', text: 'x' }),
      ).rejects.toMatchObject({ responseCode: 535 });
      refused.close();
      expect(smtp.received).toHaveLength(1);

      // A client removed at the provider (its secret deleted): the failed send carries the provider's error text.
      const goneClient = `intake-smtp-gone-${tag}`;
      oauth.setClient({ clientId: goneClient, clientSecret: 'y', mailboxUser: user });
      oauth.removeClient(goneClient);
      const goneConfig = loadConfig({ ...oauthEnv(user, goneClient, 'y'), SMTP_URL: smtp.url, SMTP_AUTH: 'oauth2' });
      const gone = createSmtpTransport(goneConfig.smtpUrl!, smtpOAuthFromConfig(goneConfig));
      await expect(
        gone.sendMail({ from: `${user}@example.com`, to: 'customer@example.com', subject: 'x', text: 'x' }),
      ).rejects.toThrow('token endpoint refused (HTTP 401): invalid_client: client authentication failed');
      gone.close();
    } finally {
      await smtp.close();
    }
  });
});

/**
 * What a person does in the browser at the consent URL, against oidc-provider's development sign-in and consent
 * pages: follow the redirects with the cookies, sign in as `login`, consent, and end at the redirect URI.
 */
async function consentInBrowser(startUrl: string, login: string, redirectUri: string): Promise<void> {
  const jar = new Map<string, string>();
  let url = startUrl;
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  for (let step = 0; step < 20; step++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { cookie } });
    for (const set of res.headers.getSetCookie()) {
      const pair = set.split(';')[0]!;
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url).toString();
      init = { method: 'GET' };
      if (url.startsWith(redirectUri)) {
        const back = await fetch(url);
        expect(back.status).toBe(200);
        return;
      }
      continue;
    }
    const html = await res.text();
    const action = /action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt)
      throw new Error(`no sign-in or consent form at ${url} (HTTP ${res.status}): ${html.slice(0, 300)}`);
    url = new URL(action, url).toString();
    init = {
      method: 'POST',
      body: new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt }),
    };
  }
  throw new Error('the consent did not reach the redirect URI in 20 steps');
}

describe('outbound mail that signs in with the token of a mailbox of the API (SMTP XOAUTH2)', () => {
  it('takes the stored mailbox named by SMTP_AUTH_MAILBOX, and its fixed secret without a restart', async () => {
    const smtp = await startTokenCheckingSmtp();
    try {
      const user = `smtp-stored-${tag}`;
      const clientId = `intake-smtp-stored-${tag}`;
      oauth.setClient({ clientId, clientSecret: 'old', mailboxUser: user });
      const added = await addMailbox(user, clientId, 'old');
      const config = loadConfig({
        DATABASE_URL: c.t.database.url,
        SMTP_URL: smtp.url.replace('smtp://', `smtp://${user}@`),
        SMTP_AUTH: 'oauth2',
        SMTP_AUTH_MAILBOX: added.key,
      });
      const stored = { db: c.t.ctx.db, secrets: secretBoxFor(c.t.ctx.config.secretsKeys) };
      const oauthSmtp = smtpOAuthFromConfig(config, stored)!;
      const send = async (subject: string) => {
        const transport = createSmtpTransport(config.smtpUrl!, oauthSmtp);
        try {
          await transport.sendMail({ from: `${user}@example.com`, to: 'customer@example.com', subject, text: 'x' });
        } finally {
          transport.close();
        }
      };
      await send(`stored 1 ${tag}`);
      expect(smtp.received.map((r) => r.user)).toEqual([user]);

      // The provider's secret changes and the admin fixes it through the API: the next send signs in with it.
      oauth.setClient({ clientId, clientSecret: 'new', mailboxUser: user });
      oauthSmtp.credentials.rejected();
      const put = await c.t.call('PUT', `/api/admin/mailboxes/${added.id}`, {
        Auth: {
          Type: 'oauth2-client-credentials',
          TokenUrl: oauth.tokenUrl,
          ClientId: clientId,
          ClientSecret: 'new',
          Scope: 'mail',
        },
      });
      expect(put.status).toBe(200);
      await send(`stored 2 ${tag}`);
      expect(smtp.received).toHaveLength(2);
      expect(smtp.received[1]!.raw).toContain(`Subject: stored 2 ${tag}`);
    } finally {
      await smtp.close();
    }
  });
});

describe('the consent helper (intake mailbox authorize) against a real OAuth2 server', () => {
  it('gets a refresh token by authorization code with PKCE, which then signs the mailbox in and rotates', async () => {
    const user = `consent-${tag}`;
    const clientId = `intake-desktop-${tag}`;
    const state = randomBytes(8).toString('hex');
    const pkce = pkcePair();
    const listener = await listenForRedirect(state, 30_000);
    try {
      oauth.setClient({ clientId, clientSecret: 'desk', mailboxUser: user, redirectUris: [listener.redirectUri] });
      const url = consentUrl({
        authorizationUrl: oauth.authorizationUrl,
        clientId,
        redirectUri: listener.redirectUri,
        scope: 'openid offline_access mail',
        state,
        codeChallenge: pkce.challenge,
      });
      await consentInBrowser(url, user, listener.redirectUri);
      const code = await listener.code;
      const tokens = await exchangeCode({
        tokenUrl: oauth.tokenUrl,
        clientId,
        clientSecret: 'desk',
        clientAuth: 'basic',
        code,
        redirectUri: listener.redirectUri,
        codeVerifier: pkce.verifier,
      });
      expect(tokens.refreshToken).toBeTruthy();
      // A code works once: a second exchange is refused with the provider's own words.
      await expect(
        exchangeCode({
          tokenUrl: oauth.tokenUrl,
          clientId,
          clientSecret: 'desk',
          clientAuth: 'basic',
          code,
          redirectUri: listener.redirectUri,
          codeVerifier: 'x'.repeat(43),
        }),
      ).rejects.toThrow(/invalid_grant/);

      // The refresh token signs the mailbox in; the provider rotates it and the new one is handed over for storage.
      const saved: string[] = [];
      const credentials = new OAuth2Credentials(
        user,
        {
          type: 'oauth2-refresh-token',
          tokenUrl: oauth.tokenUrl,
          clientId,
          clientSecret: 'desk',
          refreshToken: tokens.refreshToken,
        },
        { onRefreshToken: (t) => void saved.push(t) },
      );
      const login = await credentials.login();
      expect(saved).toHaveLength(1);
      expect(saved[0]).not.toBe(tokens.refreshToken);
      const client = new ImapFlow({
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        doSTARTTLS: false,
        auth: login,
        logger: false,
      });
      client.on('error', () => undefined);
      await client.connect();
      expect(client.authenticated).toBeTruthy();
      await client.logout();
      // The next refresh uses the rotated token (the first one is spent).
      credentials.rejected();
      await credentials.login();
      expect(saved).toHaveLength(2);
    } finally {
      listener.close();
    }
  });
});
