import { useEffect, useState } from 'preact/hooks';

// Routes live in the URL's fragment (#/cases/CS-1001), so the server serves one page at / and a reload or a
// shared link opens the same view.

export type Route =
  | { name: 'list' }
  | { name: 'case'; id: string }
  | { name: 'new' }
  | { name: 'admin'; page: 'settings' | 'users' | 'failed' | 'mailboxes' | 'templates' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const caseMatch = /^\/cases\/([^/]+)$/.exec(path);
  if (caseMatch) return { name: 'case', id: decodeURIComponent(caseMatch[1]) };
  if (path === '/new') return { name: 'new' };
  const admin = /^\/admin\/(settings|users|failed|mailboxes|templates)$/.exec(path);
  if (admin) return { name: 'admin', page: admin[1] as 'settings' };
  return { name: 'list' };
}

export function navigate(path: string): void {
  location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
