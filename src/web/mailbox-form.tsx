import { useEffect, useRef, useState } from 'preact/hooks';
import { post, put } from './api.js';
import {
  AUTH_TYPES,
  authFieldsOf,
  draftOf,
  isSecret,
  requestBody,
  takesCertificate,
  type AuthDraft,
  type AuthType,
  type MailboxDraft,
  type MailboxJson,
} from './mailbox-draft.js';

const AUTH_LABELS: Record<Exclude<keyof AuthDraft, 'Type' | 'Credential'>, string> = {
  Password: 'Password',
  TenantId: 'Tenant ID',
  ClientId: 'Client ID',
  ClientSecret: 'Client secret',
  Certificate: 'Certificate (PEM)',
  PrivateKey: 'Private key (PEM)',
  TokenUrl: 'Token URL',
  Scope: 'Scope',
  ClientAuth: 'Client authentication',
  RefreshToken: 'Refresh token',
};

/**
 * Adds a mailbox (no `mailbox`) or changes one. Secrets are never shown: a stored one leaves its field empty with
 * "unchanged (stored)", and it is sent only when the admin types a new one. The API's answer to a refused save
 * (400, 409, 503) is shown as it is.
 */
export function MailboxForm(props: {
  mailbox?: MailboxJson;
  onSaved: (saved: MailboxJson) => void;
  onCancel: () => void;
}) {
  const { mailbox } = props;
  const [opened] = useState(() => draftOf(mailbox));
  const [draft, setDraft] = useState<MailboxDraft>(opened);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const set = (fields: Partial<MailboxDraft>) => setDraft((d) => ({ ...d, ...fields }));
  const setAuth = (fields: Partial<AuthDraft>) => setDraft((d) => ({ ...d, Auth: { ...d.Auth, ...fields } }));
  const stored = (f: string) =>
    Boolean(mailbox && mailbox.Auth.Type === draft.Auth.Type && mailbox.Auth.Secrets.includes(f));

  async function save(e: Event) {
    e.preventDefault();
    setError('');
    const body = requestBody(draft, mailbox ? opened : undefined);
    if (mailbox && Object.keys(body).length === 0) {
      setError('Nothing changed.');
      return;
    }
    setBusy(true);
    try {
      const saved = mailbox
        ? await put<MailboxJson>(`/api/admin/mailboxes/${encodeURIComponent(mailbox.Id)}`, body)
        : await post<MailboxJson>('/api/admin/mailboxes', body);
      props.onSaved(saved);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const title = mailbox ? `Edit ${mailbox.Name}` : 'New mailbox';
  return (
    <form class="form-page mailbox-form" aria-labelledby="mailbox-form-title" onSubmit={save}>
      <h2 id="mailbox-form-title">{title}</h2>
      <fieldset>
        <legend>Connection</legend>
        <label>
          Name
          <input ref={first} value={draft.Name} required onInput={(e) => set({ Name: e.currentTarget.value })} />
        </label>
        <label>
          Host
          <input value={draft.Host} required onInput={(e) => set({ Host: e.currentTarget.value })} />
        </label>
        <label>
          Port
          <input
            type="number"
            min={1}
            max={65535}
            value={draft.Port}
            placeholder={draft.Tls === 'tls' ? '993' : '143'}
            onInput={(e) => set({ Port: e.currentTarget.value })}
          />
        </label>
        <div class="field">
          <label for="mailbox-tls">TLS</label>
          <select
            id="mailbox-tls"
            value={draft.Tls}
            onChange={(e) => set({ Tls: e.currentTarget.value as MailboxDraft['Tls'] })}
          >
            <option value="tls">TLS (IMAPS)</option>
            <option value="starttls">STARTTLS (required)</option>
            <option value="none">None (a local test server only)</option>
          </select>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={draft.TlsInsecure}
            onChange={(e) => set({ TlsInsecure: e.currentTarget.checked })}
          />
          Accept any certificate (test servers only)
        </label>
        <label>
          User
          <input value={draft.User} required autoComplete="off" onInput={(e) => set({ User: e.currentTarget.value })} />
        </label>
        <label>
          Folder
          <input value={draft.Folder} onInput={(e) => set({ Folder: e.currentTarget.value })} />
        </label>
        <div class="field">
          <label for="mailbox-after-import">After import</label>
          <select
            id="mailbox-after-import"
            value={draft.AfterImport}
            onChange={(e) => set({ AfterImport: e.currentTarget.value as MailboxDraft['AfterImport'] })}
          >
            <option value="seen">Mark as seen</option>
            <option value="move">Move to a folder</option>
            <option value="delete">Delete from the server</option>
          </select>
        </div>
        {draft.AfterImport === 'move' && (
          <label>
            Move to folder
            <input value={draft.MoveTo} onInput={(e) => set({ MoveTo: e.currentTarget.value })} />
          </label>
        )}
        <label class="check">
          <input type="checkbox" checked={draft.Enabled} onChange={(e) => set({ Enabled: e.currentTarget.checked })} />
          Enabled
        </label>
      </fieldset>
      <fieldset>
        <legend>Sign-in</legend>
        <div class="field">
          <label for="mailbox-auth-type">Sign-in type</label>
          <select
            id="mailbox-auth-type"
            value={draft.Auth.Type}
            onChange={(e) => setAuth({ Type: e.currentTarget.value as AuthType })}
          >
            {AUTH_TYPES.map((t) => (
              <option value={t.value}>{t.label}</option>
            ))}
          </select>
        </div>
        {takesCertificate(draft.Auth.Type) && (
          <div class="field">
            <label for="mailbox-credential">Client credential</label>
            <select
              id="mailbox-credential"
              value={draft.Auth.Credential}
              onChange={(e) => setAuth({ Credential: e.currentTarget.value as AuthDraft['Credential'] })}
            >
              <option value="secret">Client secret</option>
              <option value="certificate">Certificate</option>
            </select>
          </div>
        )}
        {authFieldsOf(draft.Auth).map((f) => (
          <AuthField
            field={f}
            value={draft.Auth[f]}
            stored={stored(f)}
            certificate={f === 'Certificate' ? mailbox?.Auth.CertificateThumbprint : undefined}
            onInput={(value) => setAuth({ [f]: value })}
          />
        ))}
      </fieldset>
      <div class="reply-actions">
        {error && (
          <p role="alert" class="error-text">
            {error}
          </p>
        )}
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          Save mailbox
        </button>
      </div>
    </form>
  );
}

function AuthField(props: {
  field: ReturnType<typeof authFieldsOf>[number];
  value: string;
  stored: boolean;
  certificate: string | undefined;
  onInput: (value: string) => void;
}) {
  const { field, value, stored } = props;
  const label = AUTH_LABELS[field];
  const input = (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value);
  const placeholder = stored ? 'unchanged (stored)' : undefined;
  if (field === 'ClientAuth') {
    return (
      <div class="field">
        <label for="mailbox-client-auth">{label}</label>
        <select id="mailbox-client-auth" value={value} onChange={input}>
          <option value="">HTTP Basic (default)</option>
          <option value="basic">HTTP Basic</option>
          <option value="body">In the form body</option>
        </select>
      </div>
    );
  }
  if (field === 'Certificate' || field === 'PrivateKey') {
    // A PEM spans lines; a stored certificate is shown by its thumbprint, a stored key not at all.
    const hint = field === 'Certificate' && props.certificate ? `Stored: thumbprint ${props.certificate}` : undefined;
    return (
      <>
        <label>
          {label}
          <textarea
            rows={4}
            value={value}
            spellcheck={false}
            autoComplete="off"
            aria-describedby={hint ? 'mailbox-certificate-hint' : undefined}
            placeholder={field === 'PrivateKey' ? placeholder : hint ? 'unchanged (stored)' : undefined}
            onInput={input}
          />
        </label>
        {hint && (
          <p id="mailbox-certificate-hint" class="muted">
            {hint}
          </p>
        )}
      </>
    );
  }
  if (isSecret(field)) {
    const hint = field === 'RefreshToken';
    return (
      <>
        <label>
          {label}
          <input
            type="password"
            autoComplete="off"
            value={value}
            placeholder={placeholder}
            aria-describedby={hint ? 'mailbox-refresh-hint' : undefined}
            onInput={input}
          />
        </label>
        {hint && (
          <p id="mailbox-refresh-hint" class="muted">
            from npx intake mailbox authorize {'<name>'}
          </p>
        )}
      </>
    );
  }
  return (
    <label>
      {label}
      <input value={value} placeholder={field === 'Scope' ? 'the provider’s default' : undefined} onInput={input} />
    </label>
  );
}
