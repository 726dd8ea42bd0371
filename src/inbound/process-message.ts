import type { Transaction } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { UnprocessableMessageError } from '../errors.js';
import { StaleCaseSettingsError } from '../cases/case.service.js';
import type { Logger } from '../logger.js';
import { parseMessage, type ParseOptions } from '../mail/parse.js';
import type { ParsedMessage } from '../mail/message.types.js';
import { readSenderHeaders } from '../mail/sender-headers.js';
import { metrics } from '../ops/metrics.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { cachedCaseSettings, type CaseSettingsCache } from '../settings/settings-cache.js';
import { readCaseSettings, type VersionedCaseSettings } from '../settings/settings.repository.js';
import {
  applyNewCase,
  applyToCase,
  suppressBouncedRecipients,
  type Applied,
  type InboundHooks,
} from './apply-decision.js';
import {
  claimMessageStatement,
  DONE,
  finishMessageStatement,
  finishMessageWithRefStatement,
} from './message.repository.js';
import { trustOptionsFor } from './trust-policy.js';
import { createThreadLookup, lockMessageWithRefs } from './thread-lookup.js';
import { describeWaits, type OrderWaitState, type PendingParent } from './order-wait.js';
import { decideThread, lookupMessageIds, referencedMessageIds, type ThreadingResult } from './threading.js';

export type { InboundHooks, EmailHookContext } from './apply-decision.js';

export type ParseFn = typeof parseMessage;

export interface ProcessDeps {
  db: Db;
  config: Config;
  logger: Logger;
  /** See InboundHooks: acknowledgements and other outbound side effects, inside the transaction. */
  hooks?: InboundHooks;
  /** The parser; default src/mail/parse.ts. */
  parse?: ParseFn;
  /**
   * A copy of the case settings to decide with (src/settings/settings-cache.ts), dropped when a new case finds
   * it stale; without it they are read from the database for every message. The worker passes one of its own.
   */
  caseSettings?: CaseSettingsCache;
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

/**
 * Parses raw bytes, with the sender facts the trust policy reads from the raw header (src/mail/sender-headers.ts);
 * any parser failure becomes UnprocessableMessageError (kept as failed, never retried).
 */
export async function parseRaw(parse: ParseFn, raw: Buffer, options: ParseOptions): Promise<ParsedMessage> {
  try {
    const parsed = await parse(raw, options);
    return { ...parsed, senderHeaders: readSenderHeaders(raw) };
  } catch (err) {
    if (err instanceof UnprocessableMessageError) throw err;
    throw new UnprocessableMessageError(`cannot parse message: ${(err as Error).message}`, err);
  }
}

export interface ProcessOptions {
  /** When the poller stored the message (InboundJob.receivedAt): the ingest-latency clock. */
  receivedAt?: string;
  /**
   * Ordering during a backlog (see order-wait.ts). When set, a message that refers to an earlier stored
   * message still on its way (queued or processing) returns outcome `waiting` (the worker delays its job);
   * `state` (the waits so far) is recorded in the reason once it is processed. Unset (direct callers): no check.
   */
  orderWait?: { state?: OrderWaitState };
  /**
   * The message, already claimed (status `processing`, size checked) and parsed with the current case settings
   * by processInboundBatch, which left it to this path (a reply, say): neither is done again.
   */
  preparsed?: ParsedMessage;
}

/**
 * Turns one stored message into a case, a note on a case, or an ignored record: idempotently.
 * Delivery is at least once (a stalled job runs again, a message may be queued twice), so everything
 * happens in one transaction that first locks the messages row and does nothing when it is already
 * processed: the database, not the queue, is the guard against duplicate cases.
 * Parsing runs before the transaction, so no connection or lock is held while the CPU works.
 * Round trips are most of the CPU a message costs (in Node and in PostgreSQL), so the transaction's first
 * statement locks the row, reads the thread references and checks for an earlier unprocessed message at
 * once (lockMessageWithRefs), and its last one writes the outcome together with the message's thread ref.
 *
 * Status: the row is `processing` from the start of a run (committed at once, so operators and the
 * backlog metric see messages in flight, and later replies wait for it), back to `queued` when the run
 * waits or fails with a retry ahead, and `processed`, `ignored` or `failed` at the end.
 */
export async function processInboundMessage(
  deps: ProcessDeps,
  messageRowId: string,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const { db, config, logger } = deps;
  const none = { action: null, caseId: null, caseNumber: null } as const;
  // Claim and read in one round trip. A run of the same row holding the row lock in its transaction
  // makes this wait, and then it matches nothing: the row is done.
  let parsed = options.preparsed;
  let known: VersionedCaseSettings | undefined;
  if (!parsed) {
    const [row] = await claimMessageStatement(db, [messageRowId]);
    if (!row) {
      const current = await db
        .selectFrom('messages')
        .select('status')
        .where('id', '=', messageRowId)
        .executeTakeFirst();
      if (!current) return { outcome: 'missing', ...none, reason: `message ${messageRowId} does not exist` };
      return { outcome: 'skipped', ...none, reason: `message ${messageRowId} is already ${current.status}` };
    }
    if (row.size > config.maxMessageBytes) {
      throw new UnprocessableMessageError(
        `message is ${row.size} bytes, more than MAX_MESSAGE_BYTES (${config.maxMessageBytes})`,
      );
    }
    known = await cachedCaseSettings(db, deps.caseSettings);
    parsed = await parseRaw(deps.parse ?? parseMessage, row.raw, parseOptionsFor(config, known.settings));
  }
  known ??= await cachedCaseSettings(db, deps.caseSettings);
  let result: TransactionResult;
  try {
    result = await db
      .transaction()
      .execute((trx) => applyInTransaction(trx, deps, messageRowId, parsed, { ...known, confirm: true }, options));
  } catch (err) {
    if (!(err instanceof StaleCaseSettingsError)) throw err;
    // The settings changed within the cache's life: nothing was written. Again, with fresh ones, once.
    deps.caseSettings?.invalidate();
    const fresh = await readCaseSettings(db);
    result = await db
      .transaction()
      .execute((trx) => applyInTransaction(trx, deps, messageRowId, parsed, { ...fresh, confirm: false }, options));
  }

  if (result?.waiting) {
    const parent = result.parent;
    const reason = `refers to earlier message ${parent.id} <${parent.messageId}>, still ${parent.status}: waits for it`;
    return { outcome: 'waiting', ...none, reason, waitingFor: parent };
  }
  if (!result) return { outcome: 'skipped', ...none, reason: `message ${messageRowId} was processed meanwhile` };
  const { applied, decision, caseNumber, caseId, reason } = result;
  countMetrics(parsed, applied.action, decision, options.receivedAt);
  logger.info(
    {
      messageRowId,
      messageId: parsed.messageId,
      action: applied.action,
      classification: parsed.classification,
      caseNumber,
      reason,
    },
    'inbound message processed',
  );
  return {
    outcome: applied.action === 'ignore' ? 'ignored' : 'processed',
    action: applied.action,
    caseId,
    caseNumber,
    reason,
  };
}

type TransactionResult =
  | null
  | { waiting: true; parent: PendingParent }
  | {
      waiting: false;
      applied: Applied;
      decision: ThreadingResult;
      caseNumber: string | null;
      caseId: string | null;
      reason: string;
    };

/** The transaction of processInboundMessage: lock, decide, apply, record. Null when the row is done already. */
async function applyInTransaction(
  trx: Transaction<Database>,
  deps: ProcessDeps,
  messageRowId: string,
  parsed: ParsedMessage,
  known: VersionedCaseSettings & { confirm: boolean },
  options: ProcessOptions,
): Promise<TransactionResult> {
  const { config } = deps;
  const pendingIds = options.orderWait ? referencedMessageIds(parsed) : [];
  const locked = await lockMessageWithRefs(trx, messageRowId, { refs: lookupMessageIds(parsed), pending: pendingIds });
  if (!locked || DONE.includes(locked.status)) return null;
  const wait = await orderWaitOf(trx, messageRowId, locked.pending, options.orderWait);
  if (wait.parent) return { waiting: true, parent: wait.parent };
  const decision = await decideThread(parsed, createThreadLookup(trx, lookupMessageIds(parsed), locked.refs), {
    statusClosed: known.settings.StatusClosed,
    trust: trustOptionsFor(config),
  });
  const applied = await applyDecision(trx, deps, known, parsed, decision, messageRowId);
  const suppressed = await suppressBouncedRecipients(trx, config, parsed, decision, messageRowId);
  const reason = `${applied.reason}${suppressed.length ? `; suppressed ${suppressed.join(', ')}` : ''}${wait.note}`;
  const caseNumber = applied.caseRow?.case_number ?? decision.caseNumber;
  const caseId = applied.caseRow?.id ?? decision.caseId;
  await recordOutcome(trx, messageRowId, parsed, applied, { caseNumber, caseId, reason });
  return { waiting: false, applied, decision, caseNumber, caseId, reason };
}

/**
 * Order during a backlog (order-wait.ts): with `orderWait`, a message whose earlier `parent` is still on its way goes
 * back to `queued` and waits (returned `parent`), however long; `note` (for the reason) says how long it waited.
 */
async function orderWaitOf(
  trx: Transaction<Database>,
  messageRowId: string,
  parent: PendingParent | null,
  orderWait: ProcessOptions['orderWait'],
): Promise<{ parent?: PendingParent; note: string }> {
  if (!orderWait) return { note: '' };
  if (parent) {
    await trx
      .updateTable('messages')
      .set({ status: 'queued' })
      .where('id', '=', messageRowId)
      .where('status', '=', 'processing')
      .execute();
    return { parent, note: '' };
  }
  const state = orderWait.state;
  return { note: state ? `; ${describeWaits(state)} for an earlier message it refers to` : '' };
}

/** The decision carried out: the message onto its case, a new case (also when its case went away), or ignored. */
async function applyDecision(
  trx: Transaction<Database>,
  deps: ProcessDeps,
  known: VersionedCaseSettings & { confirm: boolean },
  parsed: ParsedMessage,
  decision: ThreadingResult,
  messageRowId: string,
): Promise<Applied> {
  const { config } = deps;
  const hooks = deps.hooks ?? {};
  let applied: Applied | null = null;
  if (decision.action === 'reply' || decision.action === 'reopen') {
    applied = await applyToCase(trx, config, known.settings, parsed, decision, messageRowId, hooks);
    if (!applied && decision.internal) {
      applied = {
        action: 'ignore',
        caseRow: null,
        note: null,
        reason: `${decision.reason}; the case was deleted meanwhile`,
      };
    }
  }
  if (decision.action === 'new-case') {
    applied = await applyNewCase(trx, config, known, parsed, decision, messageRowId, hooks);
  } else if (!applied && decision.action !== 'ignore') {
    // The case was soft-deleted between the lookup and the lock: same rule as a deleted case found by lookup.
    const reason = `${decision.reason}; the case was deleted meanwhile: a new case refers to it`;
    applied = await applyNewCase(
      trx,
      config,
      known,
      parsed,
      { ...decision, previousCase: decision.matched, reason },
      messageRowId,
      hooks,
    );
  }
  return applied ?? { action: 'ignore', caseRow: null, note: null, reason: decision.reason };
}

/**
 * The row's final update, with the message's own thread ref when it went onto a case: one statement. The ref's
 * `created` is the transaction's start, so it still sorts before an acknowledgement's ref (clock_timestamp())
 * written earlier.
 */
async function recordOutcome(
  trx: Transaction<Database>,
  messageRowId: string,
  parsed: ParsedMessage,
  applied: Applied,
  { caseNumber, caseId, reason }: { caseNumber: string | null; caseId: string | null; reason: string },
): Promise<void> {
  const outcome = [
    messageRowId,
    applied.action === 'ignore' ? 'ignored' : 'processed',
    parsed.classification,
    JSON.stringify({ Action: applied.action, CaseNumber: caseNumber, Reason: reason }),
    caseId,
    applied.note?.id ?? null,
    new Date(),
  ];
  if (applied.caseRow && parsed.messageId)
    await finishMessageWithRefStatement(trx, [...outcome, parsed.messageId, applied.caseRow.id]);
  else await finishMessageStatement(trx, outcome);
}

export function countMetrics(
  parsed: ParsedMessage,
  action: ThreadingResult['action'],
  decision: ThreadingResult,
  receivedAt?: string,
): void {
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
