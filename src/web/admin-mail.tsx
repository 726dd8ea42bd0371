import { useEffect, useState } from 'preact/hooks';
import { get, post } from './api.js';
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

interface MailboxHealth {
  mailbox: string;
  configured: boolean;
  state: string;
  stateChangedAt: string | null;
  lastFetchAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  backlog: number;
  oldestBacklogAt: string | null;
  failed: number;
  lease: { holder: string; ttlMs: number } | null;
}

export function AdminMailboxes() {
  const [report, setReport] = useState<{ mailboxes: MailboxHealth[]; backlogTotal: number } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get<{ mailboxes: MailboxHealth[]; backlogTotal: number }>('/api/admin/mailboxes')
      .then(setReport)
      .catch((err: Error) => setError(err.message));
  }, []);
  return (
    <section aria-labelledby="mailboxes-title">
      <h1 id="mailboxes-title">Mailboxes</h1>
      {error && <p role="alert">{error}</p>}
      {report && (
        <>
          <p>Backlog of every source: {report.backlogTotal}</p>
          {report.mailboxes.length === 0 && <p>No mailboxes are configured.</p>}
          <table>
            <thead>
              <tr>
                <th scope="col">Mailbox</th>
                <th scope="col">State</th>
                <th scope="col">Last fetch</th>
                <th scope="col">Last error</th>
                <th scope="col">Backlog</th>
                <th scope="col">Failed</th>
                <th scope="col">Poller</th>
              </tr>
            </thead>
            <tbody>
              {report.mailboxes.map((m) => (
                <tr>
                  <td>
                    {m.mailbox}
                    {!m.configured && ' (no longer configured)'}
                  </td>
                  <td>
                    <span class={`badge state-${m.state}`}>{m.state}</span> {formatDate(m.stateChangedAt)}
                  </td>
                  <td>{formatDate(m.lastFetchAt)}</td>
                  <td class="error-text">
                    {m.lastError} {m.lastErrorAt && formatDate(m.lastErrorAt)}
                  </td>
                  <td>
                    {m.backlog}
                    {m.oldestBacklogAt && ` (oldest ${formatDate(m.oldestBacklogAt)})`}
                  </td>
                  <td>{m.failed > 0 ? <a href="#/admin/failed">{m.failed}</a> : 0}</td>
                  <td>{m.lease ? m.lease.holder : 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
