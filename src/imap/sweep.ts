import type { ImapFlow } from 'imapflow';
import type { MailboxConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { storeRawMessages } from '../inbound/store.js';
import type { Logger } from '../logger.js';
import { metrics } from '../ops/metrics.js';
import { enqueueInboundBulk, type Queues } from '../queue/queues.js';
import {
  advanceLastUid,
  loadPosition,
  resetForUidvalidity,
  touchFetch,
  type MailboxPosition,
} from './mailbox-state.js';
import { chunks, toSequenceSet } from './uid-set.js';

/** Points where tests can simulate a crash; production passes none. */
export interface SweepHooks {
  /** Runs after a batch is stored and queued, before last_uid advances and the server copy is marked. */
  afterEnqueue?(uids: number[]): void | Promise<void>;
}

/**
 * mailbox_state.last_fetch_at is written at most this often by sweeps that find nothing: with a thousand idle
 * mailboxes, a write per timer sweep would be the poller's whole database load for a timestamp nobody reads closer.
 */
export const FETCH_TOUCH_INTERVAL_MS = 60_000;

/**
 * What one connection's sweeps remember between them. The poller holds the mailbox's lease, so it is the only
 * writer of its position: reading it once per connection is enough.
 */
export interface SweepMemory {
  /** The stored position as last read or written; unset: read it from mailbox_state. */
  position?: MailboxPosition;
  /** When last_fetch_at was last written (ms); unset: never by this connection. */
  touchedAt?: number;
}

export interface SweepContext {
  client: ImapFlow;
  /** Given: the position is kept here between sweeps, and an empty sweep writes last_fetch_at only now and then. */
  memory?: SweepMemory;
  db: Db;
  queues: Pick<Queues, 'inbound'>;
  mailbox: MailboxConfig;
  fetchBatch: number;
  maxMessageBytes: number;
  logger: Logger;
  hooks?: SweepHooks;
}

export interface SweepResult {
  /** Messages newly stored (not already known by their dedupe key). */
  stored: number;
  /** Messages fetched again that were already stored (UIDVALIDITY rescan, crash before marking). */
  duplicates: number;
  /** Messages over maxMessageBytes, kept as failed with their headers only. */
  oversize: number;
  lastUid: number;
}

/** Marks stored messages on the server as the mailbox is configured to: \Seen, moved, or deleted. */
export async function markOnServer(client: ImapFlow, mailbox: MailboxConfig, uids: number[]): Promise<void> {
  if (uids.length === 0) return;
  const range = toSequenceSet(uids);
  let ok: unknown;
  if (mailbox.markAs === 'move') ok = await client.messageMove(range, mailbox.moveTo!, { uid: true });
  else if (mailbox.markAs === 'delete') ok = await client.messageDelete(range, { uid: true });
  else ok = await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
  // imapflow reports some command failures as `false` instead of throwing.
  if (ok === false) throw new Error(`could not mark UIDs ${range} (${mailbox.markAs}) in ${mailbox.folder}`);
}

/**
 * Marks messages at or below last_uid that are still unmarked: the poller stored them, then stopped
 * (crash, lost connection) before it could flag, move or delete them. Runs once per connection.
 */
export async function catchUpMarks(ctx: SweepContext, lastUid: number): Promise<number> {
  const mb = ctx.client.mailbox;
  if (!mb || mb.exists === 0 || lastUid === 0) return 0;
  // Oversize messages are never deleted: only their headers were stored, the server keeps the body.
  const query =
    ctx.mailbox.markAs === 'seen'
      ? { uid: `1:${lastUid}`, seen: false }
      : ctx.mailbox.markAs === 'delete'
        ? { uid: `1:${lastUid}`, smaller: ctx.maxMessageBytes + 1 }
        : { uid: `1:${lastUid}` };
  const found = await ctx.client.search(query, { uid: true });
  if (!Array.isArray(found)) throw new Error(`UID SEARCH failed in ${ctx.mailbox.folder}`);
  const uids = found.filter((u) => u <= lastUid);
  if (uids.length > 0) {
    ctx.logger.info({ count: uids.length }, 'marking messages stored before an interruption');
    await markOnServer(ctx.client, ctx.mailbox, uids);
  }
  return uids.length;
}

/**
 * One UID sweep of the open mailbox: every message with a UID above the stored last_uid is stored,
 * queued, recorded (last_uid) and only then marked on the server, oldest first, in batches of fetchBatch.
 * A crash at any point either leaves a message unstored (it is fetched again) or stored (fetching it
 * again finds its dedupe key): mail is never lost and never stored twice.
 */
export async function sweepMailbox(ctx: SweepContext): Promise<SweepResult> {
  const { client, db, mailbox, logger } = ctx;
  const mb = client.mailbox;
  if (!mb) throw new Error(`mailbox ${mailbox.folder} is not open`);
  const uidvalidity = mb.uidValidity.toString();
  const memory = ctx.memory ?? {};
  let position = memory.position ?? (await loadPosition(db, mailbox.key));
  if (position.uidvalidity !== uidvalidity) {
    if (position.uidvalidity !== null) {
      logger.warn(
        { stored: position.uidvalidity, server: uidvalidity },
        'UIDVALIDITY changed: rescanning the folder (duplicates are recognised)',
      );
    }
    await resetForUidvalidity(db, mailbox.key, uidvalidity);
    position = { uidvalidity, lastUid: 0 };
  }
  memory.position = position;
  const touch = async () => {
    const now = Date.now();
    if (ctx.memory && memory.touchedAt !== undefined && now - memory.touchedAt < FETCH_TOUCH_INTERVAL_MS) return;
    await touchFetch(db, mailbox.key);
    memory.touchedAt = now;
  };
  const result: SweepResult = { stored: 0, duplicates: 0, oversize: 0, lastUid: position.lastUid };
  // `1:*` (or any range) on an empty mailbox is an error on some servers.
  if (mb.exists === 0) {
    await touch();
    return result;
  }
  // `UID n:*` always matches the newest message even when its UID is below n: filter explicitly.
  const found = await client.search({ uid: `${position.lastUid + 1}:*` }, { uid: true });
  // imapflow returns false when the server rejects the SEARCH: that must not look like "no new mail".
  if (!Array.isArray(found)) throw new Error(`UID SEARCH failed in ${mailbox.folder}`);
  const pending = found.filter((u) => u > position.lastUid).sort((a, b) => a - b);

  for (const batch of chunks(pending, ctx.fetchBatch)) {
    // IMAP runs one command at a time: collect each fetch fully (fetchAll) before the next command.
    const meta = await client.fetchAll(toSequenceSet(batch), { uid: true, size: true }, { uid: true });
    const size = new Map(meta.map((m) => [m.uid, m.size ?? 0]));
    const small = batch.filter((u) => size.has(u) && size.get(u)! <= ctx.maxMessageBytes);
    const large = batch.filter((u) => size.has(u) && size.get(u)! > ctx.maxMessageBytes);
    const raw = new Map<number, Buffer>();
    if (small.length > 0) {
      // `source: true` is BODY.PEEK[]: reading does not set \Seen, so an unstored message stays unread.
      for (const m of await client.fetchAll(toSequenceSet(small), { uid: true, source: true }, { uid: true })) {
        if (m.source) raw.set(m.uid, m.source);
      }
    }
    if (large.length > 0) {
      for (const m of await client.fetchAll(toSequenceSet(large), { uid: true, headers: true }, { uid: true })) {
        if (m.headers) raw.set(m.uid, m.headers);
      }
    }

    // Expunged by someone else between SEARCH and FETCH: it is gone from the server.
    const done = batch.filter((u) => raw.has(u));
    const oversizeError = (uid: number) =>
      `message is ${size.get(uid)} bytes, over MAX_MESSAGE_BYTES (${ctx.maxMessageBytes}): only its headers were kept, the body was not downloaded and stays on the IMAP server`;
    // One INSERT for the batch (oversize messages go in as failed), then one round trip to Redis.
    const stored = await storeRawMessages(
      db,
      done.map((uid) => ({
        mailbox: mailbox.key,
        uidvalidity,
        uid,
        raw: raw.get(uid)!,
        ...(large.includes(uid) ? { failed: { error: oversizeError(uid), size: size.get(uid)! } } : {}),
      })),
    );
    // Re-queuing a known message is harmless (same job id; the worker is idempotent per row).
    // Oversize messages are never queued: their row holds headers only.
    const toQueue = stored.filter(
      (m, i) => !large.includes(done[i]!) && (m.status === 'queued' || m.status === 'processing'),
    );
    await enqueueInboundBulk(
      ctx.queues,
      toQueue.map((m) => m.job),
    );
    done.forEach((uid, i) => {
      const m = stored[i]!;
      if (large.includes(uid)) {
        result.oversize++;
        if (m.inserted)
          logger.warn({ uid, size: size.get(uid), messageRowId: m.id }, 'oversize message kept as failed');
      } else if (m.inserted && m.status === 'failed') {
        logger.warn(
          { uid, messageRowId: m.id },
          'message refused by the database as read, kept as failed with its raw bytes',
        );
      }
      if (m.inserted) result.stored++;
      else result.duplicates++;
    });
    const fresh = stored.filter((m) => m.inserted).length;
    if (fresh > 0) metrics.messagesReceived.inc({ mailbox: mailbox.key }, fresh);
    await ctx.hooks?.afterEnqueue?.(batch);
    const top = batch[batch.length - 1]!;
    await advanceLastUid(db, mailbox.key, uidvalidity, top);
    // Only after the write: a failed write leaves the next sweep (or connection) to fetch the batch again.
    memory.position = { uidvalidity, lastUid: Math.max(memory.position?.lastUid ?? 0, top) };
    memory.touchedAt = Date.now();
    result.lastUid = top;
    await markOnServer(client, mailbox, mailbox.markAs === 'delete' ? done.filter((u) => !large.includes(u)) : done);
    logger.debug({ count: batch.length, lastUid: top }, 'batch stored and marked');
  }
  if (pending.length === 0) await touch();
  return result;
}
