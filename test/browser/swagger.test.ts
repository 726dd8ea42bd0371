import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { serveAndLaunch } from './serve.js';

// The API's documentation page (/swagger) as a new user first sees it.
let t: TestApp;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  t = await createTestApp('swaggerpage');
  ({ origin, browser } = await serveAndLaunch(t.app));
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('/swagger in a browser', () => {
  it('shows how to authenticate with the <key> placeholder intact, and loads nothing from another site', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${origin}/swagger`);
    const intro = page.getByText('Every /api route needs');
    await intro.waitFor({ timeout: 30_000 });
    expect(await intro.innerText()).toContain('Authorization: Bearer <key>');
    await page.getByText('/api/cases/search').first().waitFor();
    expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    await page.close();
  });
});
