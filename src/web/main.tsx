import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, getIfPresent, setCsrfToken, type Session } from './api.js';
import { AppContext, type AppState } from './app-state.js';
import { startLive } from './live.js';
import { useRoute } from './router.js';
import type { Settings, User } from './types.js';
import { CaseList } from './case-list.js';
import { CaseView } from './case-view.js';
import { NewCase } from './new-case.js';
import { AdminPage } from './admin.js';
import { Header } from './header.js';

function App() {
  const [state, setState] = useState<AppState | null>(null);
  const [error, setError] = useState('');
  const route = useRoute();

  useEffect(() => {
    (async () => {
      const session = await get<Session>('/api/session');
      setCsrfToken(session.CsrfToken);
      const [settings, users] = await Promise.all([
        get<Settings>('/api/cases/settings'),
        getIfPresent<User[]>('/api/users'),
      ]);
      setState({ session, settings, users: users ?? [] });
      startLive();
    })().catch((err: Error) => setError(err.message));
  }, []);

  if (error) return <p role="alert">The inbox could not start: {error}</p>;
  if (!state) return <p class="loading">Loading the inbox…</p>;
  const isAdmin = state.session.Claims.includes('admin');
  return (
    <AppContext.Provider value={state}>
      <Header />
      <main id="main" tabIndex={-1}>
        {route.name === 'list' && <CaseList />}
        {route.name === 'case' && <CaseView key={route.id} id={route.id} />}
        {route.name === 'new' && <NewCase />}
        {route.name === 'admin' &&
          (isAdmin ? (
            <AdminPage page={route.page} />
          ) : (
            <section>
              <h1>Not allowed</h1>
              <p role="alert">Only admins can open the admin pages.</p>
            </section>
          ))}
      </main>
    </AppContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
