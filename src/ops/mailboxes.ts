import type { MailboxConfig } from '../config.js';
import type { DbOrTrx } from '../db/database.js';
import { leaseKey } from '../queue/redis-keys.js';
import type { RedisClient } from '../queue/redis-target.js';

/** Messages in these states are stored but not yet turned into a case or note. */
export const BACKLOG_STATUSES = ['queued', 'processing'] as const;

export interface LeaseInfo {
  /** The value the holding poller stored (its lease token). */
  holder: string;
  /** Milliseconds until the lease expires unless renewed. */
  ttlMs: number;
}

/** Who holds a mailbox's poller lease, or null when nobody does. */
export type LeaseHolderLookup = (mailboxKey: string) => Promise<LeaseInfo | null>;

/** Reads the poller lease (src/imap/lease.ts) from Redis: one GET and one PTTL in a pipeline. */
export function redisLeaseLookup(redis: RedisClient, prefix: string): LeaseHolderLookup {
  return async (mailboxKey) => {
    const key = leaseKey(prefix, mailboxKey);
    const res = await redis.pipeline().get(key).pttl(key).exec();
    const holder = res?.[0]?.[1] as string | null | undefined;
    const ttl = Number(res?.[1]?.[1] ?? -2);
    return holder ? { holder, ttlMs: Math.max(0, ttl) } : null;
  };
}

export interface MailboxHealth {
  /** Stable key: `user@host:port/folder`. */
  mailbox: string;
  /** False for a mailbox that has state or messages but is no longer in IMAP_URL(S). */
  configured: boolean;
  host: string | null;
  folder: string | null;
  /** As the poller last wrote it: connecting, idle, polling, error, stopped; `unknown` before the first poll. */
  state: string;
  stateChangedAt: string | null;
  lastFetchAt: string | null;
  /** When the last new message was stored from the mailbox. */
  lastImportAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  uidvalidity: string | null;
  lastUid: string | null;
  /** Messages stored but not yet processed (queued or processing). */
  backlog: number;
  /** When the oldest message of the backlog was stored. */
  oldestBacklogAt: string | null;
  /** Messages kept as failed (see the inbound failed-message tools). */
  failed: number;
  /** The poller lease: who holds it and for how long; null when no poller holds the mailbox. */
  lease: LeaseInfo | null;
}

export interface MailboxHealthReport {
  mailboxes: MailboxHealth[];
  /** Backlog of every source, including `intake ingest` files that belong to no mailbox. */
  backlogTotal: number;
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/**
 * Every configured mailbox with the poller's state (mailbox_state) and its backlog (messages). Mailboxes
 * that still have state rows but are no longer configured are listed too, marked `configured: false`,
 * so an operator sees a leftover backlog. Two queries, whatever the number of mailboxes.
 */
export async function listMailboxHealth(
  db: DbOrTrx,
  configured: readonly Pick<MailboxConfig, 'key' | 'host' | 'folder'>[],
  options: { leaseHolder?: LeaseHolderLookup } = {},
): Promise<MailboxHealthReport> {
  const [states, counts] = await Promise.all([
    db.selectFrom('mailbox_state').selectAll().execute(),
    db
      .selectFrom('messages')
      .select((eb) => [
        'mailbox',
        eb.fn
          .countAll<string>()
          .filterWhere('status', 'in', [...BACKLOG_STATUSES])
          .as('backlog'),
        eb.fn
          .min('received_at')
          .filterWhere('status', 'in', [...BACKLOG_STATUSES])
          .as('oldest'),
        eb.fn.countAll<string>().filterWhere('status', '=', 'failed').as('failed'),
      ])
      .where('status', 'in', [...BACKLOG_STATUSES, 'failed'])
      .groupBy('mailbox')
      .execute(),
  ]);
  const stateBy = new Map(states.map((s) => [s.mailbox, s]));
  const countBy = new Map(counts.map((c) => [c.mailbox, c]));
  const configuredBy = new Map(configured.map((m) => [m.key, m]));
  const keys = [...configuredBy.keys(), ...states.map((s) => s.mailbox).filter((k) => !configuredBy.has(k))];

  const mailboxes = await Promise.all(
    keys.map(async (key): Promise<MailboxHealth> => {
      const m = configuredBy.get(key);
      const s = stateBy.get(key);
      const c = countBy.get(key);
      // A lease lookup failing (Redis down) must not hide the rest of the report.
      const lease = options.leaseHolder ? await options.leaseHolder(key).catch(() => null) : null;
      return {
        mailbox: key,
        configured: !!m,
        host: m?.host ?? null,
        folder: m?.folder ?? null,
        state: s?.state ?? 'unknown',
        stateChangedAt: iso(s?.changed),
        lastFetchAt: iso(s?.last_fetch_at),
        lastImportAt: iso(s?.last_import_at),
        lastError: s?.last_error ?? null,
        lastErrorAt: iso(s?.last_error_at),
        uidvalidity: s?.uidvalidity ?? null,
        lastUid: s?.last_uid ?? null,
        backlog: Number(c?.backlog ?? 0),
        oldestBacklogAt: c?.oldest ? new Date(c.oldest as unknown as string | Date).toISOString() : null,
        failed: Number(c?.failed ?? 0),
        lease,
      };
    }),
  );
  const backlogTotal = counts.reduce((sum, c) => sum + Number(c.backlog), 0);
  return { mailboxes, backlogTotal };
}
