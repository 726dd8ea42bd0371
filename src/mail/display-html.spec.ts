import { describe, expect, it } from 'vitest';
import { displayHtml } from './display-html.js';

const partUrl = (cid: string) => `/api/messages/7/parts/${encodeURIComponent(cid)}`;

describe('displayHtml', () => {
  it('strips script, event handlers and javascript: links, and opens links in a new tab', () => {
    const { html } = displayHtml(
      '<p onclick="x()">Hi<script>alert(1)</script></p><img src="cid:a" onerror="alert(2)"><a href="javascript:alert(3)">j</a><a href="https://example.com/">ok</a>',
      { partUrl },
    );
    expect(html).not.toMatch(/script|onerror|onclick|javascript:/i);
    expect(html).toContain('<a href="https://example.com/" target="_blank" rel="noopener noreferrer nofollow">ok</a>');
  });

  it('points cid: images at the part URL, keeps data: images and drops remote ones unless asked', () => {
    const input =
      '<img src="cid:logo@x"><img src="data:image/png;base64,AAAA"><img src="https://tracker.example/p.gif">';
    const blocked = displayHtml(input, { partUrl });
    expect(blocked.html).toBe('<img src="/api/messages/7/parts/logo%40x" /><img src="data:image/png;base64,AAAA" />');
    expect(blocked.blockedRemoteImages).toBe(1);
    const loaded = displayHtml(input, { partUrl, remoteImages: true });
    expect(loaded.html).toContain('<img src="https://tracker.example/p.gif" />');
    expect(loaded.blockedRemoteImages).toBe(0);
  });
});
