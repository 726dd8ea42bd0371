import type { DbOrTrx } from '../db/database.js';
import { messageDedupeKey, normaliseMessageId, rawHeader, splitRaw } from '../mail/identity.js';
import type { InboundJob } from '../queue/queues.js';

export interface RawMessageInput {
  /** Mailbox key (config MailboxConfig.key), or e.g. `file:<path>` for `intake ingest`. */
  mailbox: string;
  uidvalidity?: number | string | null;
  uid?: number | string | null;
  raw: Buffer;
}

export interface StoredMessage {
  id: string;
  /** False when this message was already stored (a redelivery or re-fetch). */
  inserted: boolean;
  status: string;
  job: InboundJob;
}

/**
 * Stores the raw message durably, de-duplicated by its identity (src/mail/identity.ts).
 * Called before the message is queued and long before the server copy is flagged, so a crash at any
 * point leaves either nothing (it will be fetched again) or a stored row (re-queuing it is harmless).
 */
export async function storeRawMessage(db: DbOrTrx, input: RawMessageInput): Promise<StoredMessage> {
  const { header } = splitRaw(input.raw);
  const envelope = {
    messageId: normaliseMessageId(rawHeader(header, 'Message-ID')),
    from: rawHeader(header, 'From'),
    subject: rawHeader(header, 'Subject'),
    date: rawHeader(header, 'Date'),
  };
  const dedupeKey = messageDedupeKey(input.raw);
  const inserted = await db
    .insertInto('messages')
    .values({
      dedupe_key: dedupeKey,
      mailbox: input.mailbox,
      uidvalidity: input.uidvalidity ?? null,
      uid: input.uid ?? null,
      message_id: envelope.messageId,
      envelope: JSON.stringify(envelope),
      raw: input.raw,
      size: input.raw.length,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning(['id', 'status', 'received_at'])
    .executeTakeFirst();
  const row =
    inserted ??
    (await db.selectFrom('messages').select(['id', 'status', 'received_at']).where('dedupe_key', '=', dedupeKey).executeTakeFirstOrThrow());
  return {
    id: row.id,
    inserted: !!inserted,
    status: row.status,
    job: {
      messageRowId: row.id,
      mailbox: input.mailbox,
      messageId: envelope.messageId,
      from: envelope.from,
      subject: envelope.subject,
      date: envelope.date,
      size: input.raw.length,
      receivedAt: row.received_at.toISOString(),
    },
  };
}
