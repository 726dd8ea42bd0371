import { execFileSync } from 'node:child_process';
import { constants, createHash, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import {
  CLIENT_ASSERTION_TYPE,
  certificateThumbprint,
  parseClientCertificate,
  signClientAssertion,
  type ClientCertificatePem,
} from './client-assertion.js';
import { checkMailboxAuth, tokenRequestFor } from './credentials.js';
import { tokenRequestInit } from './oauth2.js';

/** A self-signed certificate as the operator makes one (docs/mailboxes-oauth.md): openssl, RSA 2048, no passphrase. */
function selfSigned(dir: string, name: string): ClientCertificatePem {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2'].concat([
      '-subj',
      `/CN=${name}`,
      '-keyout',
      key,
      '-out',
      crt,
    ]),
    { stdio: 'ignore' },
  );
  return { certificate: readFileSync(crt, 'utf8'), privateKey: readFileSync(key, 'utf8') };
}

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
const TOKEN_URL = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token';

let dir: string;
let pem: ClientCertificatePem;
let other: ClientCertificatePem;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'intake-cert-'));
  pem = selfSigned(dir, 'intake-app');
  other = selfSigned(dir, 'someone-else');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client assertions signed with a certificate (RFC 7523, Microsoft certificate credentials)', () => {
  it('names the certificate by x5t, the SHA-1 of its DER, and verifies with its public key (RS256)', () => {
    const cert = parseClientCertificate(pem);
    const jwt = signClientAssertion(cert, { clientId: 'app-id', audience: TOKEN_URL, now: 1_700_000_000_000 });
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const x509 = new X509Certificate(pem.certificate);
    expect(decode(h)).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      x5t: createHash('sha1').update(x509.raw).digest('base64url'),
    });
    // The hex thumbprint the Entra admin center lists is the same hash.
    expect(
      Buffer.from(decode(h).x5t as string, 'base64url')
        .toString('hex')
        .toUpperCase(),
    ).toBe(certificateThumbprint(x509));
    expect(verify('sha256', Buffer.from(`${h}.${p}`), x509.publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    const claims = decode(p);
    expect(claims).toEqual({
      aud: TOKEN_URL,
      iss: 'app-id',
      sub: 'app-id',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      nbf: 1_700_000_000,
      iat: 1_700_000_000,
      exp: 1_700_000_300,
    });
    // The key of another certificate does not verify it.
    const foreign = new X509Certificate(other.certificate).publicKey;
    expect(verify('sha256', Buffer.from(`${h}.${p}`), foreign, Buffer.from(s, 'base64url'))).toBe(false);
  });

  it('uses a new jti each time, and PS256 with x5t#S256 when asked', () => {
    const cert = parseClientCertificate(pem);
    const a = signClientAssertion(cert, { clientId: 'c', audience: TOKEN_URL });
    const b = signClientAssertion(cert, { clientId: 'c', audience: TOKEN_URL, alg: 'PS256' });
    expect(decode(a.split('.')[1]!).jti).not.toBe(decode(b.split('.')[1]!).jti);
    const [h, p, s] = b.split('.') as [string, string, string];
    const x509 = new X509Certificate(pem.certificate);
    expect(decode(h)).toEqual({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': createHash('sha256').update(x509.raw).digest('base64url'),
    });
    const key = { key: x509.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))).toBe(true);
  });

  it('refuses a key of another certificate, a non-RSA key and text that is no PEM, naming the field', () => {
    expect(() => parseClientCertificate({ certificate: pem.certificate, privateKey: other.privateKey })).toThrow(
      'certificate and privateKey do not belong together',
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(() => parseClientCertificate({ certificate: pem.certificate, privateKey: ec })).toThrow(
      'privateKey must be an RSA key',
    );
    expect(() => parseClientCertificate({ certificate: 'MIIB...', privateKey: pem.privateKey })).toThrow(
      'certificate is not a PEM certificate',
    );
    // One file with the certificate and its key (openssl pkcs12 -nodes) serves as both.
    const both = `${pem.privateKey}\n${pem.certificate}`;
    expect(parseClientCertificate({ certificate: both, privateKey: both }).x5t).toBe(parseClientCertificate(pem).x5t);
  });
});

describe('Microsoft 365 with a certificate instead of a client secret', () => {
  it('sends client_assertion_type and a client_assertion for the tenant token endpoint, and no secret', () => {
    const req = tokenRequestFor({ type: 'microsoft365', tenantId: 'contoso.onmicrosoft.com', clientId: 'a', ...pem });
    const { headers, body } = tokenRequestInit(req);
    expect(headers.authorization).toBeUndefined();
    const form = Object.fromEntries(body);
    expect(form).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'https://outlook.office365.com/.default',
      client_id: 'a',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
    });
    expect(form.client_secret).toBeUndefined();
    expect(decode(form.client_assertion!.split('.')[1]!)).toMatchObject({ aud: TOKEN_URL, iss: 'a', sub: 'a' });
  });

  it('needs a client secret or a certificate with its key, exactly one, and says which part is missing', () => {
    const base = { type: 'microsoft365' as const, tenantId: 't', clientId: 'c' };
    expect(() => checkMailboxAuth(base)).toThrow(
      'microsoft365 auth needs clientSecret (or certificate and privateKey)',
    );
    expect(() => checkMailboxAuth({ ...base, certificate: pem.certificate })).toThrow(
      'microsoft365 auth needs privateKey',
    );
    expect(() => checkMailboxAuth({ ...base, clientSecret: 's', ...pem })).toThrow(
      'microsoft365 auth takes clientSecret, or certificate and privateKey, not both',
    );
    expect(() => checkMailboxAuth({ ...base, ...pem })).not.toThrow();
    expect(() =>
      checkMailboxAuth({
        type: 'oauth2-client-credentials',
        tokenUrl: 'https://idp.example/token',
        clientId: 'c',
        ...pem,
      }),
    ).not.toThrow();
  });
});

describe('IMAP_OAUTH_CERTIFICATE_PATH and IMAP_OAUTH_PRIVATE_KEY_PATH', () => {
  const env = (paths: Record<string, string>) => ({
    IMAP_URL: 'imaps://support%40contoso.com@outlook.office365.com/INBOX',
    IMAP_AUTH: 'microsoft365',
    IMAP_OAUTH_TENANT_ID: 'contoso.onmicrosoft.com',
    IMAP_OAUTH_CLIENT_ID: 'app',
    ...paths,
  });

  it('reads the PEM files at start, and takes one file that holds both', () => {
    const config = loadConfig(
      env({
        IMAP_OAUTH_CERTIFICATE_PATH: join(dir, 'intake-app.crt'),
        IMAP_OAUTH_PRIVATE_KEY_PATH: join(dir, 'intake-app.key'),
      }),
    );
    expect(config.mailboxes[0]!.auth).toMatchObject({ type: 'microsoft365', ...pem });
    expect(config.mailboxes[0]!.auth).not.toHaveProperty('clientSecret', expect.anything());
    const both = join(dir, 'both.pem');
    writeFileSync(both, `${pem.certificate}${pem.privateKey}`);
    expect(loadConfig(env({ IMAP_OAUTH_CERTIFICATE_PATH: both })).mailboxes[0]!.auth).toMatchObject({
      type: 'microsoft365',
    });
  });

  it('names the variable that is missing, unreadable or does not fit', () => {
    expect(() => loadConfig(env({}))).toThrow(
      'IMAP_AUTH=microsoft365: needs IMAP_OAUTH_CLIENT_SECRET (or IMAP_OAUTH_CERTIFICATE_PATH and IMAP_OAUTH_PRIVATE_KEY_PATH)',
    );
    expect(() => loadConfig(env({ IMAP_OAUTH_CERTIFICATE_PATH: join(dir, 'intake-app.crt') }))).toThrow(
      'IMAP_AUTH=microsoft365: needs IMAP_OAUTH_PRIVATE_KEY_PATH',
    );
    expect(() => loadConfig(env({ IMAP_OAUTH_CERTIFICATE_PATH: join(dir, 'nothing.crt') }))).toThrow(
      `IMAP_OAUTH_CERTIFICATE_PATH: cannot read ${join(dir, 'nothing.crt')}: ENOENT`,
    );
    expect(() =>
      loadConfig(
        env({
          IMAP_OAUTH_CERTIFICATE_PATH: join(dir, 'intake-app.crt'),
          IMAP_OAUTH_PRIVATE_KEY_PATH: join(dir, 'someone-else.key'),
        }),
      ),
    ).toThrow(
      'IMAP_AUTH=microsoft365: IMAP_OAUTH_CERTIFICATE_PATH and IMAP_OAUTH_PRIVATE_KEY_PATH do not belong together',
    );
  });
});
