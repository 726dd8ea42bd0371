import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { listen } from '../db/listen.js';
import type { Logger } from '../logger.js';
import { enqueueOutbound, enqueueOutboundBulk, outboundJobId, type Queues } from '../queue/queues.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { UNCERTAIN_DELIVERY_ERROR } from './sender.js';

/**
 * The transactional-outbox relay: hands committed outbox rows to the outbound queue.
 *
 * Writers only insert the row and pg_notify in their own transaction; nobody enqueues "after commit".
 * The relay LISTENs for those notifications and also sweeps on a timer, so a missed notification
 * (relay down, connection lost) only delays a mail by one sweep. A row is marked `enqueued_at` in the
 * same transaction that selected it, after its job was added: a crash in between enqueues it again
 * with the same job id, which BullMQ ignores while the job exists, and the sender skips a sent row anyway.
 */
export const DEFAULT_RELAY_SWEEP_INTERVAL_MS = 5_000;
export const DEFAULT_RELAY_BATCH = 100;
/** A queued row whose job has not finished after this long is checked against the queue (lost job?). */
export const DEFAULT_RELAY_STALE_AFTER_MS = 10 * 60_000;

export interface RelayOptions {
  /** Timer sweep period, also the longest delay when a notification is missed. Default DEFAULT_RELAY_SWEEP_INTERVAL_MS. */
  sweepIntervalMs?: number;
  /** Rows handed over per sweep transaction. Default DEFAULT_RELAY_BATCH. */
  batch?: number;
  /** Default DEFAULT_RELAY_STALE_AFTER_MS. */
  staleAfterMs?: number;
  /** Listen for notifications (default true); false = timer sweep only. */
  listen?: boolean;
}

export interface RelayDeps {
  db: Db;
  databaseUrl: string;
  queues: Pick<Queues, 'outbound'>;
  logger: Logger;
}

/**
 * Adds the row's job unless a live one exists. A finished job with the same id (an earlier
 * delivery attempt of a requeued row) is removed first, or BullMQ would silently ignore the add.
 * Jobs get the queue's options (DEFAULT_OUTBOUND_JOB_OPTIONS: attempts and backoff).
 */
async function dispatch(queues: Pick<Queues, 'outbound'>, outboxId: string): Promise<void> {
  const existing = await queues.outbound.getJob(outboundJobId(outboxId));
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
    await existing.remove();
  }
  await enqueueOutbound(queues, outboxId);
}

/**
 * dispatch for many rows. A row never tried (no attempt, no error) has had no job that could have finished: at
 * most a live one, when a relay died between adding it and marking the row, and BullMQ ignores adding that id
 * again. Those rows are added in one addBulk round trip, whatever their number (during an inbound backlog every
 * new case's acknowledgement passes here: three round trips per row were a tenth of the worker's CPU); only
 * rows sent back by a requeue are checked one by one.
 */
async function dispatchAll(
  queues: Pick<Queues, 'outbound'>,
  rows: readonly { id: string; attempts: number; last_error: string | null }[],
): Promise<void> {
  const untried = rows.filter((r) => r.attempts === 0 && r.last_error === null);
  await enqueueOutboundBulk(
    queues,
    untried.map((r) => r.id),
  );
  for (const r of rows) if (!untried.includes(r)) await dispatch(queues, r.id);
}

/** Hands every committed, not yet enqueued row to the queue. Returns how many. */
export async function relayPending(deps: Omit<RelayDeps, 'databaseUrl'>, options: RelayOptions = {}): Promise<number> {
  const batch = options.batch ?? DEFAULT_RELAY_BATCH;
  let total = 0;
  for (;;) {
    const n = await deps.db.transaction().execute(async (trx) => {
      // SKIP LOCKED: several relays (one per worker process) share the work without waiting on each other.
      const rows = await trx
        .selectFrom('outbox')
        .select(['id', 'attempts', 'last_error'])
        .where('status', '=', 'queued')
        .where('enqueued_at', 'is', null)
        .orderBy('created')
        .limit(batch)
        .forUpdate()
        .skipLocked()
        .execute();
      await dispatchAll(deps.queues, rows);
      if (rows.length)
        await trx
          .updateTable('outbox')
          .set({ enqueued_at: sql`now()` })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
      return rows.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Safety net for rows whose job vanished (Redis flushed or restored from an old snapshot) or ended
 * without the sender recording it (a job that stalled too often is failed by BullMQ without running).
 */
export async function recoverStale(deps: Omit<RelayDeps, 'databaseUrl'>, options: RelayOptions = {}): Promise<number> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_RELAY_STALE_AFTER_MS;
  return deps.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('outbox')
      .select(['id', 'status'])
      .where('status', 'in', ['queued', 'sending'])
      .where('enqueued_at', '<', new Date(Date.now() - staleAfterMs))
      .limit(options.batch ?? DEFAULT_RELAY_BATCH)
      .forUpdate()
      .skipLocked()
      .execute();
    let recovered = 0;
    for (const r of rows) {
      const job = await deps.queues.outbound.getJob(outboundJobId(r.id));
      const state = job ? await job.getState() : 'unknown';
      const live = state !== 'completed' && state !== 'failed' && state !== 'unknown';
      if (!live && r.status === 'sending') {
        await trx
          .updateTable('outbox')
          .set({ status: 'failed', last_error: UNCERTAIN_DELIVERY_ERROR })
          .where('id', '=', r.id)
          .execute();
        recovered++;
        continue;
      }
      if (!live) {
        await dispatch(deps.queues, r.id);
        recovered++;
      }
      await trx
        .updateTable('outbox')
        .set({ enqueued_at: sql`now()` })
        .where('id', '=', r.id)
        .execute();
    }
    if (recovered) deps.logger.warn({ recovered }, 'outbox rows recovered from lost or dead jobs');
    return recovered;
  });
}

/** Sends a failed (or uncertain) row again on purpose: back to 'queued', picked up by the relay. */
export async function requeueOutboxRow(db: Db, outboxId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('outbox')
      .set({ status: 'queued', enqueued_at: null })
      .where('id', '=', outboxId)
      .where('status', 'in', ['failed', 'suppressed'])
      .returning('id')
      .executeTakeFirst();
    if (r) await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, ${outboxId})`.execute(trx);
    return !!r;
  });
}

export interface OutboxRelay {
  /** Runs one sweep now (also what a notification triggers). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** Starts LISTEN + timer sweeps. Reconnects the LISTEN connection with backoff; the timer covers the gap. */
export function startOutboxRelay(deps: RelayDeps, options: RelayOptions = {}): OutboxRelay {
  const interval = options.sweepIntervalMs ?? DEFAULT_RELAY_SWEEP_INTERVAL_MS;
  let closed = false;
  let running: Promise<void> | null = null;
  let again = false;
  let lastStaleCheck = 0;

  const sweep = (): Promise<void> => {
    if (closed) return Promise.resolve();
    // Coalesce: a burst of notifications during a sweep causes exactly one more sweep.
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await relayPending(deps, options);
          if (Date.now() - lastStaleCheck > (options.staleAfterMs ?? DEFAULT_RELAY_STALE_AFTER_MS) / 2) {
            lastStaleCheck = Date.now();
            await recoverStale(deps, options);
          }
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message }, 'outbox relay sweep failed; retrying on the next sweep');
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
    });
    return running;
  };

  // Rows committed while nothing listened (at start, after a break) are found by the sweep that follows LISTEN.
  const listener =
    options.listen === false
      ? null
      : listen({
          databaseUrl: deps.databaseUrl,
          channels: [OUTBOX_CHANNEL],
          logger: deps.logger,
          what: 'outbox relay',
          onNotification: () => void sweep(),
          onListening: () => void sweep(),
        });
  const timer = setInterval(() => void sweep(), interval);
  timer.unref();
  void sweep();

  return {
    sweep,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      await listener?.close();
    },
  };
}
