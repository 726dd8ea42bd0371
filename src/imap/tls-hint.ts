/** Node's codes for a certificate the client does not trust (tls.checkServerIdentity, OpenSSL verify results). */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * For a TLS error of a mailbox connection, the settings that fix it, in one sentence; undefined for any
 * other error. A self-signed certificate is the usual case with a local or test server.
 */
export function mailboxTlsHint(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code))
    return code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? "the server's certificate is for another host name: use that name in IMAP_URL"
      : "the server's certificate is not trusted: add ?tlsInsecure=1 to IMAP_URL (or set TlsInsecure on a mailbox of the API) for a test server with a self-signed certificate, or give its CA in NODE_EXTRA_CA_CERTS";
  const message = err instanceof Error ? err.message : '';
  if (/wrong version number|packet length too long|unknown protocol/i.test(message))
    return 'TLS was spoken to a port that does not expect it: use imap:// for port 143 and imaps:// for port 993 in IMAP_URL';
  return undefined;
}
