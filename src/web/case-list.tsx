import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getIfPresent, post } from './api.js';
import { setListOrder, useApp } from './app-state.js';
import { formatDate } from './format.js';
import { useShortcuts } from './keyboard.js';
import { onCaseEvent } from './live.js';
import { navigate } from './router.js';
import type { Counts, SearchResult } from './types.js';
import { EMPTY, loadFilters, PAGE_SIZE, saveFilters, searchBody, type Filters } from './list-filters.js';

const SORT_ORDERS: [string, string][] = [
  ['CreatedDescending', 'Newest first'],
  ['CreatedAscending', 'Oldest first'],
  ['ChangedDescending', 'Recently changed'],
  ['ChangedAscending', 'Least recently changed'],
  ['PriorityDescending', 'Priority, highest first'],
  ['PriorityAscending', 'Priority, lowest first'],
  ['StatusAscending', 'Status, first level first'],
  ['StatusDescending', 'Status, last level first'],
  ['SubjectAscending', 'Subject A–Z'],
  ['SubjectDescending', 'Subject Z–A'],
  ['CustomerNameAscending', 'Customer A–Z'],
  ['CustomerNameDescending', 'Customer Z–A'],
];

export function CaseList() {
  const { session, settings, users } = useApp();
  const [filters, setFilters] = useState<Filters>(loadFilters);
  const [result, setResult] = useState<SearchResult | null>(null);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [error, setError] = useState('');
  const [selected, setSelected] = useState(0);
  const [showMore, setShowMore] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLTableSectionElement>(null);
  const latest = useRef(0);

  const load = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const [res, c] = await Promise.all([
        post<SearchResult>('/api/cases/search', searchBody(filters, session.UserId)),
        getIfPresent<Counts>('/api/cases/counts'),
      ]);
      if (ticket !== latest.current) return;
      setResult(res);
      setCounts(c ?? null);
      setListOrder(res.Items.map((c) => c.CaseNumber));
      setError('');
    } catch (err) {
      if (ticket === latest.current) setError((err as Error).message);
    }
  }, [filters, session.UserId]);

  useEffect(() => {
    saveFilters(filters);
    const timer = setTimeout(load, 150);
    return () => clearTimeout(timer);
  }, [load, filters]);

  // A new or changed case reloads the page of the list (coalesced: a burst of events is one search).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = onCaseEvent(() => {
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    });
    return () => (off(), clearTimeout(timer));
  }, [load]);

  const items = result?.Items ?? [];
  const open = (i: number) => items[i] && navigate(`/cases/${items[i].CaseNumber}`);
  const focusRow = (i: number) => {
    setSelected(i);
    listRef.current?.querySelectorAll<HTMLAnchorElement>('a.case-link')[i]?.focus();
  };
  // The first j or k only puts the focus on the selected row; then they move it.
  const inList = () => (document.activeElement as HTMLElement | null)?.classList.contains('case-link') ?? false;
  useShortcuts({
    j: () => focusRow(inList() ? Math.min(selected + 1, items.length - 1) : selected),
    k: () => focusRow(inList() ? Math.max(selected - 1, 0) : selected),
    Enter: () => open(selected),
    '/': () => searchRef.current?.focus(),
  });

  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, page: 0, ...patch }));
  const statusNames = [...settings.Statuses].sort((a, b) => a.Level - b.Level).map((s) => s.Name);
  const pages = result ? Math.max(1, Math.ceil(result.TotalHits / PAGE_SIZE)) : 1;

  return (
    <section aria-labelledby="list-title">
      <div class="list-head">
        <h1 id="list-title">Cases</h1>
        {counts && (
          <ul class="counts" aria-label="Counts">
            <li>
              <button type="button" onClick={() => set({ unassigned: true, mine: false, assignee: '' })}>
                Unassigned <strong>{counts.Unassigned}</strong>
              </button>
            </li>
            <li>
              <span>
                Waiting <strong>{counts.Waiting}</strong>
              </span>
            </li>
            <li>
              <button type="button" onClick={() => set({ mine: true, unassigned: false })}>
                Mine <strong>{counts.Mine}</strong>
              </button>
            </li>
            <li>
              <span>
                Open <strong>{counts.Open}</strong>
              </span>
            </li>
          </ul>
        )}
      </div>
      <form class="filters" role="search" aria-label="Filter cases" onSubmit={(e) => (e.preventDefault(), load())}>
        <label>
          Search
          <input
            ref={searchRef}
            type="search"
            value={filters.text}
            placeholder="Text, case number or email  ( / )"
            onInput={(e) => set({ text: e.currentTarget.value })}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={filters.mine} onChange={(e) => set({ mine: e.currentTarget.checked })} />
          My cases
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={filters.unassigned}
            onChange={(e) => set({ unassigned: e.currentTarget.checked })}
          />
          Unassigned only
        </label>
        <label>
          Sort
          <select value={filters.sort} onChange={(e) => set({ sort: e.currentTarget.value })}>
            {SORT_ORDERS.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        <button type="button" aria-expanded={showMore} onClick={() => setShowMore(!showMore)}>
          {showMore ? 'Fewer filters' : 'More filters'}
        </button>
        {showMore && (
          <div class="more-filters">
            <fieldset>
              <legend>Status</legend>
              {statusNames.map((name) => (
                <label class="check">
                  <input
                    type="checkbox"
                    checked={filters.statuses.includes(name)}
                    onChange={(e) =>
                      set({
                        statuses: e.currentTarget.checked
                          ? [...filters.statuses, name]
                          : filters.statuses.filter((s) => s !== name),
                      })
                    }
                  />
                  {name}
                </label>
              ))}
            </fieldset>
            <label>
              Priority
              <select value={filters.priority} onChange={(e) => set({ priority: e.currentTarget.value })}>
                <option value="">Any</option>
                {settings.Priorities.map((p) => (
                  <option>{p.Name}</option>
                ))}
              </select>
            </label>
            <label>
              Assignee
              <select value={filters.assignee} onChange={(e) => set({ assignee: e.currentTarget.value })}>
                <option value="">Anyone</option>
                {users.map((u) => (
                  <option value={u.Id}>{u.Name}</option>
                ))}
              </select>
            </label>
            <label>
              Tag
              <select value={filters.tag} onChange={(e) => set({ tag: e.currentTarget.value })}>
                <option value="">Any</option>
                {settings.Tags.map((t) => (
                  <option>{t}</option>
                ))}
              </select>
            </label>
            <label>
              Customer
              <input
                value={filters.customer}
                placeholder="Name or email"
                onInput={(e) => set({ customer: e.currentTarget.value })}
              />
            </label>
            <label>
              Order
              <input value={filters.order} onInput={(e) => set({ order: e.currentTarget.value })} />
            </label>
            <label>
              Created from
              <input
                type="date"
                value={filters.createdFrom}
                onInput={(e) => set({ createdFrom: e.currentTarget.value })}
              />
            </label>
            <label>
              Created to
              <input type="date" value={filters.createdTo} onInput={(e) => set({ createdTo: e.currentTarget.value })} />
            </label>
            <label>
              Changed from
              <input
                type="date"
                value={filters.changedFrom}
                onInput={(e) => set({ changedFrom: e.currentTarget.value })}
              />
            </label>
            <label>
              Changed to
              <input type="date" value={filters.changedTo} onInput={(e) => set({ changedTo: e.currentTarget.value })} />
            </label>
            <button type="button" onClick={() => setFilters(EMPTY)}>
              Clear filters
            </button>
          </div>
        )}
      </form>
      {error && <p role="alert">{error}</p>}
      <p class="hits" aria-live="polite">
        {result ? `${result.TotalHitsExact ? '' : 'about '}${result.TotalHits} cases` : 'Searching…'}
      </p>
      <table class="cases">
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Subject</th>
            <th scope="col">Customer</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Assignee</th>
            <th scope="col">Changed</th>
          </tr>
        </thead>
        <tbody ref={listRef}>
          {items.map((c, i) => (
            <tr class={i === selected ? 'selected' : ''} key={c.Id}>
              <td>{c.CaseNumber}</td>
              <td>
                <a class="case-link" href={`#/cases/${c.CaseNumber}`} onFocus={() => setSelected(i)}>
                  {c.Subject || '(no subject)'}
                </a>
              </td>
              <td>{c.CustomerName || c.CustomerEmail || ''}</td>
              <td>
                <span class="badge">{c.Status}</span>
              </td>
              <td>{c.Priority}</td>
              <td>{c.AssignedToName ?? (c.AssignedToUserId ? c.AssignedToUserId : 'Unassigned')}</td>
              <td>
                <time dateTime={c.Changed}>{formatDate(c.Changed)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {result && items.length === 0 && <p>No cases match.</p>}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={filters.page === 0}
          onClick={() => setFilters({ ...filters, page: filters.page - 1 })}
        >
          Previous page
        </button>
        <span>
          Page {filters.page + 1} of {pages}
        </span>
        <button
          type="button"
          disabled={filters.page + 1 >= pages}
          onClick={() => setFilters({ ...filters, page: filters.page + 1 })}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}
