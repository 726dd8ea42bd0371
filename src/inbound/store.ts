import type { DbOrTrx } from '../db/database.js';
import type { MessageStatus } from '../db/schema.js';
import { excerpt } from '../mail/clean-text.js';
import { messageDedupeKey, normaliseMessageId, rawHeader, splitRaw, usableMessageId } from '../mail/identity.js';
import type { InboundJob } from '../queue/queues.js';

/** Rows per INSERT statement: 8 parameters a row stays far below PostgreSQL's 65,535 parameter limit. */
export const STORE_CHUNK = 500;

export interface RawMessageInput {
  /** Mailbox key (config MailboxConfig.key), or e.g. `file:<path>` for `intake ingest`. */
  mailbox: string;
  uidvalidity?: number | string | null;
  uid?: number | string | null;
  raw: Buffer;
  /**
   * Store the message as failed at once, in the same INSERT (never queued, so no worker or re-queue
   * sweep picks it up first): used for a message over MAX_MESSAGE_BYTES whose headers alone are kept.
   * `size` is the real size on the server, not the stored bytes.
   */
  failed?: { error: string; size: number };
}

export interface StoredMessage {
  id: string;
  /** False when this message was already stored (a redelivery or re-fetch). */
  inserted: boolean;
  status: MessageStatus;
  job: InboundJob;
}

/** The columns an inbound job is built from (the messages row without the raw bytes). */
export interface JobSourceRow {
  id: string;
  mailbox: string;
  message_id: string | null;
  envelope: Record<string, unknown>;
  size: number;
  received_at: Date;
}

const JOB_COLUMNS = ['id', 'dedupe_key', 'mailbox', 'message_id', 'envelope', 'size', 'status', 'received_at'] as const;

/** The job payload for a stored row: ids and envelope data, never the body. */
export function inboundJobForRow(row: JobSourceRow): InboundJob {
  const env = row.envelope as { from?: string | null; subject?: string | null; date?: string | null };
  return {
    messageRowId: row.id,
    mailbox: row.mailbox,
    messageId: row.message_id,
    from: env.from ?? null,
    subject: env.subject ?? null,
    date: env.date ?? null,
    size: row.size,
    receivedAt: row.received_at.toISOString(),
  };
}

/**
 * Longest envelope value (From, Subject, Date as sent) kept on the row and in the job: the envelope is for lists
 * and logs, and every job carries it through Redis. The message itself keeps the full header.
 */
export const MAX_ENVELOPE_VALUE_LENGTH = 1_000;

/** A raw header value for the envelope (jsonb): capped, control characters as spaces (jsonb refuses NUL). */
function envelopeValue(value: string | null): string | null {
  return value === null ? null : excerpt(value, MAX_ENVELOPE_VALUE_LENGTH);
}

/**
 * The row of one message. Nothing taken from the bytes should make PostgreSQL refuse the INSERT: one refused row
 * fails the whole multi-row statement and sends its batch down the slow one-by-one path (storeChunk).
 */
function rowValues(input: RawMessageInput, refused?: string) {
  const { header } = splitRaw(input.raw);
  // A message the database refused as read is stored with nothing read from its bytes (see storeChunk).
  const messageId = refused ? null : usableMessageId(normaliseMessageId(rawHeader(header, 'Message-ID')));
  const envelope = refused
    ? { messageId: null, from: null, subject: null, date: null }
    : {
        messageId,
        from: envelopeValue(rawHeader(header, 'From')),
        subject: envelopeValue(rawHeader(header, 'Subject')),
        date: envelopeValue(rawHeader(header, 'Date')),
      };
  const failed = refused ? { error: refused, size: input.raw.length } : input.failed;
  return {
    dedupe_key: messageDedupeKey(input.raw),
    mailbox: input.mailbox,
    uidvalidity: input.uidvalidity ?? null,
    uid: input.uid ?? null,
    message_id: messageId,
    envelope: JSON.stringify(envelope),
    raw: input.raw,
    size: failed?.size ?? input.raw.length,
    ...(failed ? { status: 'failed' as const, error: failed.error } : {}),
  };
}

/**
 * SQLSTATE classes of errors a row's content causes: 22 data exception (text PostgreSQL cannot hold, a value out
 * of range), 23 integrity constraint (the dedupe conflict never raises: ON CONFLICT absorbs it), 54 program limit
 * (an index key too large). Anything else (connection, disk, locks) is a storage fault: nothing is stored and the
 * caller tries the whole batch again later.
 */
const CONTENT_ERROR_CLASSES = new Set(['22', '23', '54']);

function isContentError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && CONTENT_ERROR_CLASSES.has(code.slice(0, 2));
}

/**
 * Stores raw messages durably, de-duplicated by their identity (src/mail/identity.ts), with one
 * multi-row `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING` per STORE_CHUNK and one SELECT for the
 * ones already stored. Results are in input order; a message that appears twice in `inputs` is
 * inserted once (the later copy reports inserted: false).
 * Called before the messages are queued and long before the server copies are flagged, so a crash at any
 * point leaves either nothing (they are fetched again) or stored rows (re-queuing them is harmless).
 */
export async function storeRawMessages(db: DbOrTrx, inputs: readonly RawMessageInput[]): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for (let i = 0; i < inputs.length; i += STORE_CHUNK)
    out.push(...(await storeChunk(db, inputs.slice(i, i + STORE_CHUNK))));
  return out;
}

/**
 * One message the database refuses must not stop the others: in the poller its batch would be fetched again and
 * refused again for ever, and the mailbox would stop. So after a content error each message is stored alone, and
 * one still refused is kept as failed with its raw bytes and the database's reason, nothing read from it (it can be
 * re-queued through the API after a fix). In a transaction the failed statement has aborted it, so the caller
 * gets the error.
 */
async function storeChunk(db: DbOrTrx, inputs: readonly RawMessageInput[]): Promise<StoredMessage[]> {
  try {
    return await insertChunk(db, inputs);
  } catch (err) {
    if (db.isTransaction || !isContentError(err)) throw err;
    const out: StoredMessage[] = [];
    for (const input of inputs) {
      try {
        out.push(...(await insertChunk(db, [input])));
      } catch (one) {
        if (!isContentError(one)) throw one;
        const reason = `the database refused the message as received (${one.code}: ${excerpt(one.message, 300)}); its raw bytes are kept`;
        out.push(...(await insertChunk(db, [input], reason)));
      }
    }
    return out;
  }
}

async function insertChunk(
  db: DbOrTrx,
  inputs: readonly RawMessageInput[],
  refused?: string,
): Promise<StoredMessage[]> {
  if (inputs.length === 0) return [];
  const values = inputs.map((input) => rowValues(input, refused));
  const unique = [...new Map(values.map((v) => [v.dedupe_key, v])).values()];
  const inserted = await db
    .insertInto('messages')
    .values(unique)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning(JOB_COLUMNS)
    .execute();
  const rows = new Map(inserted.map((r) => [r.dedupe_key, r]));
  const missing = unique.map((v) => v.dedupe_key).filter((k) => !rows.has(k));
  if (missing.length > 0) {
    for (const r of await db.selectFrom('messages').select(JOB_COLUMNS).where('dedupe_key', 'in', missing).execute())
      rows.set(r.dedupe_key, r);
  }
  const fresh = new Set(inserted.map((r) => r.dedupe_key));
  return values.map((v) => {
    const row = rows.get(v.dedupe_key);
    // Deleted between the conflict and the SELECT: a storage fault, not a duplicate to skip silently.
    if (!row) throw new Error(`message with dedupe key ${v.dedupe_key} neither inserted nor found`);
    // Only the first copy of a key in this batch counts as inserted.
    const first = fresh.delete(v.dedupe_key);
    return { id: row.id, inserted: first, status: row.status, job: inboundJobForRow(row) };
  });
}

/** Stores one raw message (intake ingest, tests): storeRawMessages for a batch of one. */
export async function storeRawMessage(db: DbOrTrx, input: RawMessageInput): Promise<StoredMessage> {
  return (await storeRawMessages(db, [input]))[0]!;
}
