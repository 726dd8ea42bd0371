import { useEffect, useState } from 'preact/hooks';
import { get, put } from './api.js';
import type { Settings } from './types.js';

const lines = (text: string) =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

/** Case settings: statuses with levels and their designations, priorities, tags, the number prefix. */
export function AdminSettings() {
  const [s, setS] = useState<Settings | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    get<Settings>('/api/cases/settings')
      .then(setS)
      .catch((err: Error) => setMessage(err.message));
  }, []);
  if (!s) return <p role="status">{message || 'Loading the settings…'}</p>;

  const set = (patch: Partial<Settings>) => setS({ ...s, ...patch });
  const names = s.Statuses.map((x) => x.Name);

  async function save(e: Event) {
    e.preventDefault();
    const { NextNumber: _next, ...body } = s!;
    try {
      setS(await put<Settings>('/api/cases/settings', body));
      setMessage('Settings saved.');
    } catch (err) {
      setMessage((err as Error).message);
    }
  }

  const designation = (key: 'StatusNew' | 'StatusClosed' | 'StatusReopen' | 'StatusResolved', label: string) => (
    <label>
      {label}
      <select value={s[key]} onChange={(e) => set({ [key]: e.currentTarget.value })}>
        {names.map((n) => (
          <option>{n}</option>
        ))}
      </select>
    </label>
  );

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Case settings</h1>
      <form class="settings" onSubmit={save}>
        <fieldset>
          <legend>Statuses (in level order)</legend>
          {s.Statuses.map((st, i) => (
            <div class="row">
              <label>
                Status name {i + 1}
                <input
                  value={st.Name}
                  required
                  onInput={(e) =>
                    set({
                      Statuses: s.Statuses.map((x, j) => (j === i ? { ...x, Name: e.currentTarget.value } : x)),
                    })
                  }
                />
              </label>
              <label>
                Level
                <input
                  type="number"
                  min={0}
                  max={1000}
                  value={st.Level}
                  onInput={(e) =>
                    set({
                      Statuses: s.Statuses.map((x, j) =>
                        j === i ? { ...x, Level: Number(e.currentTarget.value) } : x,
                      ),
                    })
                  }
                />
              </label>
              <button type="button" onClick={() => set({ Statuses: s.Statuses.filter((_, j) => j !== i) })}>
                Remove {st.Name}
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() =>
              set({
                Statuses: [...s.Statuses, { Name: '', Level: Math.max(0, ...s.Statuses.map((x) => x.Level)) + 1 }],
              })
            }
          >
            Add status
          </button>
        </fieldset>
        <fieldset>
          <legend>Designations</legend>
          {designation('StatusNew', 'Status of new cases')}
          {designation('StatusClosed', 'Closed status')}
          {designation('StatusReopen', 'Status a reply to a closed case moves to')}
          {designation('StatusResolved', 'Resolved status')}
        </fieldset>
        <fieldset>
          <legend>Priorities</legend>
          {s.Priorities.map((p, i) => (
            <div class="row">
              <label>
                Priority name {i + 1}
                <input
                  value={p.Name}
                  required
                  onInput={(e) =>
                    set({
                      Priorities: s.Priorities.map((x, j) => (j === i ? { ...x, Name: e.currentTarget.value } : x)),
                    })
                  }
                />
              </label>
              <label>
                Severity
                <input
                  type="number"
                  value={p.Severity}
                  onInput={(e) =>
                    set({
                      Priorities: s.Priorities.map((x, j) =>
                        j === i ? { ...x, Severity: Number(e.currentTarget.value) } : x,
                      ),
                    })
                  }
                />
              </label>
              <button type="button" onClick={() => set({ Priorities: s.Priorities.filter((_, j) => j !== i) })}>
                Remove {p.Name}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => set({ Priorities: [...s.Priorities, { Name: '', Severity: 0 }] })}>
            Add priority
          </button>
          <label>
            Default priority
            <select value={s.DefaultPriority} onChange={(e) => set({ DefaultPriority: e.currentTarget.value })}>
              {s.Priorities.map((p) => (
                <option>{p.Name}</option>
              ))}
            </select>
          </label>
        </fieldset>
        <label>
          Tags (one per line)
          <textarea rows={5} value={s.Tags.join('\n')} onChange={(e) => set({ Tags: lines(e.currentTarget.value) })} />
        </label>
        <label>
          Case number prefix
          <input value={s.NumberPrefix} onInput={(e) => set({ NumberPrefix: e.currentTarget.value })} />
        </label>
        <p class="muted">The next case gets number {s.NextNumber}.</p>
        {message && <p role="status">{message}</p>}
        <button type="submit" class="primary">
          Save settings
        </button>
      </form>
    </section>
  );
}
