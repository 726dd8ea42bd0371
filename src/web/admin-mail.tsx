import { useEffect, useState } from 'preact/hooks';
import { get, post, put } from './api.js';
import { formatDate } from './format.js';

interface FailedMessage {
  Id: string;
  Mailbox: string;
  From: string | null;
  Subject: string | null;
  Attempts: number;
  Error: string | null;
  ReceivedAt: string;
}

export function AdminFailedMail() {
  const [items, setItems] = useState<FailedMessage[] | null>(null);
  const [message, setMessage] = useState('');
  const load = () =>
    get<FailedMessage[]>('/api/inbound/failed')
      .then(setItems)
      .catch((err: Error) => setMessage(err.message));
  useEffect(() => void load(), []);
  const retry = async (id?: string) => {
    try {
      if (id) await post(`/api/inbound/failed/${encodeURIComponent(id)}/retry`);
      else await post('/api/inbound/failed/retry-all');
      setMessage(id ? 'Queued again.' : 'Every failed message is queued again.');
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="failed-title">
      <h1 id="failed-title">Failed mail</h1>
      {message && <p role="status">{message}</p>}
      {items && items.length === 0 && <p>No failed messages.</p>}
      {items && items.length > 0 && (
        <>
          <button type="button" onClick={() => retry()}>
            Retry all
          </button>
          <table>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">From</th>
                <th scope="col">Subject</th>
                <th scope="col">Error</th>
                <th scope="col">Attempts</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr>
                  <td>{formatDate(m.ReceivedAt)}</td>
                  <td>{m.From}</td>
                  <td>{m.Subject}</td>
                  <td class="error-text">{m.Error}</td>
                  <td>{m.Attempts}</td>
                  <td>
                    <a href={`/api/inbound/messages/${encodeURIComponent(m.Id)}/raw`}>View raw</a>{' '}
                    <button type="button" onClick={() => retry(m.Id)}>
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

interface Mailbox {
  Id: string;
  Name: string;
  Key: string;
  Enabled: boolean;
  Source: 'env' | 'api';
  Auth: { Type: string };
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

interface MailboxReport {
  Mailboxes: Mailbox[];
  Removed: { Key: string; Backlog: number; Failed: number }[];
  BacklogTotal: number;
}

interface MailboxTest {
  Ok: boolean;
  FailedStep: string | null;
  Steps: { Step: string; Ok: boolean; Message: string }[];
}

export function AdminMailboxes() {
  const [report, setReport] = useState<MailboxReport | null>(null);
  const [message, setMessage] = useState('');
  const load = () =>
    get<MailboxReport>('/api/admin/mailboxes')
      .then(setReport)
      .catch((err: Error) => setMessage(err.message));
  useEffect(() => void load(), []);
  const act = async (fn: () => Promise<string>) => {
    try {
      setMessage(await fn());
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const test = (m: Mailbox) =>
    act(async () => {
      const t = await post<MailboxTest>(`/api/admin/mailboxes/${encodeURIComponent(m.Id)}/test`);
      return `${m.Name}: ${t.Steps.map((s) => `${s.Step} ${s.Ok ? 'ok' : 'failed'} (${s.Message})`).join('; ')}`;
    });
  const toggle = (m: Mailbox) =>
    act(async () => {
      await put(`/api/admin/mailboxes/${encodeURIComponent(m.Id)}`, { Enabled: !m.Enabled });
      return `${m.Name} ${m.Enabled ? 'disabled' : 'enabled'}.`;
    });
  return (
    <section aria-labelledby="mailboxes-title">
      <h1 id="mailboxes-title">Mailboxes</h1>
      {message && <p role="status">{message}</p>}
      {report && (
        <>
          <p>Backlog of every source: {report.BacklogTotal}</p>
          {report.Mailboxes.length === 0 && (
            <p>No mailboxes yet: add one with POST /api/admin/mailboxes (see the API page) or IMAP_URL.</p>
          )}
          <table>
            <thead>
              <tr>
                <th scope="col">Mailbox</th>
                <th scope="col">State</th>
                <th scope="col">Last import</th>
                <th scope="col">Last error</th>
                <th scope="col">Backlog</th>
                <th scope="col">Failed</th>
                <th scope="col">Poller</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {report.Mailboxes.map((m) => (
                <tr>
                  <td>
                    {m.Name}
                    {m.Name !== m.Key && <div class="muted">{m.Key}</div>}
                    <div class="muted">
                      {m.Auth.Type}
                      {m.Source === 'env' && ', from IMAP_URL'}
                      {!m.Enabled && ', disabled'}
                    </div>
                  </td>
                  <td>
                    <span class={`badge state-${m.Health.State}`}>{m.Health.State}</span>{' '}
                    {formatDate(m.Health.StateChangedAt)}
                  </td>
                  <td>{formatDate(m.Health.LastImportAt)}</td>
                  <td class="error-text">
                    {m.Health.LastError} {m.Health.LastErrorAt && formatDate(m.Health.LastErrorAt)}
                  </td>
                  <td>
                    {m.Health.Backlog}
                    {m.Health.OldestBacklogAt && ` (oldest ${formatDate(m.Health.OldestBacklogAt)})`}
                  </td>
                  <td>{m.Health.Failed > 0 ? <a href="#/admin/failed">{m.Health.Failed}</a> : 0}</td>
                  <td>{m.Health.Lease ? m.Health.Lease.Holder : 'none'}</td>
                  <td>
                    <button type="button" onClick={() => test(m)}>
                      Test
                    </button>{' '}
                    <button type="button" onClick={() => toggle(m)}>
                      {m.Enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
              ))}
              {report.Removed.map((r) => (
                <tr>
                  <td>{r.Key} (removed)</td>
                  <td>—</td>
                  <td>—</td>
                  <td />
                  <td>{r.Backlog}</td>
                  <td>{r.Failed > 0 ? <a href="#/admin/failed">{r.Failed}</a> : 0}</td>
                  <td>none</td>
                  <td />
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
