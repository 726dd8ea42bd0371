import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/auth/staff-users.js';
import { startPoller, type Poller } from '../../src/imap/poller.js';
import { createLogger } from '../../src/logger.js';
import { startOutboundWorker, type OutboundWorker } from '../../src/outbound/outbound-worker.js';
import { createRedis } from '../../src/queue/queues.js';
import type { RedisClient } from '../../src/queue/redis-target.js';
import { appendMessage, testDovecot, testMailbox } from '../helpers/dovecot.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { createInboundContext, SUPPORT, type InboundContext } from '../helpers/inbound.js';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from '../helpers/smtp-receiver.js';
import { serveAndLaunch } from './serve.js';

// The staff inbox as an agent and an admin use it, in a real Chromium: mail comes in through Dovecot, the poller
// and the inbound worker; replies leave through the outbound worker to an SMTP receiver. With TEST_SCREENSHOTS=1
// (npm run screenshots) the run also writes docs/images/case-list.png and case-view.png.

const ADMIN = { email: 'ada@example.com', name: 'Ada Admin', password: 'ada-password-1', role: 'admin' as const };
const AGENT = { email: 'sam@example.com', name: 'Sam Agent', password: 'sam-password-1', role: 'agent' as const };
const CUSTOMER = 'carla@customer.example';
const mailboxUser = `staffapp-${randomBytes(3).toString('hex')}`;
const logger = createLogger('silent');
const SCREENSHOTS = process.env.TEST_SCREENSHOTS === '1';

let c: InboundContext;
let receiver: SmtpReceiver;
let outbound: OutboundWorker;
let poller: Poller;
let pollerRedis: RedisClient;
let browser: Browser;
let origin: string;
/** A listener outside the app: every request a hostile email makes the browser send lands here. */
let spy: Server;
let spyOrigin: string;
const spied: string[] = [];

function customerMail(o: { subject: string; messageId: string; body: string; inReplyTo?: string; html?: string }) {
  const head = [
    `From: Carla Customer <${CUSTOMER}>`,
    `To: Support <${SUPPORT}>`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${o.messageId}>`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    'MIME-Version: 1.0',
  ];
  if (!o.html) return [...head, 'Content-Type: text/plain; charset=utf-8', '', o.body, ''].join('\r\n');
  const b = `b-${randomBytes(6).toString('hex')}`;
  return [
    ...head,
    `Content-Type: multipart/alternative; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    `--${b}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    o.html,
    `--${b}--`,
    '',
  ].join('\r\n');
}

/** Signs in on the /login page and waits for the inbox. */
async function signIn(context: BrowserContext, user: { email: string; password: string }): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/`);
  await page.getByRole('heading', { name: 'Cases', level: 1 }).waitFor();
  return page;
}

/** CSP violations and script errors of the app's own page. */
function problems(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) found.push(m.text());
  });
  page.on('pageerror', (e) => found.push(e.message));
  return found;
}

const header = (m: ReceivedMail, name: string) => String(m.parsed.headers.get(name) ?? '');

beforeAll(async () => {
  const dovecot = await testDovecot();
  receiver = await startSmtpReceiver();
  c = await createInboundContext('staffapp', {
    env: { SMTP_URL: receiver.url, MESSAGE_ID_SECRET: 'staff-app-secret', MESSAGE_ID_DOMAIN: 'example.com' },
  });
  const { config, db } = c.t.ctx;
  outbound = startOutboundWorker(
    { config, db, logger },
    { prefix: c.prefix, backoff: { baseMs: 200, capMs: 1_000 }, relay: { sweepIntervalMs: 300 } },
  );
  pollerRedis = createRedis(TEST_REDIS_URL, 'worker');
  poller = startPoller({
    config: {
      mailboxes: [testMailbox(dovecot, mailboxUser)],
      pollIntervalMs: 500,
      idleMaxMs: 60_000,
      fetchBatch: 100,
      maxMessageBytes: 1024 * 1024,
      leaseTtlMs: 3_000,
      queuePrefix: c.prefix,
    },
    db,
    redis: pollerRedis,
    queues: c.queues,
    logger,
    backoff: { baseMs: 200, capMs: 1_000 },
    leaseRetryMs: 300,
  });
  await createStaffUser(db, ADMIN);
  await createStaffUser(db, AGENT);
  ({ origin, browser } = await serveAndLaunch(c.t.app));
  spy = createServer((req, res) => {
    spied.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/gif' }).end();
  });
  await new Promise<void>((ok) => spy.listen(0, '127.0.0.1', ok));
  spyOrigin = `http://127.0.0.1:${(spy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await poller?.stop();
  await outbound?.close();
  await outbound?.queues.outbound.obliterate({ force: true }).catch(() => undefined);
  pollerRedis?.disconnect();
  await c?.close();
  await receiver?.close();
  await new Promise((ok) => spy?.close(ok));
});

describe('the staff inbox in a browser', () => {
  let admin: BrowserContext;
  let page: Page;
  let seen: string[];
  const subject = `Parcel never came ${randomBytes(2).toString('hex')}`;
  const firstId = `first-${randomBytes(4).toString('hex')}@customer.example`;
  let reply: ReceivedMail;

  it('a signed-out visitor is sent to /login and lands on the inbox after signing in', async () => {
    admin = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await signIn(admin, ADMIN);
    seen = problems(page);
    const csp = (await page.request.get(`${origin}/`)).headers()['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('a case made from a real email appears in the open list without a reload', async () => {
    await page.evaluate('window.__sameDocument = true');
    await appendMessage(
      mailboxUser,
      customerMail({
        subject,
        messageId: firstId,
        body: 'Hello,\n\nmy parcel 4711 never came.\n\nOn Monday you wrote:\n> We shipped it.\n> Regards',
      }),
    );
    await page.getByRole('link', { name: subject }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('opening the case shows the thread with the reply text first and the quote folded; a reply is emailed in the thread', async () => {
    await page.getByRole('link', { name: subject }).click();
    await page.getByRole('heading', { name: subject, level: 1 }).waitFor();
    const email = page.getByRole('article', { name: `Email from Carla Customer <${CUSTOMER}>` });
    await expect.poll(() => email.textContent()).toContain('my parcel 4711 never came.');
    const quote = email.locator('details');
    expect(await quote.getAttribute('open')).toBeNull();
    expect(await quote.getByText('We shipped it.').isVisible()).toBe(false);
    await quote.getByText('Show quoted text').click();
    expect(await quote.getByText('We shipped it.', { exact: false }).isVisible()).toBe(true);

    await page.keyboard.press('r');
    const box = page.getByLabel('Reply to the customer');
    await expect
      .poll(() =>
        box.evaluate(
          (el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
        ),
      )
      .toBe(true);
    await box.fill('We are sending a new parcel today.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByRole('article', { name: `Public note by ${ADMIN.name}` }).waitFor();

    [reply] = await receiver.waitFor(1, 30_000);
    expect(reply.rcptTo).toContain(CUSTOMER);
    expect(reply.parsed.text).toContain('We are sending a new parcel today.');
    expect(header(reply, 'in-reply-to')).toBe(`<${firstId}>`);
    expect(header(reply, 'references')).toContain(`<${firstId}>`);
  });

  it('closing the case, then the customer answering, shows the reopening in the open case', async () => {
    await page.getByLabel('Change status').selectOption('Closed');
    await expect.poll(() => page.locator('.status-bar li[aria-current="step"]').textContent()).toBe('Closed');
    await appendMessage(
      mailboxUser,
      customerMail({
        subject: `Re: ${subject}`,
        messageId: `second-${randomBytes(4).toString('hex')}@customer.example`,
        inReplyTo: reply.parsed.messageId!,
        body: 'It still has not arrived.',
      }),
    );
    await page.getByText('It still has not arrived.').waitFor({ timeout: 30_000 });
    await page
      .getByText(/^Reopened:/)
      .first()
      .waitFor();
    await expect.poll(() => page.locator('.status-bar li[aria-current="step"]').textContent()).not.toBe('Closed');
    if (SCREENSHOTS) {
      mkdirSync(resolve(import.meta.dirname, '../../docs/images'), { recursive: true });
      await page.screenshot({ path: resolve(import.meta.dirname, '../../docs/images/case-view.png'), fullPage: true });
    }
  });

  it('a hostile HTML email runs no script and fetches nothing until the agent asks for remote images', async () => {
    const hostileSubject = `Hostile ${randomBytes(2).toString('hex')}`;
    await appendMessage(
      mailboxUser,
      customerMail({
        subject: hostileSubject,
        messageId: `hostile-${randomBytes(4).toString('hex')}@customer.example`,
        body: 'Plain part',
        html: [
          '<html><head>',
          `<link rel="stylesheet" href="${spyOrigin}/css">`,
          `<script>document.title = 'pwned'; fetch('${spyOrigin}/script');</script>`,
          `<style>body { background: url(${spyOrigin}/style-bg) }</style>`,
          '</head><body>',
          '<p>Visible hostile body</p>',
          `<img src="${spyOrigin}/img.png" alt="remote">`,
          `<img src="x" onerror="fetch('${spyOrigin}/onerror')">`,
          `<iframe src="${spyOrigin}/frame"></iframe>`,
          `<object data="${spyOrigin}/object"></object>`,
          `<a href="javascript:fetch('${spyOrigin}/js-link')">link</a>`,
          `<form action="${spyOrigin}/form"><button>go</button></form>`,
          '</body></html>',
        ].join('\n'),
      }),
    );
    await page.goto(`${origin}/#/`);
    await page.getByRole('link', { name: hostileSubject }).click({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Show full message' }).click();
    const frameEl = page.locator('iframe[title^="Message"]');
    expect(await frameEl.getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    const frame = await (await frameEl.elementHandle())!.contentFrame();
    await frame!.waitForLoadState('load');
    await frame!.getByText('Visible hostile body').waitFor();
    expect(await frame!.title()).not.toBe('pwned');
    expect(await page.title()).not.toBe('pwned');
    expect(spied).toEqual([]);

    // The listener does count: asking for remote images loads the one remote image, and only it.
    await page.getByRole('button', { name: 'Load remote images' }).click();
    await expect.poll(() => spied, { timeout: 10_000 }).toContain('/img.png');
    expect(spied.filter((u) => u !== '/img.png')).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('keyboard: / searches, j/k move through the list, Enter opens, a assigns to me, n notes, s status', async () => {
    await page.goto(`${origin}/#/`);
    const search = page.getByLabel('Search');
    await page.getByRole('link', { name: subject }).waitFor();
    await page.keyboard.press('/');
    await expect
      .poll(() =>
        search.evaluate(
          (el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
        ),
      )
      .toBe(true);
    await search.fill(subject);
    await expect.poll(() => page.locator('a.case-link').count()).toBe(1);
    await search.fill('');
    await expect.poll(() => page.locator('a.case-link').count()).toBeGreaterThan(1);
    await search.blur();
    const focused = () => page.evaluate('document.activeElement && document.activeElement.textContent');
    const rows = await page.locator('a.case-link').allTextContents();
    // The first j puts the focus on the first row; then j and k move it.
    await page.keyboard.press('j');
    await expect.poll(focused).toBe(rows[0]);
    await page.keyboard.press('j');
    await expect.poll(focused).toBe(rows[1]);
    await page.keyboard.press('k');
    await expect.poll(focused).toBe(rows[0]);
    const first = rows[0];
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: String(first), level: 1 }).waitFor();

    await page.keyboard.press('a');
    await expect
      .poll(() =>
        page
          .getByLabel('Assignee')
          .evaluate((el) => (el as unknown as { selectedOptions: { text: string }[] }).selectedOptions[0].text),
      )
      .toBe(ADMIN.name);
    await page.keyboard.press('n');
    await expect
      .poll(() => page.getByRole('tab', { name: 'Internal note' }).getAttribute('aria-selected'))
      .toBe('true');
    await page.getByLabel('Internal note', { exact: true }).press('Escape');
    await page.keyboard.press('s');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('status-select');
    await page.keyboard.press('Escape');
    await page.locator('body').click({ position: { x: 5, y: 200 } });
    await page.keyboard.press('j');
    await page.waitForURL(
      (url) => !url.hash.endsWith(encodeURIComponent(String(first))) && url.hash.startsWith('#/cases/'),
    );
  });

  it('an internal note looks different from a public reply, and a draft survives a reload', async () => {
    await page.goto(`${origin}/#/`);
    await page.getByRole('link', { name: subject }).click();
    await page.getByRole('tab', { name: 'Internal note' }).click();
    await page.getByLabel('Internal note', { exact: true }).fill('Checked with the carrier.');
    await page.getByRole('button', { name: 'Save note' }).click();
    const note = page.getByRole('article', { name: `Internal note by ${ADMIN.name}` });
    const pub = page.getByRole('article', { name: `Public note by ${ADMIN.name}` });
    await note.waitFor();
    const bg = (l: typeof note) =>
      l.evaluate(
        (el) =>
          (
            el as unknown as {
              ownerDocument: { defaultView: { getComputedStyle(e: unknown): { backgroundColor: string } } };
            }
          ).ownerDocument.defaultView.getComputedStyle(el).backgroundColor,
      );
    expect(await bg(note)).not.toBe(await bg(pub));

    await page.getByRole('tab', { name: 'Reply (email)' }).click();
    await page.getByLabel('Reply to the customer').fill('Half-written answer');
    await page.reload();
    await page.getByRole('heading', { name: subject, level: 1 }).waitFor();
    expect(await page.getByLabel('Reply to the customer').inputValue()).toBe('Half-written answer');
    if (SCREENSHOTS) {
      for (const [Subject, CustomerName, CustomerEmail, Priority] of [
        ['Wrong size delivered, want to exchange', 'Jonas Berg', 'jonas@customer.example', 'High'],
        ['Invoice for order 10233 missing', 'Mia Lind', 'mia@customer.example', 'Medium'],
        ['Refund not received yet', 'Omar Haddad', 'omar@customer.example', 'High'],
        ['Can I change the delivery address?', 'Lena Vogel', 'lena@customer.example', 'Low'],
      ])
        await c.t.call('POST', '/api/cases', { Subject, CustomerName, CustomerEmail, Priority, Source: 'Email' });
      await page.goto(`${origin}/#/`);
      await page.getByRole('link', { name: subject }).waitFor();
      await page.screenshot({ path: resolve(import.meta.dirname, '../../docs/images/case-list.png') });
    }
  });

  it('an admin writes a reply template; it fills the reply; a reply on a changed thread warns, then sends anyway', async () => {
    await page.goto(`${origin}/#/admin/templates`);
    await page.getByRole('button', { name: 'New template' }).click();
    await page.getByLabel('Template name').fill('Apology');
    await page.getByLabel('Template text').fill('Dear {{customer.name}}, sorry about {{case.number}}. {{agent.name}}');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('button', { name: 'Edit Apology' }).waitFor();

    await page.goto(`${origin}/#/`);
    await page.getByRole('link', { name: subject }).click();
    await page.getByRole('heading', { name: subject, level: 1 }).waitFor();
    const box = page.getByLabel('Reply to the customer');
    await box.fill('');
    await page.getByLabel('Insert template').selectOption({ label: 'Apology' });
    const number = (await page.locator('.case-number').textContent())!;
    await expect.poll(() => box.inputValue()).toBe(`Dear Carla Customer, sorry about ${number}. ${ADMIN.name}`);

    // Someone else writes on the case while this reply is open.
    const { Id } = (await c.t.call('GET', `/api/cases/${number}`)).json as { Id: string };
    const added = await c.t.call('POST', `/api/cases/${Id}/notes`, { Comment: 'Carrier says: lost.' });
    expect(added.status).toBe(201);
    await page.getByRole('button', { name: 'Send reply' }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'The case changed since you opened it' });
    await warning.waitFor();
    await page.getByText('Carrier says: lost.').waitFor();
    const before = receiver.messages.length;
    await warning.getByRole('button', { name: 'Send anyway' }).click();
    await expect.poll(() => box.inputValue()).toBe('');
    const [sent] = (await receiver.waitFor(before + 1, 30_000)).slice(before);
    expect(sent.parsed.text).toContain(`sorry about ${number}`);
  });

  it('two agents on one case see each other, viewing and then replying', async () => {
    await page.goto(`${origin}/#/`);
    await page.getByRole('link', { name: subject }).click();
    await page.getByRole('heading', { name: subject, level: 1 }).waitFor();
    const ctx = await browser.newContext();
    const agent = await signIn(ctx, AGENT);
    await agent.getByRole('link', { name: subject }).click();
    await agent.getByRole('heading', { name: subject, level: 1 }).waitFor();
    const presence = page.getByRole('status').filter({ hasText: AGENT.name });
    await expect.poll(() => presence.textContent(), { timeout: 15_000 }).toBe(`${AGENT.name} is viewing`);
    await expect
      .poll(() => agent.getByRole('status').filter({ hasText: ADMIN.name }).textContent(), { timeout: 15_000 })
      .toBe(`${ADMIN.name} is viewing`);
    await agent.getByLabel('Reply to the customer').fill('Let me look');
    await expect.poll(() => presence.textContent(), { timeout: 15_000 }).toBe(`${AGENT.name} is replying`);
    await ctx.close();
  });

  it('at 200 % zoom the list and the case reflow without sideways scrolling, and focus is visible', async () => {
    const ctx = await browser.newContext({ viewport: { width: 640, height: 430 }, deviceScaleFactor: 2 });
    const zoomed = await signIn(ctx, AGENT);
    const fits = () => zoomed.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
    await zoomed.getByRole('link', { name: subject }).waitFor();
    expect(await fits()).toBe(true);
    await zoomed.getByRole('link', { name: subject }).click();
    await zoomed.getByRole('heading', { name: subject, level: 1 }).waitFor();
    expect(await fits()).toBe(true);
    const button = zoomed.getByRole('button', { name: 'Assign to me' });
    await button.focus();
    await zoomed.keyboard.press('Shift+Tab');
    await zoomed.keyboard.press('Tab');
    const outline = await button.evaluate((el) =>
      (
        el as unknown as {
          ownerDocument: {
            defaultView: { getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string } };
          };
        }
      ).ownerDocument.defaultView.getComputedStyle(el),
    );
    expect({ style: outline.outlineStyle, width: outline.outlineWidth }).toEqual({ style: 'solid', width: '3px' });
    await ctx.close();
  });

  it('an agent sees no admin pages and the server refuses their APIs', async () => {
    const ctx = await browser.newContext();
    const agent = await signIn(ctx, AGENT);
    expect(await agent.getByRole('link', { name: 'Settings' }).count()).toBe(0);
    await agent.goto(`${origin}/#/admin/users`);
    await agent.getByText('Only admins can open the admin pages.').waitFor();
    const status = await agent.evaluate(async () => {
      const s = (await (await fetch('/api/session')).json()) as { CsrfToken: string };
      const r = await fetch('/api/admin/users', { headers: { 'x-csrf-token': s.CsrfToken } });
      return r.status;
    });
    expect(status).toBe(403);
    await ctx.close();
  });

  it('CSRF: a state change without the token is refused; an ended session sends the app to /login', async () => {
    const ctx = await browser.newContext();
    const agent = await signIn(ctx, AGENT);
    const statuses = await agent.evaluate(async () => {
      const s = (await (await fetch('/api/session')).json()) as { CsrfToken: string };
      const body = JSON.stringify({ Subject: 'csrf probe' });
      const headers = { 'content-type': 'application/json' };
      const without = await fetch('/api/cases', { method: 'POST', headers, body });
      const wrong = await fetch('/api/cases', { method: 'POST', headers: { ...headers, 'x-csrf-token': 'x' }, body });
      const right = await fetch('/api/cases', {
        method: 'POST',
        headers: { ...headers, 'x-csrf-token': s.CsrfToken },
        body,
      });
      return [without.status, wrong.status, right.status];
    });
    expect(statuses).toEqual([403, 403, 201]);

    await agent.getByRole('link', { name: 'New case' }).click();
    await agent.getByLabel('Subject (required)').waitFor();
    // The session passes its idle limit: the next thing the agent sends lands on the sign-in page.
    const user = await c.t.ctx.db
      .selectFrom('staff_users')
      .select('id')
      .where('email', '=', AGENT.email)
      .executeTakeFirstOrThrow();
    await c.t.ctx.db
      .updateTable('staff_sessions')
      .set({ last_seen: new Date(Date.now() - 24 * 3600_000), created: new Date(Date.now() - 24 * 3600_000) })
      .where('user_id', '=', user.id)
      .execute();
    await agent.getByLabel('Subject (required)').fill('After expiry');
    await agent.getByRole('button', { name: 'Create case' }).click();
    await agent.waitForURL(/\/login\?next=/);
    // And the server itself no longer serves the app to the ended session.
    await agent.goto(`${origin}/`);
    await agent.waitForURL(/\/login\?next=/);
    await ctx.close();
  });

  it('admin pages: settings, users and failed mail open for an admin', async () => {
    await page.goto(`${origin}/#/admin/settings`);
    await page.getByRole('heading', { name: 'Case settings' }).waitFor();
    expect(await page.getByLabel('Closed status').inputValue()).toBe('Closed');
    await page.goto(`${origin}/#/admin/users`);
    await page.getByRole('cell', { name: AGENT.email }).waitFor();
    await page.goto(`${origin}/#/admin/failed`);
    await page.getByText('No failed messages.').waitFor();
    expect(seen).toEqual([]);
    await admin.close();
  });
});
