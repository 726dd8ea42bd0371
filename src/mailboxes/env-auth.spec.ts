import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';

const base = { IMAP_URL: 'imaps://support%40contoso.com@outlook.office365.com/INBOX' };

describe('IMAP_AUTH in the environment', () => {
  it('gives the IMAP_URL mailbox Microsoft 365 app-only auth', () => {
    const config = loadConfig({
      ...base,
      IMAP_AUTH: 'microsoft365',
      IMAP_OAUTH_TENANT_ID: 'contoso.onmicrosoft.com',
      IMAP_OAUTH_CLIENT_ID: 'app',
      IMAP_OAUTH_CLIENT_SECRET: 'secret',
    });
    expect(config.mailboxes[0]).toMatchObject({
      user: 'support@contoso.com',
      pass: '',
      auth: { type: 'microsoft365', tenantId: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret: 'secret' },
    });
  });

  it('a generic client-credentials mailbox with the client in the body', () => {
    const config = loadConfig({
      ...base,
      IMAP_AUTH: 'oauth2-client-credentials',
      IMAP_OAUTH_TOKEN_URL: 'https://idp.example/token',
      IMAP_OAUTH_CLIENT_ID: 'c',
      IMAP_OAUTH_CLIENT_SECRET: 's',
      IMAP_OAUTH_SCOPE: 'mail',
      IMAP_OAUTH_CLIENT_AUTH: 'body',
    });
    expect(config.mailboxes[0]!.auth).toEqual({
      type: 'oauth2-client-credentials',
      tokenUrl: 'https://idp.example/token',
      clientId: 'c',
      clientSecret: 's',
      scope: 'mail',
      clientAuth: 'body',
    });
  });

  it('names the missing variables in one line', () => {
    expect(() => loadConfig({ ...base, IMAP_AUTH: 'google', IMAP_OAUTH_CLIENT_ID: 'c' })).toThrow(
      'IMAP_AUTH=google: needs IMAP_OAUTH_CLIENT_SECRET, IMAP_OAUTH_REFRESH_TOKEN',
    );
    expect(() => loadConfig({ ...base, IMAP_AUTH: 'kerberos' })).toThrow(/IMAP_AUTH must be one of password/);
    expect(() => loadConfig({ IMAP_AUTH: 'google' })).toThrow(/IMAP_AUTH=google/);
  });

  it('leaves password mailboxes and SMTP as they were by default', () => {
    const config = loadConfig({ IMAP_URL: 'imap://u:p@localhost/INBOX' });
    expect(config.mailboxes[0]!.auth).toBeUndefined();
    expect(config.smtpAuth).toBe('url');
    expect(() => loadConfig({ SMTP_AUTH: 'cram-md5' })).toThrow('SMTP_AUTH must be url or oauth2, got "cram-md5"');
  });
});
