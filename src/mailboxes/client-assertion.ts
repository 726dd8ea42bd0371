import {
  constants,
  createHash,
  createPrivateKey,
  randomUUID,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { MailboxAuthError } from './auth-error.js';

/** RFC 7523 2.2: the `client_assertion_type` of a JWT that authenticates the client ("private_key_jwt" in OIDC). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/**
 * How long an assertion is valid. Microsoft asks for 5-10 minutes after `nbf` at most; it is used at once, so
 * 5 minutes only has to cover clock skew.
 */
export const DEFAULT_ASSERTION_LIFETIME_S = 300;

/**
 * The signature and the certificate reference of the header. Microsoft documents two pairs (MSAL sends one or the
 * other): RS256 with `x5t` (SHA-1 thumbprint), and PS256 with `x5t#S256` (SHA-256 thumbprint).
 */
export type AssertionAlg = 'RS256' | 'PS256';
export const DEFAULT_ASSERTION_ALG: AssertionAlg = 'RS256';

/** A client certificate and its private key, both PEM, as the operator gives them. */
export interface ClientCertificatePem {
  certificate: string;
  privateKey: string;
}

export interface ClientCertificate {
  certificate: X509Certificate;
  privateKey: KeyObject;
  /** base64url of the SHA-1 of the certificate's DER: the header's `x5t` (RFC 7515 4.1.7). */
  x5t: string;
  /** base64url of the SHA-256 of the DER: `x5t#S256` (RFC 7515 4.1.8). */
  x5tS256: string;
}

const PEM_BLOCK = (label: string) => new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`);

/**
 * The first block of its kind, so that one file may hold the certificate, its chain and the key (as
 * `openssl pkcs12 -nodes` writes it).
 */
function pemBlock(text: string, label: string): string | undefined {
  return PEM_BLOCK(label).exec(text)?.[0];
}

/** The SHA-1 thumbprint in hex, as the Entra admin center shows it under *Certificates & secrets*. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha1').update(certificate.raw).digest('hex').toUpperCase();
}

/** The first certificate of a PEM text (a file may hold the chain and the key too). */
export function readCertificate(pem: string): X509Certificate {
  const text = pemBlock(pem, 'CERTIFICATE');
  if (!text) throw notConfigured('certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
  try {
    return new X509Certificate(text);
  } catch (err) {
    throw notConfigured(`certificate cannot be read: ${(err as Error).message}`);
  }
}

/**
 * Reads a certificate and its private key. Throws MailboxAuthError (`not_configured`) that names the field when
 * either is no PEM, the key is not RSA (RS256 and PS256 need one) or the two do not belong together.
 */
export function parseClientCertificate(pem: ClientCertificatePem): ClientCertificate {
  const certificate = readCertificate(pem.certificate);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem.privateKey))
    throw notConfigured(
      'privateKey is encrypted: give it without a passphrase (openssl pkey -in key.pem -out plain.pem)',
    );
  const keyText = pemBlock(pem.privateKey, 'PRIVATE KEY') ?? pemBlock(pem.privateKey, 'RSA PRIVATE KEY');
  if (!keyText) throw notConfigured('privateKey is not a PEM private key (-----BEGIN PRIVATE KEY-----)');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyText);
  } catch (err) {
    throw notConfigured(`privateKey cannot be read: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw notConfigured('privateKey must be an RSA key');
  if (!certificate.checkPrivateKey(privateKey))
    throw notConfigured('certificate and privateKey do not belong together');
  return {
    certificate,
    privateKey,
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
  };
}

export interface AssertionOptions {
  clientId: string;
  /** The token endpoint URL, which Microsoft requires as `aud` (RFC 7523 3 allows it). */
  audience: string;
  /** Default DEFAULT_ASSERTION_ALG. */
  alg?: AssertionAlg;
  /** Seconds; default DEFAULT_ASSERTION_LIFETIME_S. */
  lifetimeS?: number;
  /** Default Date.now() (tests). */
  now?: number;
}

/**
 * A signed client assertion (RFC 7523 3, Microsoft's "certificate credentials"): `iss` and `sub` the client id,
 * `aud` the token endpoint, a fresh `jti` (providers refuse a replayed one), valid from now for a few minutes.
 */
export function signClientAssertion(cert: ClientCertificate, options: AssertionOptions): string {
  const alg = options.alg ?? DEFAULT_ASSERTION_ALG;
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const header = alg === 'PS256' ? { alg, typ: 'JWT', 'x5t#S256': cert.x5tS256 } : { alg, typ: 'JWT', x5t: cert.x5t };
  const claims = {
    aud: options.audience,
    iss: options.clientId,
    sub: options.clientId,
    jti: randomUUID(),
    nbf: iat,
    iat,
    exp: iat + (options.lifetimeS ?? DEFAULT_ASSERTION_LIFETIME_S),
  };
  const input = `${b64url(header)}.${b64url(claims)}`;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    // PS256 (RFC 7518 3.5): PSS with SHA-256 and a salt as long as the hash.
    alg === 'PS256'
      ? { key: cert.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : cert.privateKey,
  );
  return `${input}.${signature.toString('base64url')}`;
}

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

function notConfigured(message: string): MailboxAuthError {
  return new MailboxAuthError(message, { code: 'not_configured' });
}
