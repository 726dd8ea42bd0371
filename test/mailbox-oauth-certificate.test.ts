import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../src/imap/fleet.js';
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
 * Mailboxes whose app signs in with a certificate instead of a client secret, as Entra allows for Microsoft 365
 * app-only access: intake signs a client assertion (RFC 7523) with the certificate's private key, the OAuth2 server
 * (oidc-provider, private_key_jwt) checks it against the certificate it was given and issues a token, and Dovecot
 * accepts that token for the mailbox (its oauth2 passdb, by introspection).
 */

const tag = randomBytes(3).toString('hex');

interface Pem {
  certificate: string;
  privateKey: string;
  /** As `openssl x509 -fingerprint -sha1` prints it, without the colons: what Entra lists as the thumbprint. */
  thumbprint: string;
}

let oauth: TestOAuth2Server;
let dovecot: DovecotServer;
let c: InboundContext;
let leaseRedis: RedisClient;
let fleet: Fleet | undefined;
let dir: string;
let appCert: Pem;
let strayCert: Pem;

/** A self-signed certificate, made the way docs/mailboxes-oauth.md tells the operator to. */
function selfSigned(name: string): Pem {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`].concat([
      '-keyout',
      key,
      '-out',
      crt,
    ]),
    { stdio: 'ignore' },
  );
  const fingerprint = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-fingerprint', '-sha1']).toString();
  return {
    certificate: readFileSync(crt, 'utf8'),
    privateKey: readFileSync(key, 'utf8'),
    thumbprint: fingerprint.split('=')[1]!.trim().replace(/:/g, ''),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'intake-cert-'));
  appCert = selfSigned('intake-app');
  strayCert = selfSigned('not-uploaded');
  oauth = await startOAuth2Server({ accessTokenTtlSeconds: 60 });
  dovecot = await startDovecot({
    oauth2: { introspectionUrl: oauth.introspectionUrlWithCredentials, usernameAttribute: 'mailbox_user' },
  });
  c = await createInboundContext('mbcert');
  leaseRedis = createRedis(TEST_REDIS_URL, 'worker');
  fleet = startTestFleet(c, leaseRedis);
  await fleet.ready();
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  leaseRedis?.disconnect();
  await c?.close();
  await dovecot?.stop();
  await oauth?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The Auth of a mailbox whose app signs in at the test OAuth2 server with this certificate and key. */
const certificateAuth = (clientId: string, cert: Pick<Pem, 'certificate' | 'privateKey'>) => ({
  Type: 'oauth2-client-credentials',
  TokenUrl: oauth.tokenUrl,
  ClientId: clientId,
  Certificate: cert.certificate,
  PrivateKey: cert.privateKey,
  Scope: 'mail',
});

const addMailbox = (user: string, auth: Record<string, string>) =>
  addApiMailbox(c, dovecot, `Certificate ${user}`, user, auth);
const append = (user: string, raw: string) => appendWithPassword(dovecot, user, raw);
const caseFor = (mailboxKey: string, subject: string) => caseFromMailbox(c, mailboxKey, subject);
const healthOf = (key: string) => mailboxHealth(c, key);

/** The base64 body of a PEM: what would show if any of it leaked. */
const pemBody = (pem: string) => pem.split('\n').slice(1, 4).join('');

describe('mailboxes whose app signs in with a certificate instead of a client secret', () => {
  it('signs in with a client assertion signed by the private key and imports mail into a case; the API shows the thumbprint, never the key', async () => {
    const user = `cert-${tag}`;
    const clientId = `intake-cert-${tag}`;
    // The certificate is uploaded to the app (Entra: Certificates & secrets); the app has no secret at all.
    oauth.setClient({ clientId, certificate: appCert.certificate, mailboxUser: user });
    const added = await addMailbox(user, certificateAuth(clientId, appCert));
    expect(added.Auth).toEqual({
      Type: 'oauth2-client-credentials',
      TokenUrl: oauth.tokenUrl,
      ClientId: clientId,
      Scope: 'mail',
      CertificateThumbprint: appCert.thumbprint,
      CertificateExpires: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      Secrets: ['PrivateKey'],
    });
    const listed = JSON.stringify((await c.t.call('GET', '/api/admin/mailboxes')).json);
    expect(listed).not.toContain(pemBody(appCert.privateKey));

    await append(user, makeMessage(1, { subject: `Broken hinge ${tag}` }));
    const kase = await caseFor(added.Key, `Broken hinge ${tag}`);
    expect(kase.Subject).toBe(`Broken hinge ${tag}`);
    expect(oauth.tokensIssued(clientId)).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(dovecot.dir, 'dovecot.log'), 'utf8')).toMatch(
      new RegExp(`Login: user=<${user}>, method=(OAUTHBEARER|XOAUTH2)`),
    );
    // The connection test goes through the same steps.
    const tried = await c.t.call('POST', `/api/admin/mailboxes/${added.Id}/test`);
    expect(tried.json).toMatchObject({ Ok: true, FailedStep: null });
  });

  it('takes a Microsoft 365 mailbox with a certificate, and one of client secret or certificate only', async () => {
    const base = {
      Name: `M365 ${tag}`,
      Host: 'outlook.office365.com',
      User: `support-${tag}@contoso.com`,
      // Nothing here may ask Microsoft for a token.
      Enabled: false,
    };
    const auth = {
      Type: 'microsoft365',
      TenantId: 'contoso.onmicrosoft.com',
      ClientId: '00000000-0000-0000-0000-000000000001',
    };
    const both = await c.t.call('POST', '/api/admin/mailboxes', {
      ...base,
      Auth: { ...auth, ClientSecret: 'x', Certificate: appCert.certificate, PrivateKey: appCert.privateKey },
    });
    expect(both.status).toBe(400);
    expect(both.json.message).toBe(
      'Auth: microsoft365 auth takes ClientSecret, or Certificate and PrivateKey, not both',
    );
    const keyless = await c.t.call('POST', '/api/admin/mailboxes', {
      ...base,
      Auth: { ...auth, Certificate: appCert.certificate },
    });
    expect(keyless.status).toBe(400);
    expect(keyless.json.message).toBe('Auth: microsoft365 auth needs PrivateKey');
    const created = await c.t.call('POST', '/api/admin/mailboxes', {
      ...base,
      Auth: { ...auth, Certificate: appCert.certificate, PrivateKey: appCert.privateKey },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.Auth).toEqual({
      ...auth,
      CertificateThumbprint: appCert.thumbprint,
      CertificateExpires: expect.any(String),
      Secrets: ['PrivateKey'],
    });
    // Back to a client secret: the stored key goes with the certificate.
    const secret = await c.t.call('PUT', `/api/admin/mailboxes/${created.json.Id}`, {
      Auth: { ...auth, ClientSecret: 'new-secret' },
    });
    expect(secret.status, JSON.stringify(secret.json)).toBe(200);
    expect(secret.json.Auth).toEqual({ ...auth, Secrets: ['ClientSecret'] });
  });

  it("shows the provider's refusal in the mailbox's health when the key is not the uploaded certificate's, and recovers when the right one is given", async () => {
    const user = `cert-wrong-${tag}`;
    const clientId = `intake-cert-wrong-${tag}`;
    oauth.setClient({ clientId, certificate: appCert.certificate, mailboxUser: user });
    // A certificate and key that belong together, but not the certificate the provider knows for this app.
    const added = await addMailbox(user, certificateAuth(clientId, strayCert));
    const failed = await waitFor(
      'the token error in mailbox health',
      async () => {
        const h = await healthOf(added.Key);
        return h?.State === 'error' && h.LastError?.includes('invalid_client') ? h : undefined;
      },
      20_000,
      300,
    );
    expect(failed.LastError).toBe(
      'sign-in token: token endpoint refused (HTTP 401): invalid_client: client authentication failed',
    );
    expect(oauth.tokensIssued(clientId)).toBe(0);

    // A new certificate alone does not fit the stored key: the API says so before anything is stored.
    const mismatched = await c.t.call('PUT', `/api/admin/mailboxes/${added.Id}`, {
      Auth: { ...certificateAuth(clientId, appCert), PrivateKey: undefined },
    });
    expect(mismatched.status).toBe(400);
    expect(mismatched.json.message).toBe('Auth: Certificate and PrivateKey do not belong together');

    // The right certificate with its key: the running poller picks it up and signs in.
    const fixed = await c.t.call('PUT', `/api/admin/mailboxes/${added.Id}`, {
      Auth: certificateAuth(clientId, appCert),
    });
    expect(fixed.status, JSON.stringify(fixed.json)).toBe(200);
    expect(fixed.json.Auth.CertificateThumbprint).toBe(appCert.thumbprint);
    await append(user, makeMessage(2, { subject: `Late delivery ${tag}` }));
    await caseFor(added.Key, `Late delivery ${tag}`);
    await waitFor('the error to clear', async () => {
      const h = await healthOf(added.Key);
      return h && h.State !== 'error' && h.LastError === null ? h : undefined;
    });
  });
});
