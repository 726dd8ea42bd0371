// The one way the app talks to the server: the same HTTP API as every other client, with the session cookie and,
// on requests that change state, the session's CSRF token.

export interface Session {
  UserId: string;
  Email: string;
  Name: string;
  Role: 'agent' | 'admin';
  Claims: string[];
  CsrfToken: string;
  ExpiresAt: string;
}

/** An answer other than 2xx: the status and the server's message and code (PascalCase JSON or Fastify's). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Where a signed-out person goes: the sign-in page, back to where they were afterwards. */
export function signInAgain(): void {
  const next = location.pathname + location.search + location.hash;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 401) {
    signInAgain();
    throw new ApiError(401, 'Your session has ended: sign in again', 'UNAUTHORIZED');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    const message = String(json.message ?? json.Message ?? res.statusText);
    const code = (json.Code ?? json.code) as string | undefined;
    throw new ApiError(res.status, message, code);
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body ?? {});
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, body ?? {});

/** A GET that answers undefined when the route does not exist on this server (feature detection). */
export async function getIfPresent<T>(path: string): Promise<T | undefined> {
  try {
    return await get<T>(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return undefined;
    throw err;
  }
}
