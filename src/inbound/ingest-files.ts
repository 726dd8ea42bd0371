import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DbOrTrx } from '../db/database.js';
import { enqueueInbound, type Queues } from '../queue/queues.js';
import { readMessageFile } from './message-files.js';
import { storeRawMessage } from './store.js';

export { isMbox, readMessageFile, splitMbox } from './message-files.js';

/** How long `intake ingest --wait` waits for the worker by default. */
export const DEFAULT_INGEST_WAIT_MS = 120_000;
const WAIT_POLL_MS = 250;

export interface IngestedMessage {
  file: string;
  /** Position in the file (1-based; always 1 for an .eml). */
  index: number;
  messageRowId: string;
  messageId: string | null;
  /** False when the same message was stored before (it is queued again, which is harmless). */
  inserted: boolean;
}

/**
 * Feeds files through the same path as the poller: store the raw bytes (mailbox `file:<basename>`),
 * then queue them. The running worker does the rest.
 */
export async function ingestFiles(
  db: DbOrTrx,
  queues: Pick<Queues, 'inbound'>,
  paths: readonly string[],
  onMessage: (m: IngestedMessage) => void = () => undefined,
): Promise<IngestedMessage[]> {
  const results: IngestedMessage[] = [];
  for (const path of paths) {
    const raws = await readMessageFile(path);
    let index = 0;
    for (const raw of raws) {
      index += 1;
      const stored = await storeRawMessage(db, { mailbox: `file:${basename(path)}`, raw });
      // Already processed messages need no job; anything else is (re-)queued under the same job id.
      if (stored.status !== 'processed' && stored.status !== 'ignored') await enqueueInbound(queues, stored.job);
      const result = {
        file: path,
        index,
        messageRowId: stored.id,
        messageId: stored.job.messageId,
        inserted: stored.inserted,
      };
      results.push(result);
      onMessage(result);
    }
  }
  return results;
}

export interface MessageOutcome {
  messageRowId: string;
  status: string;
  caseNumber: string | null;
  action: string | null;
  error: string | null;
}

/** Waits until every message is processed, ignored or failed (or the timeout passes); returns their outcome. */
export async function waitForMessages(
  db: DbOrTrx,
  ids: readonly string[],
  timeoutMs = DEFAULT_INGEST_WAIT_MS,
): Promise<{ done: boolean; outcomes: MessageOutcome[] }> {
  const unique = [...new Set(ids)];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows =
      unique.length === 0
        ? []
        : await db
            .selectFrom('messages')
            .leftJoin('cases', 'cases.id', 'messages.case_id')
            .select(['messages.id', 'messages.status', 'messages.decision', 'messages.error', 'cases.case_number'])
            .where('messages.id', 'in', unique)
            .orderBy('messages.id')
            .execute();
    const outcomes = rows.map((r) => ({
      messageRowId: r.id,
      status: r.status,
      caseNumber: r.case_number ?? (r.decision as { CaseNumber?: string | null } | null)?.CaseNumber ?? null,
      action: (r.decision as { Action?: string } | null)?.Action ?? null,
      error: r.error,
    }));
    const done = outcomes.every((o) => ['processed', 'ignored', 'failed'].includes(o.status));
    if (done || Date.now() >= deadline) return { done, outcomes };
    await sleep(WAIT_POLL_MS);
  }
}
