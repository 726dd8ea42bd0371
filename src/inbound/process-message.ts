import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db, DbOrTrx } from '../db/database.js';
import { UnprocessableMessageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseMessage, type ParseOptions } from '../mail/parse.js';
import type { ParsedMessage } from '../mail/message.types.js';
import { metrics } from '../ops/metrics.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';
import { applyNewCase, applyToCase, suppressBouncedRecipients, type Applied, type InboundHooks } from './apply-decision.js';
import { createThreadLookup } from './thread-lookup.js';
import { decideThread, type ThreadingResult } from './threading.js';

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
}

export interface ProcessResult {
  /** `skipped`: the row was already processed or ignored (a job that ran twice); `missing`: no such row. */
  outcome: 'processed' | 'ignored' | 'skipped' | 'missing';
  action: ThreadingResult['action'] | null;
  caseId: string | null;
  caseNumber: string | null;
  reason: string;
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

/**
 * Turns one stored message into a case, a note on a case, or an ignored record: idempotently.
 * Delivery is at least once (a stalled job runs again, a message may be queued twice), so everything
 * happens in one transaction that first locks the messages row and does nothing when it is already
 * processed: the database, not the queue, is the guard against duplicate cases.
 * Parsing runs before the transaction, so no connection or lock is held while the CPU works.
 */
export async function processInboundMessage(deps: ProcessDeps, messageRowId: string, options: { receivedAt?: string } = {}): Promise<ProcessResult> {
  const { db, config, logger } = deps;
  const row = await db.selectFrom('messages').select(['id', 'status', 'size', 'raw']).where('id', '=', messageRowId).executeTakeFirst();
  if (!row) return { outcome: 'missing', action: null, caseId: null, caseNumber: null, reason: `message ${messageRowId} does not exist` };
  if (DONE.includes(row.status)) return { outcome: 'skipped', action: null, caseId: null, caseNumber: null, reason: `message ${messageRowId} is already ${row.status}` };
  if (row.size > config.maxMessageBytes) {
    throw new UnprocessableMessageError(`message is ${row.size} bytes, more than MAX_MESSAGE_BYTES (${config.maxMessageBytes})`);
  }
  const settings = await getCaseSettings(db);
  const parsed = await parseRaw(deps.parse ?? parseMessage, row.raw, parseOptionsFor(config, settings));

  const result = await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('messages').select('status').where('id', '=', messageRowId).forUpdate().executeTakeFirst();
    if (!locked || DONE.includes(locked.status)) return null;
    const decision = await decideThread(parsed, createThreadLookup(trx), {
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
    const reason = suppressed.length ? `${applied.reason}; suppressed ${suppressed.join(', ')}` : applied.reason;
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

  if (!result) return { outcome: 'skipped', action: null, caseId: null, caseNumber: null, reason: `message ${messageRowId} was processed meanwhile` };
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
 * status 'failed' (kept with its raw bytes until someone re-queues it). A processed row is never touched.
 */
export async function recordFailedAttempt(db: DbOrTrx, messageRowId: string, error: unknown, final: boolean): Promise<void> {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await db
    .updateTable('messages')
    .set({ error: text.slice(0, MAX_ERROR_TEXT), attempts: sql`attempts + 1`, ...(final ? { status: 'failed' as const } : {}) })
    .where('id', '=', messageRowId)
    .where('status', 'not in', DONE as ('processed' | 'ignored')[])
    .execute();
}
