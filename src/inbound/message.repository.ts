import { sql, type Selectable } from 'kysely';
import type { Db, DbOrTrx } from '../db/database.js';
import { precompiled, type Slot } from '../db/query-template.js';
import type { MessagesTable, MessageStatus } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { inboundRetryJobId } from '../queue/job-ids.js';
import type { Queues } from '../queue/queues.js';
import { inboundJobForRow } from './store.js';

// The inbound messages table: the lists and re-queues of the API and CLI, and the writes of a run (claim, outcome, failure).

/** Page size of the message lists. */
export const DEFAULT_MESSAGE_LIST_LIMIT = 50;
export const MAX_MESSAGE_LIST_LIMIT = 500;
/** Failed messages re-queued per transaction by requeueAllFailed. */
export const REQUEUE_BATCH = 500;

const MESSAGE_COLUMNS = [
  'id',
  'mailbox',
  'uidvalidity',
  'uid',
  'message_id',
  'envelope',
  'size',
  'status',
  'attempts',
  'error',
  'classification',
  'decision',
  'case_id',
  'note_id',
  'received_at',
  'processed_at',
] as const;
export type MessageMetaRow = Omit<Selectable<MessagesTable>, 'raw' | 'dedupe_key'>;

export interface InboundMessageJson {
  Id: string;
  Mailbox: string;
  MessageId: string | null;
  From: string | null;
  Subject: string | null;
  Date: string | null;
  Size: number;
  Status: MessageStatus;
  Attempts: number;
  Error: string | null;
  Classification: string | null;
  Decision: { Action: string; CaseNumber: string | null; Reason: string } | null;
  CaseId: string | null;
  ReceivedAt: string;
  ProcessedAt: string | null;
}

/** The envelope the poller stored with the row (jsonb; older rows may lack a field). */
function envelopeOf(row: MessageMetaRow): { from: string | null; subject: string | null; date: string | null } {
  const env = row.envelope as { from?: string | null; subject?: string | null; date?: string | null };
  return { from: env.from ?? null, subject: env.subject ?? null, date: env.date ?? null };
}

/** The one place a messages row becomes API JSON (never the raw bytes). */
export function messageToJson(row: MessageMetaRow): InboundMessageJson {
  const env = envelopeOf(row);
  return {
    Id: row.id,
    Mailbox: row.mailbox,
    MessageId: row.message_id,
    From: env.from,
    Subject: env.subject,
    Date: env.date,
    Size: row.size,
    Status: row.status,
    Attempts: row.attempts,
    Error: row.error,
    Classification: row.classification,
    Decision: (row.decision as InboundMessageJson['Decision']) ?? null,
    CaseId: row.case_id,
    ReceivedAt: row.received_at.toISOString(),
    ProcessedAt: row.processed_at ? row.processed_at.toISOString() : null,
  };
}

const ID = /^\d{1,18}$/;

function assertId(id: string): void {
  if (!ID.test(id)) throw new NotFoundError('Message', id);
}

export interface ListMessagesOptions {
  status?: MessageStatus;
  /** Keyset pagination: messages with an id below this (newest first). */
  before?: string;
  /** Default DEFAULT_MESSAGE_LIST_LIMIT, at most MAX_MESSAGE_LIST_LIMIT. */
  limit?: number;
}

/** Stored messages, newest first, optionally by status ('failed', 'ignored', ...). */
export async function listMessages(db: DbOrTrx, options: ListMessagesOptions = {}): Promise<MessageMetaRow[]> {
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_MESSAGE_LIST_LIMIT, 1), MAX_MESSAGE_LIST_LIMIT);
  let q = db.selectFrom('messages').select(MESSAGE_COLUMNS).orderBy('id', 'desc').limit(limit);
  if (options.status) q = q.where('status', '=', options.status);
  if (options.before) {
    if (!ID.test(options.before)) throw new ValidationError(`before must be a message id, got "${options.before}"`);
    q = q.where('id', '<', options.before);
  }
  return q.execute();
}

export const listFailedMessages = (db: DbOrTrx, options: Omit<ListMessagesOptions, 'status'> = {}) =>
  listMessages(db, { ...options, status: 'failed' });

export async function getMessage(db: DbOrTrx, id: string): Promise<MessageMetaRow> {
  assertId(id);
  const row = await db.selectFrom('messages').select(MESSAGE_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Message', id);
  return row;
}

export async function getRawMessage(db: DbOrTrx, id: string): Promise<Buffer> {
  assertId(id);
  const row = await db.selectFrom('messages').select('raw').where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Message', id);
  return row.raw;
}

/**
 * Sets failed messages back to 'queued' and adds a new job for each (a new job id: the failed job may
 * still exist). The job is added inside the transaction: if Redis refuses it, the rows stay failed;
 * a worker that picks the job up before the commit waits on the row lock.
 */
async function requeueRows(
  db: DbOrTrx,
  queues: Pick<Queues, 'inbound'>,
  ids: string[] | 'batch',
): Promise<MessageMetaRow[]> {
  return inTransaction(db, async (trx) => {
    let q = trx
      .selectFrom('messages')
      .select(MESSAGE_COLUMNS)
      .where('status', '=', 'failed')
      .orderBy('id')
      .forUpdate()
      .skipLocked();
    q = ids === 'batch' ? q.limit(REQUEUE_BATCH) : q.where('id', 'in', ids);
    const rows = await q.execute();
    if (rows.length === 0) return [];
    await trx
      .updateTable('messages')
      .set({ status: 'queued', error: null })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const now = Date.now();
    // The ingest-latency clock restarts at the re-queue: the time spent failed is not pipeline latency.
    const receivedAt = new Date(now).toISOString();
    await queues.inbound.addBulk(
      rows.map((r) => ({
        name: 'message',
        data: { ...inboundJobForRow(r), receivedAt },
        opts: { jobId: inboundRetryJobId(r.id, now) },
      })),
    );
    return rows.map((r) => ({ ...r, status: 'queued' as const, error: null }));
  });
}

/** Re-queues one failed message. 404 when it does not exist, 409 when it is not failed. */
export async function requeueMessage(
  db: DbOrTrx,
  queues: Pick<Queues, 'inbound'>,
  id: string,
): Promise<MessageMetaRow> {
  const current = await getMessage(db, id);
  if (current.status !== 'failed')
    throw new ConflictError(`message ${id} is ${current.status}, not failed: only failed messages are re-queued`);
  const [row] = await requeueRows(db, queues, [id]);
  if (!row) throw new ConflictError(`message ${id} is being re-queued or processed by someone else`);
  return row;
}

/** Re-queues every failed message, in batches; returns how many. */
export async function requeueAllFailed(db: DbOrTrx, queues: Pick<Queues, 'inbound'>): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await requeueRows(db, queues, 'batch');
    total += rows.length;
    if (rows.length < REQUEUE_BATCH) return total;
  }
}

/** The statuses of a message that is done: a run finding one of them does nothing. */
export const DONE = ['processed', 'ignored'];
const DONE_STATUSES = DONE as ('processed' | 'ignored')[];

/** Longest error text kept on a failed message row. */
export const MAX_ERROR_TEXT = 4_000;

/** Claims a message for a run (status `processing`) unless it is done; returns its size and raw bytes. */
export const claimMessageStatement = precompiled((db, slot) =>
  db
    .updateTable('messages')
    .set({ status: 'processing' })
    .where('id', '=', slot(0))
    .where('status', 'not in', DONE_STATUSES)
    .returning(['size', 'raw']),
);

/** The outcome of a run: values [id, status, classification, decision, case_id, note_id, processed_at]. */
const finishUpdate = (db: Pick<Db, 'updateTable'>, slot: Slot) =>
  db
    .updateTable('messages')
    .set({
      status: slot(1),
      classification: slot(2),
      decision: slot(3),
      case_id: slot(4),
      note_id: slot(5),
      processed_at: slot(6),
      error: null,
      attempts: sql`attempts + 1`,
    })
    .where('id', '=', slot(0));
export const finishMessageStatement = precompiled((db, slot) => finishUpdate(db, slot));
/** The same, and the message's thread ref: values [...finish values, Message-ID, case id]. */
export const finishMessageWithRefStatement = precompiled((db, slot) =>
  finishUpdate(
    db.with('ref', (qb) =>
      qb
        .insertInto('thread_refs')
        .values({ message_id: slot(7), case_id: slot(8), direction: 'in' })
        .onConflict((oc) => oc.columns(['message_id', 'case_id']).doNothing()),
    ),
    slot,
  ),
);

/**
 * Records a failed attempt on the row: the error text and the attempt count; `final` makes it
 * status 'failed' (kept with its raw bytes until someone re-queues it), otherwise it is 'queued' again
 * (waiting for its retry, no longer in flight). A processed or ignored row is never touched.
 */
export async function recordFailedAttempt(
  db: DbOrTrx,
  messageRowId: string,
  error: unknown,
  final: boolean,
): Promise<void> {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await db
    .updateTable('messages')
    .set({
      error: text.slice(0, MAX_ERROR_TEXT),
      attempts: sql`attempts + 1`,
      // Only this run's own 'processing' goes back to 'queued': a row another run already kept as failed stays failed.
      status: final ? 'failed' : sql<MessageStatus>`CASE WHEN status = 'processing' THEN 'queued' ELSE status END`,
    })
    .where('id', '=', messageRowId)
    .where('status', 'not in', DONE_STATUSES)
    .execute();
}
