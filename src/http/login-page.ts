import { createHash } from 'node:crypto';

// One small page, no scripts, nothing loaded from elsewhere. Sizes in rem so it reflows at 200 % zoom; the focus
// ring is drawn by us, not left to the browser's default, so it is visible on every control.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,sans-serif;color:#1b1f24;background:#f3f4f6}
main{max-width:24rem;margin:4rem auto;padding:2rem;background:#fff;border:1px solid #d0d5dc;border-radius:.5rem}
h1{font-size:1.5rem;margin:0 0 1.5rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;font:inherit;padding:.5rem .75rem;border:1px solid #6b7280;border-radius:.25rem}
button{margin-top:1.5rem;font:inherit;font-weight:600;padding:.5rem 1.25rem;border:0;border-radius:.25rem;color:#fff;background:#1d4ed8;cursor:pointer}
input:focus-visible,button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
[role=alert]{color:#b91c1c;font-weight:600;min-height:1.5rem;margin:0}
@media (max-width:30rem){main{margin:0;border:0;border-radius:0}}
`.trim();

/** The page's Content-Security-Policy: its one inline style by hash, nothing else loads, forms post only to us. */
export const LOGIN_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The sign-in page: labelled Email and Password fields, a Sign in button and an alert region for the error. */
export function loginPage(input: { csrfToken: string; next: string; email?: string; error?: string }): string {
  const error = input.error ? escapeHtml(input.error) : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · intake</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Sign in to intake</h1>
<form method="post" action="/login">
<p id="login-error" role="alert">${error}</p>
<input type="hidden" name="_csrf" value="${escapeHtml(input.csrfToken)}">
<input type="hidden" name="next" value="${escapeHtml(input.next)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${escapeHtml(input.email ?? '')}"${error ? ' aria-describedby="login-error"' : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${error ? ' aria-describedby="login-error"' : ''}>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

/**
 * Where to go after signing in: a path of this site (starting with one `/`, not `//` or `/\`, which browsers read
 * as another host), else `/`.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/';
  // Spaces and control characters too: no real path of the app has them, and some are dropped by browsers.
  const unusual = [...next].some((c) => c <= ' ' || c === '\u007f' || c === '\\');
  if (!next.startsWith('/') || next.startsWith('//') || unusual) return '/';
  return next;
}
