import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, type Queues } from '../../src/queue/queues.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { deleteTestKeys } from '../helpers/redis-server.js';
import { serveAndLaunch } from './serve.js';

// The queue dashboard (Bull Board at /admin/queues) as an operator opens it in a real Chromium.
const prefix = `test-board-${randomBytes(4).toString('hex')}`;
// Characters that must be percent-encoded in a URL's userinfo.
const ADMIN = { user: 'ops', password: 'p@ss:word/1' };
let redis: Redis;
let queues: Queues;
let t: TestApp;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  queues = createQueues(redis, prefix);
  await queues.inbound.add('message', { messageRowId: '1' } as never, { jobId: 'board-waiting' });
  t = await createTestApp(
    'board',
    { QUEUE_PREFIX: prefix, ADMIN_USER: ADMIN.user, ADMIN_PASSWORD: ADMIN.password },
    { redis, queues },
  );
  ({ origin, browser } = await serveAndLaunch(t.app));
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await queues?.close();
  redis?.disconnect();
  await deleteTestKeys(prefix);
});

/** Every request the page makes, and its failures (a stuck page says why in the assertion message). */
function record(page: Page) {
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('pageerror', (e) => problems.push(e.message));
  return { requests, problems };
}

/** The queue list as the operator sees it: each queue's name, and the waiting job in inbound. */
async function expectQueueList(page: Page, problems: string[]) {
  const main = page.getByRole('main');
  try {
    await main.getByText('inbound', { exact: true }).first().waitFor({ timeout: 30_000 });
  } catch (err) {
    throw new Error(`the queue list did not render; page problems: ${problems.join('; ') || 'none'}`, { cause: err });
  }
  await main.getByText('outbound', { exact: true }).first().waitFor();
  expect(await page.getByText('Loading', { exact: true }).count()).toBe(0);
}

describe('queue dashboard in a browser', () => {
  it('renders the queue list when the credentials are given in the URL, and asks nothing of any other host', async () => {
    const page = await browser.newPage();
    const { requests, problems } = record(page);
    const withCredentials = `http://${encodeURIComponent(ADMIN.user)}:${encodeURIComponent(ADMIN.password)}@${origin.slice(7)}/admin/queues`;
    await page.goto(withCredentials);
    await expectQueueList(page, problems);
    // The page reloaded itself without the credentials in its address (the browser keeps them for the site).
    expect(await page.evaluate('document.URL')).toBe(`${origin}/admin/queues`);
    // Its data came from the dashboard's API, with the credentials the browser kept.
    expect(requests).toContain(`${origin}/admin/queues/api/queues?page=1&jobsPerPage=10`);
    // No font, script or anything else from another site (Bull Board links Google Fonts by default).
    const hosts = new Set(requests.map((u) => new URL(u).host));
    expect([...hosts]).toEqual([new URL(origin).host]);
    await page.close();
  });

  it('renders the queue list when the browser asks for the credentials (HTTP basic auth prompt)', async () => {
    const context = await browser.newContext({ httpCredentials: { username: ADMIN.user, password: ADMIN.password } });
    const page = await context.newPage();
    const { requests, problems } = record(page);
    await page.goto(`${origin}/admin/queues`);
    await expectQueueList(page, problems);
    expect(requests.every((u) => new URL(u).origin === origin)).toBe(true);
    await context.close();
  });
});
