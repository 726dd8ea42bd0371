// A mailbox as the admin's form holds it, and the request body the API takes from it. The API decides what is valid
// (a move without MoveTo, a secret that must be sent again); the form only sends what the admin wrote.

export type AuthType = 'password' | 'oauth2-client-credentials' | 'oauth2-refresh-token' | 'microsoft365' | 'google';

export const AUTH_TYPES: readonly { value: AuthType; label: string }[] = [
  { value: 'password', label: 'Password' },
  { value: 'microsoft365', label: 'Microsoft 365' },
  { value: 'google', label: 'Google' },
  { value: 'oauth2-client-credentials', label: 'OAuth2 client credentials' },
  { value: 'oauth2-refresh-token', label: 'OAuth2 refresh token' },
];

/** A mailbox as GET /api/admin/mailboxes shows it (secrets only by name, in Auth.Secrets). */
export interface MailboxJson {
  Id: string;
  Name: string;
  Host: string;
  Port: number;
  Tls: 'none' | 'starttls' | 'tls';
  TlsInsecure: boolean;
  User: string;
  Folder: string;
  AfterImport: 'seen' | 'move' | 'delete';
  MoveTo: string | null;
  Enabled: boolean;
  Key: string;
  Source: 'env' | 'api';
  Auth: {
    Type: string;
    TokenUrl?: string;
    ClientId?: string;
    Scope?: string;
    TenantId?: string;
    ClientAuth?: string;
    CertificateThumbprint?: string;
    CertificateExpires?: string;
    Secrets: string[];
  };
  Health: {
    State: string;
    StateChangedAt: string | null;
    LastError: string | null;
    LastErrorAt: string | null;
    LastImportAt: string | null;
    Backlog: number;
    OldestBacklogAt: string | null;
    Failed: number;
    Lease: { Holder: string; TtlMs: number } | null;
  };
}

export type SecretField = 'Password' | 'ClientSecret' | 'RefreshToken' | 'PrivateKey';
type SettingField = 'TokenUrl' | 'ClientId' | 'Scope' | 'TenantId' | 'ClientAuth' | 'Certificate';

export interface AuthDraft extends Record<SecretField | SettingField, string> {
  Type: AuthType;
  /** For the types that take a certificate instead of a client secret: which of the two the admin gives. */
  Credential: 'secret' | 'certificate';
}

export interface MailboxDraft {
  Name: string;
  Host: string;
  /** Empty: the API's default (993 with TLS, else 143). */
  Port: string;
  Tls: 'none' | 'starttls' | 'tls';
  TlsInsecure: boolean;
  User: string;
  Folder: string;
  AfterImport: 'seen' | 'move' | 'delete';
  MoveTo: string;
  Enabled: boolean;
  Auth: AuthDraft;
}

/** The types whose client may prove itself with a certificate instead of a secret. */
export const takesCertificate = (type: AuthType): boolean =>
  type === 'microsoft365' || type === 'oauth2-client-credentials';

/** The Auth fields each type uses, in the order the form shows them. */
export function authFieldsOf(auth: Pick<AuthDraft, 'Type' | 'Credential'>): (SecretField | SettingField)[] {
  const credential: (SecretField | SettingField)[] =
    auth.Credential === 'certificate' ? ['Certificate', 'PrivateKey'] : ['ClientSecret'];
  switch (auth.Type) {
    case 'password':
      return ['Password'];
    case 'microsoft365':
      return ['TenantId', 'ClientId', ...credential];
    case 'google':
      return ['ClientId', 'ClientSecret', 'RefreshToken'];
    case 'oauth2-client-credentials':
      return ['TokenUrl', 'ClientId', ...credential, 'Scope', 'ClientAuth'];
    case 'oauth2-refresh-token':
      return ['TokenUrl', 'ClientId', 'ClientSecret', 'RefreshToken', 'Scope', 'ClientAuth'];
  }
}

export const isSecret = (f: string): f is SecretField =>
  f === 'Password' || f === 'ClientSecret' || f === 'RefreshToken' || f === 'PrivateKey';

const emptyAuth = (): AuthDraft => ({
  Type: 'password',
  Credential: 'secret',
  Password: '',
  ClientSecret: '',
  RefreshToken: '',
  PrivateKey: '',
  TokenUrl: '',
  ClientId: '',
  Scope: '',
  TenantId: '',
  ClientAuth: '',
  Certificate: '',
});

/** The form for a new mailbox (no mailbox) or filled from one; its secrets are always empty. */
export function draftOf(m?: MailboxJson): MailboxDraft {
  if (!m) {
    return {
      Name: '',
      Host: '',
      Port: '',
      Tls: 'tls',
      TlsInsecure: false,
      User: '',
      Folder: 'INBOX',
      AfterImport: 'seen',
      MoveTo: '',
      Enabled: true,
      Auth: emptyAuth(),
    };
  }
  return {
    Name: m.Name,
    Host: m.Host,
    Port: String(m.Port),
    Tls: m.Tls,
    TlsInsecure: m.TlsInsecure,
    User: m.User,
    Folder: m.Folder,
    AfterImport: m.AfterImport,
    MoveTo: m.MoveTo ?? '',
    Enabled: m.Enabled,
    Auth: {
      ...emptyAuth(),
      Type: m.Auth.Type as AuthType,
      Credential: m.Auth.CertificateThumbprint ? 'certificate' : 'secret',
      TokenUrl: m.Auth.TokenUrl ?? '',
      ClientId: m.Auth.ClientId ?? '',
      Scope: m.Auth.Scope ?? '',
      TenantId: m.Auth.TenantId ?? '',
      ClientAuth: m.Auth.ClientAuth ?? '',
    },
  };
}

/** The Auth object of the API: the type's fields that are filled in (an empty secret is left for the API to keep). */
function authBody(auth: AuthDraft): Record<string, string> {
  const body: Record<string, string> = { Type: auth.Type };
  for (const f of authFieldsOf(auth)) {
    const value = isSecret(f) || f === 'Certificate' ? auth[f] : auth[f].trim();
    if (value) body[f] = value;
  }
  return body;
}

const CONNECTION = [
  'Name',
  'Host',
  'Port',
  'Tls',
  'TlsInsecure',
  'User',
  'Folder',
  'AfterImport',
  'MoveTo',
  'Enabled',
] as const;

function connectionValue(d: MailboxDraft, f: (typeof CONNECTION)[number]): unknown {
  switch (f) {
    case 'Port':
      return d.Port.trim() ? Number(d.Port) : undefined;
    case 'MoveTo':
      return d.AfterImport === 'move' ? d.MoveTo.trim() : null;
    case 'TlsInsecure':
    case 'Enabled':
    case 'Tls':
    case 'AfterImport':
      return d[f];
    default:
      return d[f].trim();
  }
}

/**
 * The body of POST (no `before`) or PUT: for a change, only the fields that differ from `before` (the form as it was
 * opened), and Auth only when one of its fields was touched; a secret left empty is not sent, so the API keeps it.
 */
export function requestBody(d: MailboxDraft, before?: MailboxDraft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of CONNECTION) {
    const value = connectionValue(d, f);
    if (value === undefined) continue;
    if (before && value === connectionValue(before, f)) continue;
    body[f] = value;
  }
  const authTouched = !before || (Object.keys(d.Auth) as (keyof AuthDraft)[]).some((k) => d.Auth[k] !== before.Auth[k]);
  if (authTouched) body.Auth = authBody(d.Auth);
  return body;
}
