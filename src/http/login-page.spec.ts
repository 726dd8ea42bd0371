import { describe, expect, it } from 'vitest';
import { loginPage, safeNext } from './login-page.js';

describe('the sign-in page', () => {
  it('goes on only to paths of this site', () => {
    expect(safeNext('/cases/CS-1001?tab=notes#n2')).toBe('/cases/CS-1001?tab=notes#n2');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'evil', '', '/a b', '/x\ty', 42])
      expect(safeNext(bad), String(bad)).toBe('/');
    expect(safeNext(`/${'a'.repeat(2001)}`)).toBe('/');
  });

  it('escapes what it echoes', () => {
    const html = loginPage({ csrfToken: 't', next: '/"><script>', email: '"><img src=x>', error: '<b>' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;b&gt;');
  });
});
