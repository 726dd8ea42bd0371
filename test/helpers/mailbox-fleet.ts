import { ImapFlow } from 'imapflow';
import { expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { startFleet, type Fleet } from '../../src/imap/fleet.js';
import { createLogger } from '../../src/logger.js';
import { secretBoxFor } from '../../src/mailboxes/mailbox-store.js';
import type { RedisClient } from '../../src/queue/redis-target.js';
import { DOVECOT_PASSWORD } from './dovecot.js';
import type { InboundContext } from './inbound.js';
import { waitFor } from './wait.js';

/** Where a test's own Dovecot listens (plain IMAP). */
export interface ImapServer {
  host: string;
  port: number;
}

/**
 * The poller process's mailbox fleet, in the test's process: it watches the mailboxes table of the context's database,
 * as workers/poller.ts does, with short timers (1 s sweeps, 5 s leases tried every 0.3 s, quick reconnects) unless `config` says others.
 */
export function startTestFleet(
  c: InboundContext,
  redis: RedisClient,
  config: Partial<Pick<Config, 'leaseTtlMs' | 'pollIntervalMs'>> = {},
): Fleet {
  return startFleet({
    config: { ...c.t.ctx.config, pollIntervalMs: 1_000, leaseTtlMs: 5_000, ...config },
    db: c.t.ctx.db,
    redis,
    queues: c.queues,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    secrets: secretBoxFor(c.t.ctx.config.secretsKeys),
    pollerOptions: { backoff: { baseMs: 200, capMs: 1_000 }, leaseRetryMs: 300 },
  });
}

/** Adds a mailbox on the test server through the API (STARTTLS, any certificate); fails the test unless 201. */
export async function addApiMailbox(
  c: InboundContext,
  server: ImapServer,
  name: string,
  user: string,
  auth: Record<string, string>,
): Promise<{ Id: string; Key: string; Auth: Record<string, unknown> }> {
  const res = await c.t.call('POST', '/api/admin/mailboxes', {
    Name: name,
    Host: server.host,
    Port: server.port,
    Tls: 'starttls',
    TlsInsecure: true,
    User: user,
    Auth: auth,
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { Id: string; Key: string; Auth: Record<string, unknown> };
}

/** Delivers mail to the user's INBOX with a password login (the test servers' own way in, whatever the mailbox uses). */
export async function appendWithPassword(server: ImapServer, user: string, raw: string): Promise<void> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: DOVECOT_PASSWORD },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.append('INBOX', raw);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Waits for the mail with this subject to become a case of the mailbox; returns the case as the API shows it. */
export async function caseFromMailbox(c: InboundContext, mailboxKey: string, subject: string) {
  const row = await waitFor(
    `a case from "${subject}"`,
    () =>
      c.t.ctx.db
        .selectFrom('messages')
        .innerJoin('cases', 'cases.id', 'messages.case_id')
        .select(['messages.case_id'])
        .where('messages.mailbox', '=', mailboxKey)
        .where('cases.subject', '=', subject)
        .where('messages.status', '=', 'processed')
        .executeTakeFirst(),
    20_000,
  );
  return c.caseJson(row.case_id!);
}

/** The mailbox's Health as GET /api/admin/mailboxes shows it; undefined while the list does not have it. */
export async function mailboxHealth(
  c: InboundContext,
  key: string,
): Promise<{ State: string; LastError: string | null } | undefined> {
  const res = await c.t.call('GET', '/api/admin/mailboxes');
  expect(res.status).toBe(200);
  return (res.json.Mailboxes as { Key: string; Health: { State: string; LastError: string | null } }[]).find(
    (m) => m.Key === key,
  )?.Health;
}
