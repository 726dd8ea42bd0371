import type { Settings } from './types.js';

/** The statuses in level order, the current one highlighted; the next suggested one a button; any other by choice. */
export function StatusBar(props: {
  settings: Settings;
  status: string;
  next: string | null;
  busy: boolean;
  onChange: (status: string) => void;
  selectId: string;
}) {
  const statuses = [...props.settings.Statuses].sort((a, b) => a.Level - b.Level);
  return (
    <div class="status-bar">
      <ol aria-label="Status">
        {statuses.map((s) => (
          <li
            class={s.Name === props.status ? 'current' : ''}
            aria-current={s.Name === props.status ? 'step' : undefined}
          >
            {s.Name}
          </li>
        ))}
      </ol>
      <div class="status-actions">
        {props.next && (
          <button type="button" class="primary" disabled={props.busy} onClick={() => props.onChange(props.next!)}>
            Move to {props.next}
          </button>
        )}
        <label>
          Change status
          <select
            id={props.selectId}
            value={props.status}
            disabled={props.busy}
            onChange={(e) => props.onChange(e.currentTarget.value)}
          >
            {statuses.map((s) => (
              <option>{s.Name}</option>
            ))}
          </select>
        </label>
      </div>
    </div>
  );
}
