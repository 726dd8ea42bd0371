import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db, DbOrTrx } from '../db/database.js';
import type { MessageStatus } from '../db/schema.js';
import { UnprocessableMessageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseMessage, type ParseOptions } from '../mail/parse.js';
import type { ParsedMessage } from '../mail/message.types.js';
import { metrics } from '../ops/metrics.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';
import { applyNewCase, applyToCase, suppressBouncedRecipients, type Applied, type InboundHooks } from './apply-decision.js';
import { createThreadLookup } from './thread-lookup.js';
import { describeWaits, findPendingParent, type OrderWaitState, type PendingParent } from './order-wait.js';
import { decideThread, lookupMessageIds, referencedMessageIds, type ThreadingResult } from './threading.js';

export type { InboundHooks, EmailHookContext } from './apply-decision.js';

/** Longest error text kept on a failed message row. */
export const MAX_ERROR_TEXT = 4_000;

export type ParseFn = typeof parseMessage;

export interface ProcessDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** See InboundHooks: acknowledgements and other outbound side effects, inside the transaction. */
  hooks?: InboundHooks;
  /** The parser; default src/mail/parse.ts. */
  parse?: ParseFn;
  /** The case settings; default: read from the database on every call (the worker passes a short cache, settings-cache.ts). */
  caseSettings?: () => Promise<CaseSettings>;
}

export interface ProcessResult {
  /**
   * `skipped`: the row was already processed or ignored (a job that ran twice); `missing`: no such row;
   * `waiting`: it refers to an earlier message not yet processed (ProcessOptions.orderWait), nothing written.
   */
  outcome: 'processed' | 'ignored' | 'skipped' | 'missing' | 'waiting';
  action: ThreadingResult['action'] | null;
  caseId: string | null;
  caseNumber: string | null;
  reason: string;
  /** With outcome `waiting`: the earlier message it waits for. */
  waitingFor?: PendingParent;
}

/** The parser options for the configured installation (case number prefix from the case settings). */
export function parseOptionsFor(config: Config, settings: Pick<CaseSettings, 'NumberPrefix'>): ParseOptions {
  return {
    orderRefPattern: config.orderRefPattern,
    replyAddress: config.replyAddress,
    ownAddresses: config.ownAddresses,
    caseNumberPrefixes: [settings.NumberPrefix],
  };
}

/** Parses raw bytes; any parser failure becomes UnprocessableMessageError (kept as failed, never retried). */
export async function parseRaw(parse: ParseFn, raw: Buffer, options: ParseOptions): Promise<ParsedMessage> {
  try {
    return await parse(raw, options);
  } catch (err) {
    if (err instanceof UnprocessableMessageError) throw err;
    throw new UnprocessableMessageError(`cannot parse message: ${(err as Error).message}`, err);
  }
}

const DONE = ['processed', 'ignored'];
const DONE_STATUSES = DONE as ('processed' | 'ignored')[];

export interface ProcessOptions {
  /** When the poller stored the message (InboundJob.receivedAt): the ingest-latency clock. */
  receivedAt?: string;
  /**
   * Ordering during a backlog (see order-wait.ts). When set, a message that refers to an earlier stored
   * message not yet processed returns outcome `waiting` (the worker delays its job) while `mayWait`; once
   * the bound is reached (`mayWait` false) it is processed by the normal rules and the wait is recorded
   * in the reason. Unset (direct callers): no check.
   */
  orderWait?: { mayWait: boolean; state?: OrderWaitState };
}

/**
 * Turns one stored message into a case, a note on a case, or an ignored record: idempotently.
 * Delivery is at least once (a stalled job runs again, a message may be queued twice), so everything
 * happens in one transaction that first locks the messages row and does nothing when it is already
 * processed: the database, not the queue, is the guard against duplicate cases.
 * Parsing runs before the transaction, so no connection or lock is held while the CPU works.
 *
 * Status: the row is `processing` from the start of a run (committed at once, so operators and the
 * backlog metric see messages in flight, and later replies wait for it), back to `queued` when the run
 * waits or fails with a retry ahead, and `processed`, `ignored` or `failed` at the end.
 */
export async function processInboundMessage(deps: ProcessDeps, messageRowId: string, options: ProcessOptions = {}): Promise<ProcessResult> {
  const { db, config, logger } = deps;
  const none = { action: null, caseId: null, caseNumber: null } as const;
  // Claim and read in one round trip. A run of the same row holding the row lock in its transaction
  // makes this wait, and then it matches nothing: the row is done.
  const row = await db
    .updateTable('messages')
    .set({ status: 'processing' })
    .where('id', '=', messageRowId)
    .where('status', 'not in', DONE_STATUSES)
    .returning(['size', 'raw'])
    .executeTakeFirst();
  if (!row) {
    const current = await db.selectFrom('messages').select('status').where('id', '=', messageRowId).executeTakeFirst();
    if (!current) return { outcome: 'missing', ...none, reason: `message ${messageRowId} does not exist` };
    return { outcome: 'skipped', ...none, reason: `message ${messageRowId} is already ${current.status}` };
  }
  if (row.size > config.maxMessageBytes) {
    throw new UnprocessableMessageError(`message is ${row.size} bytes, more than MAX_MESSAGE_BYTES (${config.maxMessageBytes})`);
  }
  const settings = await (deps.caseSettings ?? (() => getCaseSettings(db)))();
  const parsed = await parseRaw(deps.parse ?? parseMessage, row.raw, parseOptionsFor(config, settings));

  let waitNote = '';
  if (options.orderWait) {
    const parent = await findPendingParent(db, messageRowId, referencedMessageIds(parsed));
    const state = options.orderWait.state;
    if (parent && options.orderWait.mayWait) {
      await db.updateTable('messages').set({ status: 'queued' }).where('id', '=', messageRowId).where('status', '=', 'processing').execute();
      const reason = `refers to earlier message ${parent.id} <${parent.messageId}>, still ${parent.status}: waits for it`;
      return { outcome: 'waiting', ...none, reason, waitingFor: parent };
    }
    if (parent) {
      waitNote = `; ${describeWaits(state ?? { waits: 0, since: Date.now() })} for earlier message ${parent.id} <${parent.messageId}>, still ${parent.status}: decided without it`;
    } else if (state) {
      waitNote = `; ${describeWaits(state)} for an earlier message it refers to`;
    }
  }

  const result = await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('messages').select('status').where('id', '=', messageRowId).forUpdate().executeTakeFirst();
    if (!locked || DONE.includes(locked.status)) return null;
    const decision = await decideThread(parsed, createThreadLookup(trx, lookupMessageIds(parsed)), {
      statusClosed: settings.StatusClosed,
      senderFromReplyTo: config.customerFromReplyTo,
    });
    let applied: Applied | null = null;
    if (decision.action === 'reply' || decision.action === 'reopen') {
      applied = await applyToCase(trx, config, settings, parsed, decision, messageRowId, deps.hooks ?? {});
      if (!applied && decision.internal) {
        applied = { action: 'ignore', caseRow: null, note: null, reason: `${decision.reason}; the case was deleted meanwhile` };
      }
    }
    if (decision.action === 'new-case') {
      applied = await applyNewCase(trx, config, parsed, decision, messageRowId, deps.hooks ?? {});
    } else if (!applied && decision.action !== 'ignore') {
      // The case was soft-deleted between the lookup and the lock: same rule as a deleted case found by lookup.
      const reason = `${decision.reason}; the case was deleted meanwhile: a new case refers to it`;
      applied = await applyNewCase(trx, config, parsed, { ...decision, previousCase: decision.matched, reason }, messageRowId, deps.hooks ?? {});
    }
    applied ??= { action: 'ignore', caseRow: null, note: null, reason: decision.reason };
    const suppressed = await suppressBouncedRecipients(trx, config, parsed, decision, messageRowId);
    const reason = `${applied.reason}${suppressed.length ? `; suppressed ${suppressed.join(', ')}` : ''}${waitNote}`;
    const caseNumber = applied.caseRow?.case_number ?? decision.caseNumber;
    const caseId = applied.caseRow?.id ?? decision.caseId;
    await trx
      .updateTable('messages')
      .set({
        status: applied.action === 'ignore' ? 'ignored' : 'processed',
        classification: parsed.classification,
        decision: JSON.stringify({ Action: applied.action, CaseNumber: caseNumber, Reason: reason }),
        case_id: caseId,
        note_id: applied.note?.id ?? null,
        processed_at: new Date(),
        error: null,
        attempts: sql`attempts + 1`,
      })
      .where('id', '=', messageRowId)
      .execute();
    return { applied, decision, caseNumber, caseId, reason };
  });

  if (!result) return { outcome: 'skipped', ...none, reason: `message ${messageRowId} was processed meanwhile` };
  const { applied, decision, caseNumber, caseId, reason } = result;
  countMetrics(parsed, applied.action, decision, options.receivedAt);
  logger.info(
    { messageRowId, messageId: parsed.messageId, action: applied.action, classification: parsed.classification, caseNumber, reason },
    'inbound message processed',
  );
  return { outcome: applied.action === 'ignore' ? 'ignored' : 'processed', action: applied.action, caseId, caseNumber, reason };
}

function countMetrics(parsed: ParsedMessage, action: ThreadingResult['action'], decision: ThreadingResult, receivedAt?: string): void {
  metrics.messagesProcessed.inc({ action, classification: parsed.classification });
  if (action === 'new-case') metrics.casesCreated.inc({ source: 'Email' });
  if (action === 'reply' || action === 'reopen') metrics.repliesThreaded.inc({ rule: decision.rule ?? 'none' });
  if (action === 'reopen') metrics.reopens.inc();
  if (parsed.classification !== 'normal') metrics.suppressed.inc({ classification: parsed.classification });
  if (receivedAt) {
    const seconds = (Date.now() - new Date(receivedAt).getTime()) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) metrics.ingestLatency.observe(seconds);
  }
}

/**
 * Records a failed attempt on the row: the error text and the attempt count; `final` makes it
 * status 'failed' (kept with its raw bytes until someone re-queues it), otherwise it is 'queued' again
 * (waiting for its retry, no longer in flight). A processed or ignored row is never touched.
 */
export async function recordFailedAttempt(db: DbOrTrx, messageRowId: string, error: unknown, final: boolean): Promise<void> {
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
