import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, getIfPresent, patch, post, put } from './api.js';
import { listOrder, useApp } from './app-state.js';
import { dateInput, formatDate } from './format.js';
import { useShortcuts } from './keyboard.js';
import { onCaseEvent, onPresence } from './live.js';
import { ReplyBox, type ReplyKind } from './reply-box.js';
import { navigate } from './router.js';
import { StatusBar } from './status-bar.js';
import { ThreadItem } from './thread-item.js';
import type { Case, PresenceUser, SearchResult, Thread, ThreadItem as Item } from './types.js';

/** How often the open case tells the server the agent is still here (the server forgets after a while). */
const PRESENCE_EVERY_MS = 20_000;

/** The thread from the case itself, for a server without GET /api/cases/{id}/thread. */
function threadOfCase(c: Case): Thread {
  const items: Item[] = [
    ...[...c.CaseNotes, ...c.InternalNotes].map((n): Item => ({
      Kind: 'note',
      Id: n.Id,
      At: n.Created,
      Public: n.IsPublic,
      Text: n.Comment,
      AuthorName: n.CreatedBy,
      Email: null,
      Attachments: [],
    })),
    ...c.CaseStatusLog.map((s, i): Item => ({
      Kind: 'status',
      Id: `s${i}`,
      At: s.Timestamp,
      From: i > 0 ? c.CaseStatusLog[i - 1].Status : null,
      To: s.Status,
      ByName: s.ChangedBy,
      Reopened: false,
    })),
  ];
  items.sort((a, b) => a.At.localeCompare(b.At));
  return { CaseId: c.Id, CaseNumber: c.CaseNumber, ThreadVersion: '', Items: items };
}

export function CaseView(props: { id: string }) {
  const { session, settings, users } = useApp();
  const [c, setCase] = useState<Case | null>(null);
  const [thread, setThread] = useState<Thread | null>(null);
  const [others, setOthers] = useState<Case[]>([]);
  const [presence, setPresence] = useState<PresenceUser[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [kind, setKind] = useState<ReplyKind>('reply');
  const [typing, setTyping] = useState(false);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const caseId = c?.Id;

  const load = useCallback(async () => {
    try {
      const found = await get<Case>(`/api/cases/${encodeURIComponent(props.id)}`);
      setCase(found);
      const t = await getIfPresent<Thread>(`/api/cases/${encodeURIComponent(found.Id)}/thread`);
      setThread(t ?? threadOfCase(found));
      setError('');
      if (found.CustomerId) {
        const res = await post<SearchResult>('/api/cases/search', { CustomerId: found.CustomerId, Take: 10 });
        setOthers(res.Items.filter((o) => o.Id !== found.Id));
      } else setOthers([]);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? 'There is no such case.' : (err as Error).message);
    }
  }, [props.id]);

  useEffect(() => void load(), [load]);
  useEffect(
    () =>
      onCaseEvent((e) => {
        if (e.Change === 'resync' || e.CaseId === caseId || e.CaseNumber === props.id) void load();
      }),
    [caseId, load],
  );

  // Presence: viewing or replying, every PRESENCE_EVERY_MS and when it changes; "left" when the view closes.
  useEffect(() => {
    if (!caseId) return;
    const path = `/api/cases/${encodeURIComponent(caseId)}/presence`;
    const say = (Activity: string) => put(path, { Activity }).catch(() => undefined);
    void say(typing ? 'replying' : 'viewing');
    const timer = setInterval(() => void say(typing ? 'replying' : 'viewing'), PRESENCE_EVERY_MS);
    return () => clearInterval(timer);
  }, [caseId, typing]);
  useEffect(() => {
    if (!caseId) return;
    const path = `/api/cases/${encodeURIComponent(caseId)}/presence`;
    getIfPresent<{ Users: PresenceUser[] }>(path)
      .then((p) => p && setPresence(p.Users))
      .catch(() => undefined);
    const off = onPresence((e) => e.CaseId === caseId && setPresence(e.Users));
    const leave = () => void put(path, { Activity: 'left' }).catch(() => undefined);
    addEventListener('pagehide', leave);
    return () => (off(), removeEventListener('pagehide', leave), leave());
  }, [caseId]);

  async function act(fn: () => Promise<Case>) {
    setBusy(true);
    try {
      setCase(await fn());
      setError('');
      const t = await getIfPresent<Thread>(`/api/cases/${encodeURIComponent(caseId!)}/thread`);
      if (t) setThread(t);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const id = encodeURIComponent(caseId ?? '');
  const changeStatus = (status: string) =>
    act(() => post<Case>(`/api/cases/${id}/changestatus?status=${encodeURIComponent(status)}`));
  const assign = (userId: string) =>
    act(() => post<Case>(`/api/cases/${id}/assignto?userId=${encodeURIComponent(userId)}`));
  const update = (fields: Partial<Case>) => act(() => patch<Case>('/api/cases', { Id: caseId, ...fields }));

  const step = (delta: number) => {
    const i = listOrder.indexOf(c?.CaseNumber ?? props.id);
    const next = listOrder[i + delta];
    if (i >= 0 && next) navigate(`/cases/${next}`);
  };
  useShortcuts({
    j: () => step(1),
    k: () => step(-1),
    r: () => (setKind('reply'), setTimeout(() => replyRef.current?.focus())),
    n: () => (setKind('note'), setTimeout(() => replyRef.current?.focus())),
    a: () => c && c.AssignedToUserId !== session.UserId && void assign(session.UserId),
    s: () => document.getElementById('status-select')?.focus(),
    '/': () => navigate('/'),
  });

  if (!c) return error ? <p role="alert">{error}</p> : <p class="loading">Loading the case…</p>;
  const others2 = presence.filter((p) => p.UserId !== session.UserId);
  return (
    <div class="case-view">
      <article class="case-main" aria-labelledby="case-title">
        <p class="crumbs">
          <a href="#/">← Cases</a> <span class="case-number">{c.CaseNumber}</span>
        </p>
        <h1 id="case-title" tabIndex={-1}>
          {c.Subject || '(no subject)'}
        </h1>
        {others2.length > 0 && (
          <p class="presence" role="status">
            {others2.map((p) => `${p.Name} is ${p.Activity}`).join('; ')}
          </p>
        )}
        <StatusBar
          settings={settings}
          status={c.Status}
          next={c.NextSuggestedStatus}
          busy={busy}
          onChange={changeStatus}
          selectId="status-select"
        />
        {error && <p role="alert">{error}</p>}
        <section class="thread" aria-label="Thread">
          {c.Description && !thread?.Items.some((i) => i.Kind === 'email' && i.Direction === 'in') && (
            <article class="item description" aria-label="Description">
              <div class="body">{c.Description}</div>
            </article>
          )}
          {thread?.Items.map((item) => (
            <ThreadItem key={`${item.Kind}${item.Id}`} item={item} />
          ))}
        </section>
        <ReplyBox
          caseId={c.Id}
          threadVersion={thread?.ThreadVersion || undefined}
          kind={kind}
          onKind={setKind}
          onSent={load}
          onTyping={setTyping}
          textareaRef={replyRef}
        />
      </article>
      <aside class="case-side" aria-label="Case details">
        <h2>Details</h2>
        <label>
          Priority
          <select value={c.Priority} disabled={busy} onChange={(e) => update({ Priority: e.currentTarget.value })}>
            {settings.Priorities.map((p) => (
              <option>{p.Name}</option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select value={c.AssignedToUserId ?? ''} disabled={busy} onChange={(e) => assign(e.currentTarget.value)}>
            <option value="">Unassigned</option>
            {c.AssignedToUserId && !users.some((u) => u.Id === c.AssignedToUserId) && (
              <option value={c.AssignedToUserId}>{c.AssignedToName ?? c.AssignedToUserId}</option>
            )}
            {users.map((u) => (
              <option value={u.Id}>{u.Name}</option>
            ))}
          </select>
        </label>
        {c.AssignedToUserId !== session.UserId && (
          <button type="button" disabled={busy} onClick={() => assign(session.UserId)}>
            Assign to me
          </button>
        )}
        <label>
          Follow-up date
          <input
            type="date"
            value={dateInput(c.FollowUpDate)}
            disabled={busy}
            onChange={(e) => e.currentTarget.value && update({ FollowUpDate: `${e.currentTarget.value}T09:00:00Z` })}
          />
        </label>
        <fieldset>
          <legend>Tags</legend>
          {settings.Tags.length === 0 && <p class="muted">No tags are set up.</p>}
          {settings.Tags.map((t) => (
            <label class="check">
              <input
                type="checkbox"
                checked={c.Tags.includes(t)}
                disabled={busy}
                onChange={(e) =>
                  update({ Tags: e.currentTarget.checked ? [...c.Tags, t] : c.Tags.filter((x) => x !== t) })
                }
              />
              {t}
            </label>
          ))}
        </fieldset>
        <h2>Customer</h2>
        <p>
          {c.CustomerName || '(no name)'}
          {c.CustomerEmail && (
            <>
              <br />
              <a href={`mailto:${c.CustomerEmail}`}>{c.CustomerEmail}</a>
            </>
          )}
        </p>
        {others.length > 0 && (
          <>
            <h3>Other cases of this customer</h3>
            <ul class="plain">
              {others.map((o) => (
                <li>
                  <a href={`#/cases/${o.CaseNumber}`}>
                    {o.CaseNumber} {o.Subject}
                  </a>{' '}
                  <span class="badge">{o.Status}</span>
                </li>
              ))}
            </ul>
          </>
        )}
        <h2>Related orders</h2>
        {c.RelatedOrders.length ? (
          <ul class="plain">
            {c.RelatedOrders.map((o) => (
              <li>{o}</li>
            ))}
          </ul>
        ) : (
          <p class="muted">None</p>
        )}
        <p class="muted">
          Created {formatDate(c.Created)} · changed {formatDate(c.Changed)}
        </p>
        <p class="muted">Keys: j/k next/previous case, r reply, n note, a assign to me, s status, / back to the list</p>
      </aside>
    </div>
  );
}
