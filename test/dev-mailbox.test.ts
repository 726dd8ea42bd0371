import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { listMessages, testDovecot } from './helpers/dovecot.js';
import { listening, ROOT, startDev } from './helpers/dev.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { freePort } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';

// A new user's first mail: `npm run dev -- --with-mailbox`, then `npx intake send-test-mail`.
const prefix = `test-devmail-${randomBytes(4).toString('hex')}`;
let database: TestDatabase;
let devDir: string;

beforeAll(async () => {
  database = await createTestDatabase('devmail');
  devDir = mkdtempSync(join(tmpdir(), 'intake-dev-test-'));
});
afterAll(async () => {
  await database?.drop();
  rmSync(devDir, { recursive: true, force: true });
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('npm run dev -- --with-mailbox', () => {
  it('a mail sent with send-test-mail becomes a case, its acknowledgement is caught, and Ctrl-C stops the mailbox', async () => {
    const [port, imapPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_HEALTH_PORT: String(await freePort()),
      POLLER_HEALTH_PORT: String(await freePort()),
      DEV_IMAP_PORT: String(imapPort),
      DEV_SMTP_PORT: String(smtpPort),
      INTAKE_DEV_DIR: devDir,
      POLL_INTERVAL_MS: '1000',
    };
    const dev = startDev(env, ['--with-mailbox']);
    try {
      await dev.up();
      expect(dev.output()).toContain(
        `try-out mailbox support@localhost (IMAP 127.0.0.1:${imapPort}); send it mail with: npx intake send-test-mail --from ann@example.com --subject "Where is #12345?"`,
      );
      expect(dev.output()).toContain(`is caught in ${join(devDir, 'sent')}/ as .eml files`);

      const sent = spawnSync(
        process.execPath,
        [
          'bin/intake.mjs',
          'send-test-mail',
          '--from',
          'ann@example.com',
          '--subject',
          'Where is #12345?',
          '--body',
          'It was due Monday.',
        ],
        { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
      );
      expect(sent.status, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/^sent <.+> from ann@example\.com to support@localhost$/m);

      const key = (await createApiKey(database.db, { name: 'dev-mailbox-test', scope: 'read' })).key;
      const found = await waitFor(
        () => `a case from ann@example.com; dev printed:\n${dev.output()}`,
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/cases/search`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ SearchText: 'ann@example.com' }),
          });
          const body = (await res.json()) as { Items?: { CaseNumber: string }[] };
          return body.Items?.[0];
        },
        60_000,
        500,
      );
      const c = (await (
        await fetch(`http://127.0.0.1:${port}/api/cases/${found.CaseNumber}`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).json()) as { Subject: string; RelatedOrders: string[]; Source: string };
      expect(c).toMatchObject({ Subject: 'Where is #12345?', RelatedOrders: ['12345'], Source: 'Email' });

      // The acknowledgement went to the catcher's folder, not to the internet.
      const ack = await waitFor(
        'the acknowledgement in the sent folder',
        async () => readdirSync(join(devDir, 'sent')).find((f) => f.endsWith('.eml')),
        30_000,
        200,
      );
      const raw = readFileSync(join(devDir, 'sent', ack), 'utf8');
      expect(raw).toMatch(/^To: ann@example\.com/im);
      expect(raw).toContain(`[${found.CaseNumber}]`);

      // web's /metrics shows what the poller and the worker counted (published to Redis every few seconds).
      const series = [
        'intake_messages_received_total{mailbox="support@localhost@127.0.0.1:',
        'intake_messages_processed_total{action="new-case",classification="normal"} 1\n',
        'intake_cases_created_total{source="Email"} 1\n',
        'intake_outbound_sent_total{kind="ack"} 1\n',
        'intake_ingest_latency_seconds_count 1\n',
        'intake_mailbox_connected{mailbox="support@localhost@127.0.0.1:',
      ];
      const scraped = await waitFor(
        'the mail series on web /metrics',
        async () => {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return series.every((s) => text.includes(s)) && text;
        },
        30_000,
        500,
      );
      expect(scraped).toMatch(/^intake_messages_received_total\{mailbox="support@localhost@[^"]+"\} 1$/m);
      expect(scraped).toMatch(/^intake_mailbox_connected\{mailbox="support@localhost@[^"]+"\} 1$/m);

      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
      expect(await listening(imapPort)).toBe(false);
      expect(await listening(smtpPort)).toBe(false);
    } finally {
      dev.child.kill('SIGKILL');
    }
  }, 240_000);

  it('send-test-mail without a running try-out mailbox says how to start one', () => {
    const res = spawnSync(
      process.execPath,
      ['bin/intake.mjs', 'send-test-mail', '--from', 'ann@example.com', '--subject', 'Hi'],
      {
        cwd: ROOT,
        env: { ...process.env, INTAKE_DEV_DIR: join(devDir, 'nothing-here') },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe(
      'intake send-test-mail: no try-out mailbox is running and no IMAP_URL is set: start one with "npm run dev -- --with-mailbox" first',
    );
  });

  it('send-test-mail appends to the mailbox of IMAP_URL where no try-out mailbox runs (compose.yaml)', async () => {
    const dovecot = await testDovecot();
    const user = `sendtest-${randomBytes(3).toString('hex')}`;
    const res = spawnSync(
      process.execPath,
      ['bin/intake.mjs', 'send-test-mail', '--from', 'ann@example.com', '--subject', 'Where is #12345?'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          INTAKE_DEV_DIR: join(devDir, 'nothing-here'),
          IMAP_URL: `imap://${user}:${encodeURIComponent(dovecot.password)}@${dovecot.host}:${dovecot.port}/INBOX?tlsInsecure=1`,
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(
      `appended a mail from ann@example.com to ${user}@${dovecot.host}:${dovecot.port}/INBOX`,
    );
    const messages = await listMessages(user);
    expect(messages).toHaveLength(1);
  });
});
