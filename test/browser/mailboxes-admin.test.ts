import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/auth/staff-users.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createFolder, testDovecot, type DovecotInfo } from '../helpers/dovecot.js';
import { serveAndLaunch } from './serve.js';

// The Mailboxes admin page as an admin uses it, in a real Chromium: a mailbox on the test Dovecot is added, changed,
// tried, disabled and deleted through the form, and what the page shows is checked against the API.

const ADMIN = { email: 'mia@example.com', name: 'Mia Admin', password: 'mia-password-1', role: 'admin' as const };
const tag = randomBytes(3).toString('hex');
const NAME = `Support ${tag}`;
const USER = `mbadmin-${tag}`;

let t: TestApp;
let dovecot: DovecotInfo;
let browser: Browser;
let origin: string;
let page: Page;
/** Requests the page made to anywhere but the app itself, and its script errors. */
const outside: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  dovecot = await testDovecot();
  await createFolder(USER, 'Cases');
  t = await createTestApp('mbadmin');
  await createStaffUser(t.ctx.db, ADMIN);
  ({ origin, browser } = await serveAndLaunch(t.app));
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** The API's view of the mailbox, to check what the page did. */
async function stored(): Promise<{ Id: string; Folder: string; Enabled: boolean; Auth: { Secrets: string[] } }> {
  const { json } = await t.call('GET', '/api/admin/mailboxes');
  return (json.Mailboxes as { Name: string }[]).find((m) => m.Name === NAME) as never;
}

const row = () => page.getByRole('row').filter({ hasText: NAME });
const status = () => page.getByRole('status').first();

describe('mailboxes in the staff app', () => {
  it('an admin adds a password mailbox: the row shows its health, the page keeps no secret, and the test passes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith(origin)) outside.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Cases', level: 1 }).waitFor();
    await page.goto(`${origin}/#/admin/mailboxes`);
    await page.getByRole('heading', { name: 'Mailboxes', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Add mailbox' }).click();
    await page.getByRole('heading', { name: 'New mailbox' }).waitFor();
    // The form opens on its first field.
    expect(await page.getByLabel('Name', { exact: true }).evaluate((el) => el === el.ownerDocument.activeElement)).toBe(
      true,
    );
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Host', { exact: true }).fill(dovecot.host);
    await page.getByLabel('Port', { exact: true }).fill(String(dovecot.tlsPort));
    await page.getByLabel('TLS', { exact: true }).selectOption('tls');
    await page.getByLabel('Accept any certificate (test servers only)').check();
    await page.getByLabel('User', { exact: true }).fill(USER);
    // The sign-in fields follow the type: Google asks for a refresh token, with where to get one.
    await page.getByLabel('Sign-in type').selectOption('google');
    await page.getByLabel('Refresh token').waitFor();
    expect(await page.getByLabel('Refresh token').getAttribute('type')).toBe('password');
    await page.getByText('from npx intake mailbox authorize <name>').waitFor();
    await page.getByLabel('Sign-in type').selectOption('password');
    expect(await page.getByLabel('Refresh token').count()).toBe(0);
    const password = page.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('type')).toBe('password');
    expect(await password.getAttribute('autocomplete')).toBe('off');
    await password.fill(dovecot.password);
    await page.getByRole('button', { name: 'Save mailbox' }).click();

    await expect.poll(() => status().textContent()).toBe(`${NAME} saved.`);
    await row().waitFor();
    // No poller runs in this test: the mailbox is known, its health not yet.
    expect(await row().getByText('unknown', { exact: true }).count()).toBe(1);
    expect(await row().textContent()).toContain(`${USER}@${dovecot.host}:${dovecot.tlsPort}/INBOX`);
    expect((await stored()).Auth.Secrets).toEqual(['Password']);
    expect(await page.content()).not.toContain(dovecot.password);

    // The test is offered right after saving, with the focus on it.
    const testNow = page.getByRole('button', { name: `Test ${NAME} now` });
    expect(await testNow.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await testNow.click();
    const result = page.getByRole('region', { name: `Test of ${NAME}: it works` });
    await result.waitFor({ timeout: 20_000 });
    const steps = await result.getByRole('listitem').allTextContents();
    expect(steps.map((s) => s.split(':')[0])).toEqual(['connect', 'login', 'folder']);
    expect(steps.every((s) => s.includes(': ok'))).toBe(true);
  });

  it('an admin edits the Folder; the stored password stays unshown and unsent, and the test finds the new folder', async () => {
    await row().getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: `Edit ${NAME}` }).waitFor();
    const password = page.getByLabel('Password', { exact: true });
    expect(await password.inputValue()).toBe('');
    expect(await password.getAttribute('placeholder')).toBe('unchanged (stored)');
    expect(await page.getByLabel('Host', { exact: true }).inputValue()).toBe(dovecot.host);
    await page.getByLabel('Folder', { exact: true }).fill('Cases');
    const sent = page.waitForRequest((r) => r.method() === 'PUT' && r.url().includes('/api/admin/mailboxes/'));
    await page.getByRole('button', { name: 'Save mailbox' }).click();
    // Only what changed goes out: the password (and Auth at all) is left for the API to keep.
    expect((await sent).postDataJSON()).toEqual({ Folder: 'Cases' });
    await expect.poll(() => status().textContent()).toBe(`${NAME} saved.`);
    await expect.poll(async () => (await stored()).Folder).toBe('Cases');
    await row().getByText(`${USER}@${dovecot.host}:${dovecot.tlsPort}/Cases`).waitFor();

    await row().getByRole('button', { name: 'Test' }).click();
    const result = page.getByRole('region', { name: `Test of ${NAME}: it works` });
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getByRole('listitem').last().textContent()).toMatch(/^folder: ok \(.*Cases/);
  });

  it("the API's refusals show next to the form: a move without a folder, a new host without the password, a taken name", async () => {
    await row().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('After import').selectOption('move');
    await page.getByLabel('Move to folder').waitFor();
    await page.getByRole('button', { name: 'Save mailbox' }).click();
    const alert = page.getByRole('form', { name: `Edit ${NAME}` }).getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('AfterImport "move" needs MoveTo (a folder)');
    await page.getByLabel('After import').selectOption('seen');
    expect(await page.getByLabel('Move to folder').count()).toBe(0);

    await page.getByLabel('Host', { exact: true }).fill('localhost');
    await page.getByRole('button', { name: 'Save mailbox' }).click();
    await expect.poll(() => alert.textContent()).toContain('send the Password again');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('form').count()).toBe(0);
    const m = await stored();
    expect(m.Folder).toBe('Cases');

    // A second mailbox of the same name is the API's 409.
    await page.getByRole('button', { name: 'Add mailbox' }).click();
    await page.getByLabel('Name', { exact: true }).fill(NAME.toUpperCase());
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('User', { exact: true }).fill(`${USER}-2`);
    await page.getByLabel('Password', { exact: true }).fill('another-password');
    await page.getByRole('button', { name: 'Save mailbox' }).click();
    const refused = page.getByRole('form', { name: 'New mailbox' }).getByRole('alert');
    await expect.poll(() => refused.textContent()).toBe('A mailbox with this Name exists');
    await page.getByRole('button', { name: 'Cancel' }).click();
    // Focus goes back to where the form was opened.
    const add = page.getByRole('button', { name: 'Add mailbox' });
    expect(await add.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
  });

  it('an admin disables the mailbox, then deletes it after confirming', async () => {
    await row().getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => status().textContent()).toBe(`${NAME} disabled.`);
    await row().getByRole('button', { name: 'Enable' }).waitFor();
    expect(await row().textContent()).toContain(', disabled');
    expect((await stored()).Enabled).toBe(false);

    await row().getByRole('button', { name: 'Delete' }).click();
    // The first click only asks; keeping it changes nothing.
    await row().getByRole('button', { name: 'Keep' }).click();
    await row().getByRole('button', { name: 'Delete' }).click();
    await row().getByRole('button', { name: 'Really delete?' }).click();
    await expect.poll(() => status().textContent()).toBe(`${NAME} deleted.`);
    await expect.poll(() => row().count()).toBe(0);
    expect(await stored()).toBeUndefined();

    const html = await page.content();
    expect(html).not.toContain(dovecot.password);
    expect(html).not.toContain('another-password');
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
