import { useEffect, useState } from 'preact/hooks';
import { useApp } from './app-state.js';
import { onLiveState } from './live.js';

export function Header() {
  const { session } = useApp();
  const [live, setLive] = useState(false);
  useEffect(() => onLiveState(setLive), []);
  const isAdmin = session.Claims.includes('admin');
  return (
    <header class="top">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <nav aria-label="Main">
        <a href="#/">Cases</a>
        <a href="#/new">New case</a>
        {isAdmin && (
          <>
            <a href="#/admin/settings">Settings</a>
            <a href="#/admin/users">Users</a>
            <a href="#/admin/templates">Templates</a>
            <a href="#/admin/failed">Failed mail</a>
            <a href="#/admin/mailboxes">Mailboxes</a>
          </>
        )}
      </nav>
      <span class={live ? 'live on' : 'live'} title={live ? 'Live updates on' : 'Live updates off'}>
        {live ? 'Live' : 'Offline'}
      </span>
      <form method="post" action="/logout" class="signout">
        <span>{session.Name}</span>
        <input type="hidden" name="_csrf" value={session.CsrfToken} />
        <button type="submit">Sign out</button>
      </form>
    </header>
  );
}
