import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { StaleCaseSettingsError } from '../cases/case.service.js';
import type { ParsedMessage } from '../mail/message.types.js';
import { cachedCaseSettings } from '../settings/settings-cache.js';
import type { VersionedCaseSettings } from '../settings/settings.repository.js';
import { parseMessage } from '../mail/parse.js';
import { applyNewCases, type Applied } from './apply-decision.js';
import { precompiled } from '../db/query-template.js';
import { DONE } from './message.repository.js';
import { countMetrics, parseOptionsFor, parseRaw, type ProcessDeps, type ProcessResult } from './process-message.js';
import { createThreadLookup, loadRefsAndPending, type RefRow } from './thread-lookup.js';
import { trustOptionsFor } from './trust-policy.js';
import { decideThread, lookupMessageIds, referencedMessageIds, type ThreadingResult } from './threading.js';

/** How long the first job of a batch waits for more to arrive before the batch runs. */
export const DEFAULT_BATCH_LINGER_MS = 20;
/**
 * Larger messages take the single-message path: a batch writes its cases as one JSON document, and fifty bodies
 * of 40 MB would be a 2 GB string (V8 refuses strings of that size). Most customer mail is a few KB.
 */
export const BATCH_MESSAGE_MAX_BYTES = 1024 * 1024;

export interface BatchEntry {
  messageRowId: string;
  /** InboundJob.receivedAt: the ingest-latency clock. */
  receivedAt?: string;
}

/**
 * What the batch did with one entry: `result` when it was processed; otherwise the entry takes the single-message
 * path (processInboundMessage), with `parsed` when the batch already claimed and parsed it, so neither is repeated.
 */
export type BatchOutcome =
  { result: ProcessResult; parsed?: undefined } | { result?: undefined; parsed?: ParsedMessage };

/**
 * Mail the batch can decide from Message-IDs alone (its own, In-Reply-To, References, all read for the whole batch
 * in one query): it carries no reply token, names no case in its subject, and is no bounce or feedback report
 * (those may thread onto a case and suppress addresses). Whether it then continues a case is decided in the batch;
 * if it does, it leaves the batch for the single-message path, which knows every rule.
 */
export function batchable(parsed: ParsedMessage): boolean {
  return (
    parsed.replyTokens.length === 0 &&
    parsed.caseRefs.length === 0 &&
    parsed.classification !== 'bounce' &&
    parsed.classification !== 'feedback-report' &&
    !parsed.bounce?.originalMessageId
  );
}

const claimBatchStatement = precompiled((db, slot) =>
  db
    .updateTable('messages')
    .set({ status: 'processing' })
    .where(sql<boolean>`id = ANY(${slot(0)}::bigint[])`)
    .where('status', 'not in', DONE as ('processed' | 'ignored')[])
    .returning(['id', 'size', 'raw']),
);

/** Rows in id order, so two transactions locking overlapping sets (a job that ran twice) wait, never deadlock. */
const lockBatchStatement = precompiled((db, slot) =>
  db
    .selectFrom('messages')
    .select(['id', 'status'])
    .where(sql<boolean>`id = ANY(${slot(0)}::bigint[])`)
    .orderBy('id')
    .forUpdate(),
);

interface Finished {
  /** The entry's index in the batch. */
  index: number;
  messageRowId: string;
  parsed: ParsedMessage;
  applied: Applied;
  decision: ThreadingResult;
}

/**
 * Every outcome of the batch in one statement: each messages row gets its final state, as finishMessageStatement does
 * for one message (message.repository.ts), and each new case the Message-ID it came from (thread_refs), so replies
 * to it thread.
 */
async function finishBatch(trx: Trx, done: readonly Finished[]): Promise<void> {
  const column = <T>(f: (d: Finished) => T) => done.map(f);
  const status = column((d) => (d.applied.action === 'ignore' ? 'ignored' : 'processed'));
  const decision = column((d) =>
    JSON.stringify({
      Action: d.applied.action,
      CaseNumber: d.applied.caseRow?.case_number ?? d.decision.caseNumber,
      Reason: d.applied.reason,
    }),
  );
  await sql`
    WITH v AS (
      SELECT * FROM unnest(${column((d) => d.messageRowId)}::bigint[], ${status}::text[], ${column((d) => d.parsed.classification)}::text[],
                           ${decision}::jsonb[], ${column((d) => d.applied.caseRow?.id ?? d.decision.caseId)}::uuid[],
                           ${column((d) => d.applied.note?.id ?? null)}::uuid[],
                           ${column((d) => (d.applied.caseRow ? d.parsed.messageId : null))}::text[])
        AS v(id, status, classification, decision, case_id, note_id, ref)
    ), refs AS (
      INSERT INTO thread_refs (message_id, case_id, direction)
      SELECT ref, case_id, 'in' FROM v WHERE ref IS NOT NULL AND case_id IS NOT NULL
      ON CONFLICT (message_id, case_id) DO NOTHING
    )
    UPDATE messages AS m
       SET status = v.status, classification = v.classification, decision = v.decision, case_id = v.case_id,
           note_id = v.note_id, processed_at = clock_timestamp(), error = NULL, attempts = m.attempts + 1
      FROM v
     WHERE m.id = v.id`.execute(trx);
}

/**
 * Processes several stored messages in one transaction: the throughput path of a backlog. Per message the
 * single path (processInboundMessage) costs about ten SQL round trips: claim, BEGIN, lock, case, note, the
 * acknowledgement, outcome, COMMIT; on this kind of machine every round trip costs ~1 ms of CPU between Node and
 * PostgreSQL, far more than parsing. Here claim, BEGIN, lock, thread lookup, outcome and COMMIT are shared by
 * the batch, and so are the writes: every new case with its first note in one statement (applyNewCases,
 * src/cases/bulk-create.ts, with the same column rules as createCase) and all acknowledgements in a few (the
 * batch hook).
 *
 * Never at the cost of a message: an entry the batch cannot take (not `batchable`, unparseable, too large, a
 * second copy of a Message-ID in the same batch, already done) is returned without a result and goes the single
 * path; if the batch's transaction fails for any reason (a hook throws, the settings changed, a deadlock), it
 * rolls back as a whole and every entry goes the single path, where a bad message fails alone and is retried
 * or kept as failed. Idempotent like the single path: the rows are locked and their status checked in the
 * transaction, so a message processed meanwhile is skipped.
 */
export async function processInboundBatch(deps: ProcessDeps, entries: readonly BatchEntry[]): Promise<BatchOutcome[]> {
  const { db, logger } = deps;
  const outcomes: BatchOutcome[] = entries.map(() => ({}));
  const claimed = await claimBatchStatement(db, [entries.map((e) => e.messageRowId)]);
  if (claimed.length === 0) return outcomes;
  const known = await cachedCaseSettings(db, deps.caseSettings);
  const candidates = await parseCandidates(deps, entries, claimed, known, outcomes);
  if (candidates.length === 0) return outcomes;

  let finished: Finished[];
  try {
    finished = await db.transaction().execute((trx) => applyBatch(trx, deps, known, candidates));
  } catch (err) {
    if (err instanceof StaleCaseSettingsError) deps.caseSettings?.invalidate();
    logger.warn(
      { err: (err as Error).message, messages: candidates.length },
      'inbound batch rolled back; its messages go one by one',
    );
    // Parsed with settings that may be stale: the single path claims and parses again.
    for (const c of candidates) outcomes[c.index] = {};
    return outcomes;
  }
  for (const d of finished) outcomes[d.index] = { result: reportFinished(deps, d, entries, candidates.length) };
  return outcomes;
}

interface Candidate {
  /** The entry's index in the batch. */
  index: number;
  entry: BatchEntry;
  parsed: ParsedMessage;
}

/**
 * Parses the claimed rows (recording each parsed message in `outcomes`, so the single path need not parse again)
 * and returns the ones the batch takes. Not claimed (done or missing), too large or unparseable: the single path
 * says which, or fails it.
 */
async function parseCandidates(
  deps: ProcessDeps,
  entries: readonly BatchEntry[],
  claimed: readonly { id: string | number | bigint; size: number; raw: Buffer }[],
  known: VersionedCaseSettings,
  outcomes: BatchOutcome[],
): Promise<Candidate[]> {
  const { config } = deps;
  const rows = new Map(claimed.map((r) => [String(r.id), r]));
  const parseOptions = parseOptionsFor(config, known.settings);
  const candidates: Candidate[] = [];
  const messageIds = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const row = rows.get(entry.messageRowId);
    if (!row || row.size > config.maxMessageBytes) continue;
    const parsed = await parseRaw(deps.parse ?? parseMessage, row.raw, parseOptions).catch(() => null);
    if (!parsed) continue; // The single path parses again and keeps the message as failed with the parser's error.
    outcomes[index] = { parsed };
    // A second copy of a Message-ID must see the first one's thread ref: after this batch, on the single path.
    if (!batchable(parsed) || (parsed.messageId && messageIds.has(parsed.messageId))) continue;
    if (parsed.messageId) messageIds.add(parsed.messageId);
    candidates.push({ index, entry, parsed });
  }
  return candidates;
}

type Trx = Transaction<Database>;

/**
 * The batch's transaction: lock the rows, read the thread refs of all candidates at once, decide each, and write
 * every new case (with its first note and acknowledgement) and every outcome in a few statements. A candidate
 * processed meanwhile, one that waits for an earlier message (order-wait.ts) or one that continues a case is left
 * out: the single path takes it.
 */
async function applyBatch(
  trx: Trx,
  deps: ProcessDeps,
  known: VersionedCaseSettings,
  candidates: readonly Candidate[],
): Promise<Finished[]> {
  const { config } = deps;
  const locked = await lockBatchStatement(trx, [candidates.map((c) => c.entry.messageRowId)]);
  const status = new Map(locked.map((r) => [String(r.id), r.status]));
  const { refs, waits } = await refsAndWaits(trx, candidates);
  const done: Finished[] = [];
  const newCases: { index: number; messageRowId: string; parsed: ParsedMessage; decision: ThreadingResult }[] = [];
  for (const { index, entry, parsed } of candidates) {
    const current = status.get(entry.messageRowId);
    if (!current || DONE.includes(current)) continue; // Processed meanwhile by another run: the single path reports it.
    if (waits(entry.messageRowId, parsed)) continue;
    const ids = lookupMessageIds(parsed);
    const decision = await decideThread(parsed, createThreadLookup(trx, ids, refs), {
      statusClosed: known.settings.StatusClosed,
      trust: trustOptionsFor(config),
    });
    if (decision.action === 'new-case') {
      newCases.push({ index, messageRowId: entry.messageRowId, parsed, decision });
    } else if (decision.action === 'ignore') {
      const applied: Applied = { action: 'ignore', caseRow: null, note: null, reason: decision.reason };
      done.push({ index, messageRowId: entry.messageRowId, parsed, applied, decision });
    }
    // Otherwise it continues a case: the single path adds it (and reopens, and calls the reply hook).
  }
  // Every new case of the batch, its first note and its acknowledgement in a few statements.
  const applied = await applyNewCases(trx, config, known, newCases, deps.hooks ?? {});
  for (const [i, c] of newCases.entries()) done.push({ ...c, applied: applied[i]! });
  if (done.length > 0) await finishBatch(trx, done);
  return done;
}

/**
 * The thread refs of every candidate and (order-wait.ts) the test whether a candidate refers to an earlier message
 * not processed yet (in this batch or not): such a message leaves the batch, and the single path makes it wait for
 * that one. Both come from one statement (loadRefsAndPending): read apart, a parent committed between the two reads
 * would be seen by neither, and its reply would become a new case without waiting.
 */
async function refsAndWaits(
  trx: Trx,
  candidates: readonly Candidate[],
): Promise<{ refs: RefRow[]; waits: (messageRowId: string, parsed: ParsedMessage) => boolean }> {
  const { refs, pending } = await loadRefsAndPending(trx, {
    refs: candidates.flatMap((c) => lookupMessageIds(c.parsed)),
    pending: candidates.flatMap((c) => referencedMessageIds(c.parsed)),
  });
  const waits = (messageRowId: string, parsed: ParsedMessage) =>
    referencedMessageIds(parsed).some((id) =>
      pending.some((p) => p.messageId === id && BigInt(p.id) < BigInt(messageRowId)),
    );
  return { refs, waits };
}

/** Metrics and the log line of a message the batch finished, and the result its job returns. */
function reportFinished(
  deps: ProcessDeps,
  d: Finished,
  entries: readonly BatchEntry[],
  batchLength: number,
): ProcessResult {
  const caseNumber = d.applied.caseRow?.case_number ?? d.decision.caseNumber;
  const caseId = d.applied.caseRow?.id ?? d.decision.caseId;
  countMetrics(d.parsed, d.applied.action, d.decision, entries[d.index]!.receivedAt);
  deps.logger.info(
    {
      messageRowId: d.messageRowId,
      messageId: d.parsed.messageId,
      action: d.applied.action,
      classification: d.parsed.classification,
      caseNumber,
      reason: d.applied.reason,
      batch: batchLength,
    },
    'inbound message processed',
  );
  return {
    outcome: d.applied.action === 'ignore' ? 'ignored' : 'processed',
    action: d.applied.action,
    caseId,
    caseNumber,
    reason: d.applied.reason,
  };
}
