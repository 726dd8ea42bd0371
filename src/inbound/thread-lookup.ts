import { sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { DbOrTrx } from '../db/database.js';
import type { ParticipantJson } from '../db/schema.js';
import { pendingParentQuery, type PendingParent } from './order-wait.js';
import { precompiled } from '../db/query-template.js';
import type { ThreadCase, ThreadLookup } from './threading.js';

const THREAD_CASE_COLUMNS = [
  'cases.id',
  'cases.case_number',
  'cases.status',
  'cases.deleted_at',
  'cases.customer_email',
  'cases.participants',
] as const;

interface ThreadCaseRow {
  id: string;
  case_number: string;
  status: string;
  deleted_at: Date | null;
  customer_email: string | null;
  participants: ParticipantJson[];
}

export interface RefRow extends ThreadCaseRow {
  message_id: string;
  direction: 'in' | 'out';
  created: Date;
}

function toThreadCase(row: ThreadCaseRow): ThreadCase {
  return {
    id: row.id,
    caseNumber: row.case_number,
    status: row.status,
    deleted: row.deleted_at !== null,
    customerEmail: row.customer_email?.toLowerCase() ?? null,
    participantEmails: (row.participants ?? []).map((p) => p.Email?.toLowerCase()).filter((e): e is string => !!e),
  };
}

/** thread_refs rows (with their case) for these Message-IDs. `= ANY($1)`: one SQL text whatever the number of ids. */
function refsQuery(db: DbOrTrx, messageIds: readonly string[]) {
  return db
    .selectFrom('thread_refs')
    .innerJoin('cases', 'cases.id', 'thread_refs.case_id')
    .select([...THREAD_CASE_COLUMNS, 'thread_refs.message_id', 'thread_refs.direction', 'thread_refs.created'])
    .where(sql<boolean>`thread_refs.message_id = ANY(${messageIds}::text[])`);
}

/** thread_refs rows (with their case) for these Message-IDs, in one query. */
export async function loadRefs(db: DbOrTrx, messageIds: readonly string[]): Promise<RefRow[]> {
  if (messageIds.length === 0) return [];
  return refsQuery(db, [...new Set(messageIds)]).execute();
}

/** An earlier stored message not processed yet (queued or processing) that a batch's messages refer to. */
export interface PendingRow {
  id: string;
  messageId: string;
}

/** The messages among `messageIds` that are not processed yet (queued or processing), any row id. */
function pendingQuery(db: DbOrTrx, messageIds: readonly string[]) {
  return db
    .selectFrom('messages')
    .select(['id', 'message_id'])
    .where(sql<boolean>`message_id = ANY(${messageIds}::text[])`)
    .where('status', 'in', ['queued', 'processing']);
}

const refsAndPendingStatement = precompiled((db, slot) =>
  db.selectNoFrom([
    jsonArrayFrom(refsQuery(db, slot(0))).as('refs'),
    jsonArrayFrom(pendingQuery(db, slot(1))).as('pending'),
  ]),
);

/** JSON has no dates: json_agg prints timestamps as text. */
function refRowsFromJson(rows: unknown): RefRow[] {
  return (rows as (Omit<RefRow, 'created'> & { created: string })[]).map((r) => ({
    ...r,
    created: new Date(r.created),
  }));
}

/**
 * The thread references of `refs` and the not yet processed messages among `pending`, read in ONE statement, so in
 * one snapshot. Two statements would each see a different moment: a parent committed by another transaction between
 * them would be missing from both (no thread ref yet in the first, no longer pending in the second), and its reply
 * would start a case of its own without waiting. In one snapshot the parent is either pending or has its ref.
 */
export async function loadRefsAndPending(
  db: DbOrTrx,
  ids: { refs: readonly string[]; pending: readonly string[] },
): Promise<{ refs: RefRow[]; pending: PendingRow[] }> {
  const [row] = await refsAndPendingStatement(db, [[...new Set(ids.refs)], [...new Set(ids.pending)]]);
  const pending = (row?.pending ?? []) as { id: string | number; message_id: string }[];
  return {
    refs: refRowsFromJson(row?.refs ?? []),
    pending: pending.map((p) => ({ id: String(p.id), messageId: p.message_id })),
  };
}

export interface LockedMessage {
  status: string;
  /** thread_refs rows (with their case) of the `refs` Message-IDs, for createThreadLookup's `preloaded`. */
  refs: RefRow[];
  /** With `pending`: the earliest earlier stored message among them not processed yet (order-wait.ts). */
  pending: PendingParent | null;
}

const lockStatement = precompiled((db, slot) =>
  db
    .selectFrom('messages as m')
    .select([
      'm.status',
      jsonArrayFrom(refsQuery(db, slot(0))).as('refs'),
      jsonObjectFrom(pendingParentQuery(db, slot(2), slot(1))).as('pending'),
    ])
    .where('m.id', '=', slot(2))
    .forUpdate('m'),
);

/**
 * The first statement of a message's transaction, three questions in one round trip: locks the messages
 * row (FOR UPDATE: a second run of the same message waits here, then sees it done), reads the thread
 * references the threading rules will ask about, and (order-wait.ts) finds an earlier message it refers to
 * that is not processed yet. Reading them in the locking statement is safe: its snapshot can only miss
 * what a concurrent run of this same message wrote, and after such a run committed the row is done
 * (the lock returns the newest row version) and nothing else is read.
 */
export async function lockMessageWithRefs(
  trx: DbOrTrx,
  messageRowId: string,
  ids: { refs: readonly string[]; pending: readonly string[] },
): Promise<LockedMessage | undefined> {
  const [row] = await lockStatement(trx, [[...new Set(ids.refs)], [...new Set(ids.pending)], messageRowId]);
  if (!row) return undefined;
  const pending = row.pending as { id: string | number; message_id: string; status: string } | null;
  return {
    status: row.status,
    refs: refRowsFromJson(row.refs),
    pending: pending ? { id: String(pending.id), messageId: pending.message_id, status: pending.status } : null,
  };
}

/**
 * One Message-ID can belong to several cases (a message split off into a new case): a live case first, then the
 * newest reference.
 */
function byPreference(a: RefRow, b: RefRow): number {
  if ((a.deleted_at === null) !== (b.deleted_at === null)) return a.deleted_at === null ? -1 : 1;
  return b.created.getTime() - a.created.getTime();
}

/**
 * The database side of the threading rules. Read-only; the caller passes a transaction when it
 * acts on the answer (the case row is locked FOR UPDATE afterwards, before anything is written).
 * Soft-deleted cases are returned (flagged), so the rules can start a new case that refers to them.
 *
 * `prefetch`: the Message-IDs the rules will ask about (the message's own, In-Reply-To, References,
 * a bounced original). They are read in ONE query on the first Message-ID question instead of one
 * query per rule; an id outside the list is still looked up on its own. `preloaded`: those rows, already
 * read (lockMessageWithRefs), so the lookup sends no query for them at all.
 */
export function createThreadLookup(
  db: DbOrTrx,
  prefetch: readonly string[] = [],
  preloaded?: readonly RefRow[],
): ThreadLookup {
  const wanted = new Set(prefetch);
  let cached: Promise<RefRow[]> | null = preloaded ? Promise.resolve([...preloaded]) : null;
  async function refsOf(messageIds: readonly string[]): Promise<RefRow[]> {
    if (!messageIds.every((id) => wanted.has(id))) return loadRefs(db, messageIds);
    cached ??= loadRefs(db, [...wanted]);
    const ids = new Set(messageIds);
    return (await cached).filter((r) => ids.has(r.message_id));
  }
  return {
    async caseByReplyToken(token) {
      const row = await db
        .selectFrom('cases')
        .select(THREAD_CASE_COLUMNS)
        .where('reply_token', '=', token.toLowerCase())
        .executeTakeFirst();
      return row ? toThreadCase(row) : null;
    },
    async caseByMessageId(messageId, direction) {
      const rows = (await refsOf([messageId])).filter((r) => !direction || r.direction === direction);
      const row = rows.sort(byPreference)[0];
      return row ? { case: toThreadCase(row), direction: row.direction } : null;
    },
    async casesByMessageIds(messageIds) {
      const byId = new Map<string, RefRow[]>();
      for (const r of await refsOf(messageIds)) byId.set(r.message_id, [...(byId.get(r.message_id) ?? []), r]);
      const out = new Map<string, ThreadCase[]>();
      for (const [id, rows] of byId) {
        // A case once per id, even when it has the id both ways (received and sent).
        const seen = new Set<string>();
        const cases = rows.sort(byPreference).filter((r) => !seen.has(r.id) && seen.add(r.id));
        out.set(id, cases.map(toThreadCase));
      }
      return out;
    },
    async caseById(caseId) {
      const row = await db.selectFrom('cases').select(THREAD_CASE_COLUMNS).where('id', '=', caseId).executeTakeFirst();
      return row ? toThreadCase(row) : null;
    },
    async caseByNumber(caseNumber) {
      const row = await db
        .selectFrom('cases')
        .select(THREAD_CASE_COLUMNS)
        .where(sql`upper(case_number)`, '=', caseNumber.toUpperCase())
        .executeTakeFirst();
      return row ? toThreadCase(row) : null;
    },
  };
}
