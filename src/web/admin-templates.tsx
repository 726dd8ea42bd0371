import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, get, post, put } from './api.js';
import type { ReplyTemplate } from './types.js';

const BASE = '/api/admin/reply-templates';

/** Reply templates with variables ({{customer.name}}, {{case.number}}, {{agent.name}}, ...), for admins. */
export function AdminTemplates() {
  const [list, setList] = useState<ReplyTemplate[] | null>(null);
  const [editing, setEditing] = useState<Partial<ReplyTemplate> | null>(null);
  const [message, setMessage] = useState('');
  const load = () =>
    get<ReplyTemplate[] | { Items: ReplyTemplate[] }>(BASE)
      .then((t) => setList(Array.isArray(t) ? t : t.Items))
      .catch((err: Error) =>
        setMessage(
          err instanceof ApiError && err.status === 404 ? 'This server has no reply templates yet.' : err.message,
        ),
      );
  useEffect(() => void load(), []);

  async function save(e: Event) {
    e.preventDefault();
    if (!editing) return;
    try {
      const body = { Name: editing.Name, Body: editing.Body, Public: editing.Public ?? true };
      if (editing.Id) await put(`${BASE}/${encodeURIComponent(editing.Id)}`, body);
      else await post(BASE, body);
      setEditing(null);
      setMessage('Template saved.');
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  }

  async function remove(t: ReplyTemplate) {
    try {
      await api('DELETE', `${BASE}/${encodeURIComponent(t.Id)}`);
      await load();
    } catch (err) {
      setMessage((err as Error).message);
    }
  }

  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Reply templates</h1>
      {message && <p role="status">{message}</p>}
      <ul class="plain">
        {list?.map((t) => (
          <li>
            <strong>{t.Name}</strong>{' '}
            <button type="button" onClick={() => setEditing(t)}>
              Edit {t.Name}
            </button>{' '}
            <button type="button" onClick={() => remove(t)}>
              Delete {t.Name}
            </button>
          </li>
        ))}
      </ul>
      {list && (
        <button type="button" onClick={() => setEditing({ Name: '', Body: '', Public: true })}>
          New template
        </button>
      )}
      {editing && (
        <form class="form-page" onSubmit={save}>
          <label>
            Template name
            <input
              value={editing.Name}
              required
              onInput={(e) => setEditing({ ...editing, Name: e.currentTarget.value })}
            />
          </label>
          <label>
            Template text
            <textarea
              rows={8}
              value={editing.Body}
              required
              onInput={(e) => setEditing({ ...editing, Body: e.currentTarget.value })}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={editing.Public ?? true}
              onChange={(e) => setEditing({ ...editing, Public: e.currentTarget.checked })}
            />
            For public replies (unticked: for internal notes)
          </label>
          <p class="muted">
            Variables: {'{{customer.name}}'}, {'{{customer.email}}'}, {'{{case.number}}'}, {'{{case.subject}}'},{' '}
            {'{{agent.name}}'}
          </p>
          <button type="submit" class="primary">
            Save template
          </button>
        </form>
      )}
    </section>
  );
}
