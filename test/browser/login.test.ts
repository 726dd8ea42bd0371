import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/auth/staff-users.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { serveAndLaunch } from './serve.js';

// The sign-in page as a person uses it, in a real Chromium: by label and role, with the keyboard, zoomed.
const USER = { email: 'page@example.com', name: 'Paige Page', password: 'page-password-1' };
let t: TestApp;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  t = await createTestApp('loginpage');
  await createStaffUser(t.ctx.db, { ...USER, role: 'agent' });
  ({ origin, browser } = await serveAndLaunch(t.app));
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** The little of the DOM the assertions use (the tests are compiled without the DOM's types). */
interface El {
  ownerDocument: { activeElement: unknown; defaultView: { getComputedStyle(el: unknown): Record<string, string> } };
}

/** CSP violations and page errors (a refused sign-in's 401 and the missing favicon are not problems). */
function problems(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) found.push(m.text());
  });
  page.on('pageerror', (e) => found.push(e.message));
  return found;
}

describe('the sign-in page in a browser', () => {
  it('a wrong password shows the alert; the right one signs in and goes on to `next`', async () => {
    const page = await browser.newPage();
    const seen = problems(page);
    await page.goto(`${origin}/login?next=/api/session`);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Email or password is wrong');
    // The email stays filled in; the password does not.
    expect(await page.getByLabel('Email').inputValue()).toBe(USER.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');

    await page.getByLabel('Password').fill(USER.password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(`${origin}/api/session`);
    const session = JSON.parse((await page.locator('body').textContent()) ?? '{}');
    expect(session).toMatchObject({ Email: USER.email, Name: USER.name, Role: 'agent' });
    // The cookie is not readable by scripts.
    expect(await page.evaluate('document.cookie')).not.toContain('intake_session');
    expect(seen).toEqual([]);
    await page.close();
  });

  it('keyboard focus is visible, the style is allowed by the CSP, and nothing scrolls sideways at 200 % zoom', async () => {
    // 200 % zoom of a 1280 px wide window: 640 CSS pixels.
    const page = await browser.newPage({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
    const seen = problems(page);
    await page.goto(`${origin}/login`);
    // The email field has autofocus, which the browser applies at its next rendering after load: wait for it.
    await page.waitForFunction("document.activeElement && document.activeElement.id === 'email'");
    await page.keyboard.press('Tab'); // Tab moves to the password
    await page.keyboard.press('Tab');
    const button = page.getByRole('button', { name: 'Sign in' });
    expect(await button.evaluate((el: El) => el === el.ownerDocument.activeElement)).toBe(true);
    const style = (el: El) => el.ownerDocument.defaultView.getComputedStyle(el);
    expect(await button.evaluate(style)).toMatchObject({ outlineStyle: 'solid', outlineWidth: '3px' });
    // The page's own style applied (its hash is in the CSP): the button is blue, not the browser's grey.
    expect((await button.evaluate(style)).backgroundColor).toBe('rgb(29, 78, 216)');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await button.isVisible()).toBe(true);
    expect(seen).toEqual([]);
    await page.close();
  });
});
