import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, post, put } from './api.js';
import { formatDate } from './format.js';
import type { MailboxJson as Mailbox } from './mailbox-draft.js';
import { MailboxForm } from './mailbox-form.js';

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
  /** The mailbox being edited, or "new" for the form of a new one. */
  const [editing, setEditing] = useState<Mailbox | 'new' | null>(null);
  /** The mailbox whose Delete was clicked once: the second click deletes. */
  const [deleting, setDeleting] = useState<string | null>(null);
  /** The mailbox just saved, offered for a test. */
  const [saved, setSaved] = useState<Mailbox | null>(null);
  const [tested, setTested] = useState<{ name: string; result: MailboxTest } | null>(null);
  const [testing, setTesting] = useState('');
  // The form closes on save or cancel: focus goes to what comes next, not to the page's top.
  const testNow = useRef<HTMLButtonElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const formWasOpen = useRef(false);
  useEffect(() => {
    if (editing !== null) formWasOpen.current = true;
    if (editing !== null || !formWasOpen.current) return;
    formWasOpen.current = false;
    if (saved) testNow.current?.focus();
    else addButton.current?.focus();
  }, [editing]);
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
  const test = async (m: Mailbox) => {
    setTested(null);
    setTesting(m.Name);
    try {
      const result = await post<MailboxTest>(`/api/admin/mailboxes/${encodeURIComponent(m.Id)}/test`);
      setTested({ name: m.Name, result });
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setTesting('');
    }
  };
  const toggle = (m: Mailbox) =>
    act(async () => {
      await put(`/api/admin/mailboxes/${encodeURIComponent(m.Id)}`, { Enabled: !m.Enabled });
      return `${m.Name} ${m.Enabled ? 'disabled' : 'enabled'}.`;
    });
  const remove = (m: Mailbox) =>
    act(async () => {
      setDeleting(null);
      await api('DELETE', `/api/admin/mailboxes/${encodeURIComponent(m.Id)}`);
      if (saved?.Id === m.Id) setSaved(null);
      if (editing !== null && editing !== 'new' && editing.Id === m.Id) setEditing(null);
      return `${m.Name} deleted.`;
    });
  const open = (m: Mailbox | 'new') => {
    setEditing(m);
    setSaved(null);
    setTested(null);
    setMessage('');
  };
  const onSaved = (m: Mailbox) => {
    setEditing(null);
    setSaved(m);
    setTested(null);
    void act(async () => `${m.Name} saved.`);
  };
  return (
    <section aria-labelledby="mailboxes-title">
      <h1 id="mailboxes-title">Mailboxes</h1>
      <div class="row-actions">
        <p role="status">{testing ? `Testing ${testing}…` : message}</p>
        {saved && !testing && (
          <button type="button" ref={testNow} onClick={() => test(saved)}>
            Test {saved.Name} now
          </button>
        )}
      </div>
      {tested && <TestResult name={tested.name} result={tested.result} />}
      {editing === null && (
        <button type="button" class="primary" ref={addButton} onClick={() => open('new')}>
          Add mailbox
        </button>
      )}
      {editing !== null && (
        <MailboxForm
          key={editing === 'new' ? 'new' : editing.Id}
          mailbox={editing === 'new' ? undefined : editing}
          onSaved={onSaved}
          onCancel={() => setEditing(null)}
        />
      )}
      {report && (
        <>
          <p>Backlog of every source: {report.BacklogTotal}</p>
          {report.Mailboxes.length === 0 && <p>No mailboxes yet: add one here, through the API or with IMAP_URL.</p>}
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
                    <button type="button" onClick={() => test(m)} disabled={Boolean(testing)}>
                      Test
                    </button>{' '}
                    <button type="button" onClick={() => open(m)}>
                      Edit
                    </button>{' '}
                    <button type="button" onClick={() => toggle(m)}>
                      {m.Enabled ? 'Disable' : 'Enable'}
                    </button>{' '}
                    {deleting === m.Id ? (
                      <>
                        <button type="button" class="danger" onClick={() => remove(m)}>
                          Really delete?
                        </button>{' '}
                        <button type="button" onClick={() => setDeleting(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" onClick={() => setDeleting(m.Id)}>
                        Delete
                      </button>
                    )}
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

/** A test's steps as the API answered them, the failed one marked. */
function TestResult(props: { name: string; result: MailboxTest }) {
  const { name, result } = props;
  return (
    <section class="test-result" aria-labelledby="mailbox-test-title">
      <h2 id="mailbox-test-title">
        Test of {name}: {result.Ok ? 'it works' : `failed at ${result.FailedStep}`}
      </h2>
      <ol>
        {result.Steps.map((s) => (
          <li class={s.Ok ? undefined : 'error-text'}>
            {s.Step}: {s.Ok ? 'ok' : 'failed'} ({s.Message})
          </li>
        ))}
      </ol>
    </section>
  );
}
