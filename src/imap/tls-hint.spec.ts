import { describe, expect, it } from 'vitest';
import { mailboxTlsHint } from './tls-hint.js';

const tlsError = (code: string, message = 'self-signed certificate') => Object.assign(new Error(message), { code });

describe('mailboxTlsHint', () => {
  it('names tlsInsecure=1 for a self-signed or unknown certificate', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'])
      expect(mailboxTlsHint(tlsError(code))).toContain('?tlsInsecure=1 to IMAP_URL');
  });

  it('names the host name for a certificate of another host', () => {
    expect(mailboxTlsHint(tlsError('ERR_TLS_CERT_ALTNAME_INVALID'))).toContain('host name');
  });

  it('names imap:// and imaps:// when TLS meets a plain port', () => {
    expect(mailboxTlsHint(new Error('SSL routines:ssl3_get_record:wrong version number'))).toContain('imaps://');
  });

  it('says nothing for errors that are not about TLS', () => {
    expect(mailboxTlsHint(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(mailboxTlsHint(undefined)).toBeUndefined();
  });
});
