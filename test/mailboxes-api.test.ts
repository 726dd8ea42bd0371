import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { leaseKey } from '../src/queue/redis-keys.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import {
  appendMany,
  appendMessage,
  listMessages,
  makeMessage,
  testDovecot,
  type DovecotInfo,
} from './helpers/dovecot.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { freePort } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';

/**
 * Mailboxes managed through /api/admin/mailboxes while mail flows, with the real processes: web, poller and worker
 * started as in production (node workers/*.ts), logging at debug level so every line they write can be searched for
 * secrets. The poller starts with no mailbox at all and learns each change from the database.
 */

const ROOT = resolve(import.meta.dirname, '..');
const tag = randomBytes(3).toString('hex');
const prefix = `test-mbapi-${tag}`;
/** An OAuth2 client secret that must never be seen again once sent. */
const CLIENT_SECRET = `cs-${randomBytes(12).toString('hex')}`;

let dovecot: DovecotInfo;
let tdb: TestDatabase;
let webPort: number;
let admin: string;
let reader: string;
const children: ChildProcess[] = [];
let output = '';

function start(name: 'web' | 'worker' | 'poller', port: number): ChildProcess {
  const portVariable = { worker: 'WORKER_HEALTH_PORT', poller: 'POLLER_HEALTH_PORT', web: 'PORT' }[name];
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, `workers/${name}.ts`)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: tdb.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      [portVariable]: String(port),
      HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: name === 'worker' ? String(port) : '0',
      POLLER_HEALTH_PORT: name === 'poller' ? String(port) : '0',
      POLL_INTERVAL_MS: '1000',
      LEASE_TTL_MS: '3000',
      MAILBOX_RECONCILE_MS: '5000',
      SECRETS_KEY: randomKey,
      SMTP_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  children.push(child);
  return child;
}
const randomKey = randomBytes(32).toString('hex');

async function api(method: string, path: string, body?: unknown, key = admin) {
  const res = await fetch(`http://127.0.0.1:${webPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  responses.push(text);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the answer's JSON as the API documents it
  return { status: res.status, json: text ? (JSON.parse(text) as any) : null };
}
/** Every response body, to search for secrets at the end. */
const responses: string[] = [];

const passwordMailbox = (user: string, extra: Record<string, unknown> = {}) => ({
  Name: `Support ${user}`,
  Host: dovecot.host,
  Port: dovecot.port,
  Tls: 'starttls',
  TlsInsecure: true,
  User: user,
  Auth: { Type: 'password', Password: dovecot.password },
  ...extra,
});

const healthOf = async (id: string) => (await api('GET', `/api/admin/mailboxes/${id}`)).json.Health;

/** Processed messages per Message-ID of a mailbox key: each must be exactly 1. */
async function storedPerMessageId(mailboxKeys: string[]): Promise<Map<string, { rows: number; processed: number }>> {
  const rows = await tdb.db
    .selectFrom('messages')
    .select(['message_id', 'status'])
    .where('mailbox', 'in', mailboxKeys)
    .execute();
  const by = new Map<string, { rows: number; processed: number }>();
  for (const r of rows) {
    const e = by.get(r.message_id ?? '') ?? { rows: 0, processed: 0 };
    e.rows++;
    if (r.status === 'processed') e.processed++;
    by.set(r.message_id ?? '', e);
  }
  return by;
}

const messageIdOf = (raw: string) => /^Message-ID: <([^>]+)>/m.exec(raw)![1]!;

beforeAll(async () => {
  dovecot = await testDovecot();
  tdb = await createTestDatabase('mbapi');
  admin = (await createApiKey(tdb.db, { name: 'admin', scope: 'admin' })).key;
  reader = (await createApiKey(tdb.db, { name: 'reader', scope: 'read' })).key;
  webPort = await freePort();
  start('web', webPort);
  const pollerPort = await freePort();
  start('poller', pollerPort);
  start('worker', await freePort());
  for (const port of [webPort, pollerPort]) {
    await waitFor(
      `the process on ${port} to be ready`,
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200,
      60_000,
      200,
    );
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done();
          c.once('exit', () => done());
          c.kill('SIGTERM');
        }),
    ),
  );
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await tdb?.drop();
});

describe('the mailbox API', () => {
  it('refuses bad input with a 400 that names it, duplicates with a 409, and non-admins with a 403', async () => {
    expect((await api('GET', '/api/admin/mailboxes', undefined, reader)).status).toBe(403);
    const noPassword = await api('POST', '/api/admin/mailboxes', passwordMailbox('x', { Auth: { Type: 'password' } }));
    expect(noPassword.status).toBe(400);
    expect(noPassword.json.message).toMatch(/Password/);
    const badType = await api('POST', '/api/admin/mailboxes', passwordMailbox('x', { Auth: { Type: 'kerberos' } }));
    expect(badType.status).toBe(400);
    const moveWithout = await api('POST', '/api/admin/mailboxes', passwordMailbox('x', { AfterImport: 'move' }));
    expect(moveWithout.status).toBe(400);
    expect(moveWithout.json.message).toMatch(/MoveTo/);
    const m365 = await api('POST', '/api/admin/mailboxes', {
      ...passwordMailbox(`m365-${tag}`),
      Auth: { Type: 'microsoft365', TenantId: 'contoso.onmicrosoft.com', ClientId: 'app' },
    });
    expect(m365.status).toBe(400);
    expect(m365.json.message).toMatch(/ClientSecret/);
    expect((await api('GET', '/api/admin/mailboxes/not-a-uuid')).status).toBe(404);
    expect(
      (await api('PUT', `/api/admin/mailboxes/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, { Enabled: false }))
        .status,
    ).toBe(404);
  });

  it('adds, changes, disables, enables and deletes mailboxes while mail flows: every message stored once, in a case once', async () => {
    const userA = `mbapi-a-${tag}`;
    const userB = `mbapi-b-${tag}`;
    const created = await api('POST', '/api/admin/mailboxes', passwordMailbox(userA));
    expect(created.status).toBe(201);
    const a = created.json;
    expect(a).toMatchObject({ Source: 'api', Enabled: true, Tls: 'starttls', Folder: 'INBOX', AfterImport: 'seen' });
    expect(a.Auth).toEqual({ Type: 'password', Secrets: ['Password'] });
    expect((await api('POST', '/api/admin/mailboxes', passwordMailbox(userA))).status).toBe(409);
    // Stored sealed: the column does not hold the password.
    const row = await tdb.db
      .selectFrom('mailboxes')
      .select('auth_secret')
      .where('id', '=', a.Id)
      .executeTakeFirstOrThrow();
    expect(row.auth_secret).toMatch(/^v1\./);
    expect(row.auth_secret).not.toContain(dovecot.password);

    // The poller, which started with no mailbox, picks it up and imports a stream of mail.
    const first = Array.from({ length: 20 }, (_, i) => makeMessage(i, { tag: `a1-${tag}` }));
    const streaming = appendMany(userA, first, 'INBOX', { perSecond: 20 });
    await waitFor('the poller to take the new mailbox', async () => (await healthOf(a.Id)).Lease !== null, 15_000, 200);

    // Changed while mail flows: after import the messages are moved instead of flagged. Its poller reconnects.
    const changed = await api('PUT', `/api/admin/mailboxes/${a.Id}`, { AfterImport: 'move', MoveTo: 'Done' });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ AfterImport: 'move', MoveTo: 'Done', Auth: { Type: 'password' } });
    await streaming;

    // A second mailbox joins while the first goes on.
    const b = (await api('POST', '/api/admin/mailboxes', passwordMailbox(userB))).json;
    const second = Array.from({ length: 10 }, (_, i) => makeMessage(i, { tag: `b-${tag}` }));
    await appendMany(userB, second);
    const keys = [a.Key, b.Key];
    await waitFor(
      'every message of both mailboxes processed',
      async () => {
        const by = await storedPerMessageId(keys);
        return [...first, ...second].every((m) => by.get(messageIdOf(m))?.processed === 1);
      },
      60_000,
      300,
    );
    // Moved out of INBOX once the change took effect: nothing is left unflagged or unmoved.
    await waitFor(
      'INBOX of the first mailbox to be done with',
      async () => (await listMessages(userA)).every((m) => m.flags.includes('\\Seen')),
      20_000,
      300,
    );

    // Disabled: its poller stops and lets the lease go; mail arriving meanwhile waits on the server.
    expect((await api('PUT', `/api/admin/mailboxes/${a.Id}`, { Enabled: false })).json.Enabled).toBe(false);
    await waitFor(
      'the disabled mailbox to be let go',
      async () => {
        const h = await healthOf(a.Id);
        return h.State === 'stopped' && h.Lease === null;
      },
      15_000,
      200,
    );
    const whileDisabled = Array.from({ length: 5 }, (_, i) => makeMessage(i, { tag: `a2-${tag}` }));
    for (const m of whileDisabled) await appendMessage(userA, m);
    // Enabled again: the waiting mail comes in, once.
    expect((await api('PUT', `/api/admin/mailboxes/${a.Id}`, { Enabled: true })).json.Enabled).toBe(true);
    await waitFor(
      'the mail that waited to be processed',
      async () => {
        const by = await storedPerMessageId(keys);
        return whileDisabled.every((m) => by.get(messageIdOf(m))?.processed === 1);
      },
      30_000,
      300,
    );

    // Deleted: its poller stops; GET is a 404; its messages and cases stay.
    expect((await api('DELETE', `/api/admin/mailboxes/${b.Id}`)).status).toBe(204);
    expect((await api('GET', `/api/admin/mailboxes/${b.Id}`)).status).toBe(404);
    await waitFor(
      'the deleted mailbox to be let go',
      async () => {
        const r = new Redis(TEST_REDIS_URL);
        try {
          return (await r.exists(leaseKey(prefix, b.Key))) === 0 ? true : undefined;
        } finally {
          r.disconnect();
        }
      },
      15_000,
      200,
    );
    const list = (await api('GET', '/api/admin/mailboxes')).json;
    expect(list.Mailboxes.map((m: { Id: string }) => m.Id)).toEqual([a.Id]);

    // Every message: one row, one case; no case twice for a Message-ID.
    const by = await storedPerMessageId(keys);
    for (const m of [...first, ...second, ...whileDisabled])
      expect(by.get(messageIdOf(m))).toEqual({ rows: 1, processed: 1 });
    const cases = await sql<{ n: string }>`
      SELECT count(DISTINCT case_id) AS n FROM messages WHERE mailbox IN (${sql.join(keys)})`.execute(tdb.db);
    expect(Number(cases.rows[0]!.n)).toBe(first.length + second.length + whileDisabled.length);
  });

  it('keeps an OAuth2 client secret out of every response and log line, and says which step fails', async () => {
    const created = await api('POST', '/api/admin/mailboxes', {
      ...passwordMailbox(`mbapi-oauth-${tag}`),
      Name: `OAuth2 ${tag}`,
      Auth: {
        Type: 'oauth2-client-credentials',
        // Nothing listens there: the token step fails, with the reason.
        TokenUrl: `http://127.0.0.1:${await freePort()}/token`,
        ClientId: 'intake-test',
        ClientSecret: CLIENT_SECRET,
        Scope: 'mail',
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.Auth).toEqual({
      Type: 'oauth2-client-credentials',
      TokenUrl: expect.stringMatching(/\/token$/),
      ClientId: 'intake-test',
      Scope: 'mail',
      Secrets: ['ClientSecret'],
    });
    const tried = await api('POST', `/api/admin/mailboxes/${created.json.Id}/test`);
    expect(tried.status).toBe(200);
    expect(tried.json).toMatchObject({ Ok: false, FailedStep: 'token' });
    // The poller reports the same failure in the mailbox's health.
    await waitFor(
      'the token failure in health',
      async () => {
        const h = await healthOf(created.json.Id);
        return h.State === 'error' && /sign-in token/.test(h.LastError ?? '') ? h : undefined;
      },
      20_000,
      300,
    );

    // A change that sends the secret elsewhere needs it again; one that does not keeps it.
    const moved = await api('PUT', `/api/admin/mailboxes/${created.json.Id}`, {
      Auth: { Type: 'oauth2-client-credentials', TokenUrl: 'https://attacker.example/token', ClientId: 'intake-test' },
    });
    expect(moved.status).toBe(400);
    expect(moved.json.message).toMatch(/ClientSecret/);
    const renamed = await api('PUT', `/api/admin/mailboxes/${created.json.Id}`, {
      Auth: { Type: 'oauth2-client-credentials', TokenUrl: created.json.Auth.TokenUrl, ClientId: 'intake-test-2' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json.Auth.ClientId).toBe('intake-test-2');
    const row = await tdb.db
      .selectFrom('mailboxes')
      .select('auth_secret')
      .where('id', '=', created.json.Id)
      .executeTakeFirstOrThrow();
    expect(row.auth_secret).not.toContain(CLIENT_SECRET);

    // Nothing any process wrote, and nothing any response said, holds a secret.
    expect(output.length).toBeGreaterThan(1000);
    for (const secret of [CLIENT_SECRET, dovecot.password]) {
      expect(output).not.toContain(secret);
      for (const r of responses) expect(r).not.toContain(secret);
    }
  });
});
