import { useState } from 'preact/hooks';
import { post } from './api.js';
import { useApp } from './app-state.js';
import { navigate } from './router.js';
import type { Case } from './types.js';

/** Create a case by hand: only the subject is required, as in the API. */
export function NewCase() {
  const { settings } = useApp();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (k: string) => String(form.get(k) ?? '').trim();
    const body: Record<string, unknown> = { Subject: value('subject'), Source: 'Web' };
    if (value('description')) body.Description = value('description');
    if (value('customerName')) body.CustomerName = value('customerName');
    if (value('customerEmail')) body.CustomerEmail = value('customerEmail');
    if (value('priority')) body.Priority = value('priority');
    setBusy(true);
    try {
      const created = await post<Case>('/api/cases', body);
      navigate(`/cases/${created.CaseNumber}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="form-page" aria-labelledby="new-title">
      <h1 id="new-title">New case</h1>
      <form onSubmit={submit}>
        <label>
          Subject (required)
          <input name="subject" required maxLength={1000} />
        </label>
        <label>
          Description
          <textarea name="description" rows={5} />
        </label>
        <label>
          Customer name
          <input name="customerName" />
        </label>
        <label>
          Customer email
          <input name="customerEmail" type="email" />
        </label>
        <label>
          Priority
          <select name="priority" defaultValue={settings.DefaultPriority}>
            {settings.Priorities.map((p) => (
              <option>{p.Name}</option>
            ))}
          </select>
        </label>
        {error && <p role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>
          Create case
        </button>
      </form>
    </section>
  );
}
