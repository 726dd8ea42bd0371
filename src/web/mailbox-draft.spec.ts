import { describe, expect, it } from 'vitest';
import { draftOf, requestBody, type MailboxJson } from './mailbox-draft.js';

const stored: MailboxJson = {
  Id: 'b0b',
  Name: 'Support',
  Host: 'outlook.office365.com',
  Port: 993,
  Tls: 'tls',
  TlsInsecure: false,
  User: 'support@contoso.com',
  Folder: 'INBOX',
  AfterImport: 'move',
  MoveTo: 'Imported',
  Enabled: true,
  Key: 'support@contoso.com@outlook.office365.com:993/INBOX',
  Source: 'api',
  Auth: { Type: 'microsoft365', TenantId: 'contoso', ClientId: 'app', Secrets: ['ClientSecret'] },
  Health: {
    State: 'idle',
    StateChangedAt: null,
    LastError: null,
    LastErrorAt: null,
    LastImportAt: null,
    Backlog: 0,
    OldestBacklogAt: null,
    Failed: 0,
    Lease: null,
  },
};

describe('the mailbox form and the request it sends', () => {
  it('a new password mailbox sends its fields, the port only when given, and the password', () => {
    const d = draftOf();
    Object.assign(d, { Name: ' Sales ', Host: 'imap.example.com', User: 'sales' });
    d.Auth.Password = ' secret with spaces ';
    expect(requestBody(d)).toEqual({
      Name: 'Sales',
      Host: 'imap.example.com',
      Tls: 'tls',
      TlsInsecure: false,
      User: 'sales',
      Folder: 'INBOX',
      AfterImport: 'seen',
      MoveTo: null,
      Enabled: true,
      Auth: { Type: 'password', Password: ' secret with spaces ' },
    });
  });

  it('a change sends only what changed, and no Auth when none of its fields was touched', () => {
    const before = draftOf(stored);
    const d = draftOf(stored);
    d.Folder = 'Support';
    expect(requestBody(d, before)).toEqual({ Folder: 'Support' });
    expect(requestBody(before, before)).toEqual({});
  });

  it('a changed Auth field sends Auth with its settings and without the secrets left empty (the API keeps them)', () => {
    const before = draftOf(stored);
    const d = draftOf(stored);
    d.Auth.ClientId = 'new-app';
    expect(requestBody(d, before)).toEqual({
      Auth: { Type: 'microsoft365', TenantId: 'contoso', ClientId: 'new-app' },
    });
    d.Auth.ClientSecret = 's3cret';
    expect(requestBody(d, before).Auth).toMatchObject({ ClientSecret: 's3cret' });
  });

  it('leaving "move" clears MoveTo; a certificate replaces the client secret', () => {
    const before = draftOf(stored);
    const d = draftOf(stored);
    d.AfterImport = 'seen';
    d.Auth.Credential = 'certificate';
    d.Auth.ClientSecret = 'typed before switching';
    d.Auth.Certificate = '-----BEGIN CERTIFICATE-----\n';
    d.Auth.PrivateKey = '-----BEGIN PRIVATE KEY-----\n';
    expect(requestBody(d, before)).toEqual({
      AfterImport: 'seen',
      MoveTo: null,
      Auth: {
        Type: 'microsoft365',
        TenantId: 'contoso',
        ClientId: 'app',
        Certificate: '-----BEGIN CERTIFICATE-----\n',
        PrivateKey: '-----BEGIN PRIVATE KEY-----\n',
      },
    });
  });
});
