import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { ParticipantJson } from '../db/schema.js';
import type { ThreadCase, ThreadLookup } from './threading.js';

const THREAD_CASE_COLUMNS = ['cases.id', 'cases.case_number', 'cases.status', 'cases.deleted_at', 'cases.customer_email', 'cases.participants'] as const;

interface ThreadCaseRow {
  id: string;
  case_number: string;
  status: string;
  deleted_at: Date | null;
  customer_email: string | null;
  participants: ParticipantJson[];
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

/**
 * The database side of the threading rules. Read-only; the caller passes a transaction when it
 * acts on the answer (the case row is locked FOR UPDATE afterwards, before anything is written).
 * Soft-deleted cases are returned (flagged), so the rules can start a new case that refers to them.
 */
export function createThreadLookup(db: DbOrTrx): ThreadLookup {
  return {
    async caseByReplyToken(token) {
      const row = await db.selectFrom('cases').select(THREAD_CASE_COLUMNS).where('reply_token', '=', token.toLowerCase()).executeTakeFirst();
      return row ? toThreadCase(row) : null;
    },
    async caseByMessageId(messageId, direction) {
      let q = db
        .selectFrom('thread_refs')
        .innerJoin('cases', 'cases.id', 'thread_refs.case_id')
        .select([...THREAD_CASE_COLUMNS, 'thread_refs.direction'])
        .where('thread_refs.message_id', '=', messageId);
      if (direction) q = q.where('thread_refs.direction', '=', direction);
      // One Message-ID can belong to several cases (a message split off into a new case): prefer a live
      // case, then the newest reference.
      const row = await q
        .orderBy(sql`cases.deleted_at IS NULL`, 'desc')
        .orderBy('thread_refs.created', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? { case: toThreadCase(row), direction: row.direction } : null;
    },
    async casesByMessageIds(messageIds) {
      const rows = await db
        .selectFrom('thread_refs')
        .innerJoin('cases', 'cases.id', 'thread_refs.case_id')
        .select([...THREAD_CASE_COLUMNS, 'thread_refs.message_id'])
        .where('thread_refs.message_id', 'in', [...messageIds])
        .orderBy(sql`cases.deleted_at IS NULL`, 'asc')
        .orderBy('thread_refs.created', 'asc')
        .execute();
      // Ordered so that, per Message-ID, the preferred row (live case, newest reference) is set last.
      return new Map(rows.map((r) => [r.message_id, toThreadCase(r)]));
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

/** Records that `messageId` belongs to `caseId` (idempotent). */
export async function insertThreadRef(db: DbOrTrx, messageId: string, caseId: string, direction: 'in' | 'out'): Promise<void> {
  await db
    .insertInto('thread_refs')
    .values({ message_id: messageId, case_id: caseId, direction })
    .onConflict((oc) => oc.columns(['message_id', 'case_id']).doNothing())
    .execute();
}
