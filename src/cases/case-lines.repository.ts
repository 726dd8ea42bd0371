import { sql, type RawBuilder, type Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CaseLinesTable, OrderCasesTable } from '../db/schema.js';
import type { CaseLineRow, OrderCaseRow } from './case-lines.mapper.js';
import { TERMINAL_LINE_STATES, type LineState } from './case.types.js';

// The order header and line items of order cases: reads (numbers and dates as text: quantities stay exact) and writes.

/**
 * The lines of the case `caseId` (an SQL expression, e.g. `c.id`) as one jsonb array by line number, each with its
 * state log. Numerics are sent as text: to_jsonb would print them as JSON numbers, which JavaScript reads as floats.
 */
export function linesJson(caseId: RawBuilder<string>): RawBuilder<CaseLineRow[]> {
  return sql<CaseLineRow[]>`(SELECT coalesce(jsonb_agg(to_jsonb(l) || jsonb_build_object(
      'ordered_quantity', l.ordered_quantity::text,
      'requested_quantity', l.requested_quantity::text,
      'approved_quantity', l.approved_quantity::text,
      'state_log', (SELECT coalesce(jsonb_agg(jsonb_build_object('state', g.state, 'timestamp', g."timestamp",
                                     'duration_since_previous_ms', g.duration_since_previous_ms) ORDER BY g.id), '[]'::jsonb)
                      FROM case_line_state_log g WHERE g.line_id = l.id)
    ) ORDER BY l.line_number), '[]'::jsonb) FROM case_lines l WHERE l.case_id = ${caseId})`;
}

/** The order header of the case `caseId` as jsonb (null when it has none). */
export function orderCaseJson(caseId: RawBuilder<string>): RawBuilder<OrderCaseRow | null> {
  return sql<OrderCaseRow | null>`(SELECT to_jsonb(oc) FROM order_cases oc WHERE oc.case_id = ${caseId})`;
}

export async function findOrderCaseRow(
  db: DbOrTrx,
  caseId: string,
  options: { forUpdate?: boolean } = {},
): Promise<OrderCaseRow | undefined> {
  let q = db.selectFrom('order_cases').selectAll().where('case_id', '=', caseId);
  if (options.forUpdate) q = q.forUpdate();
  return (await q.executeTakeFirst()) as OrderCaseRow | undefined;
}

export async function findCaseLines(db: DbOrTrx, caseId: string): Promise<CaseLineRow[]> {
  const r = await sql<{ lines: CaseLineRow[] }>`SELECT ${linesJson(sql`${caseId}::uuid`)} AS lines`.execute(db);
  return r.rows[0]?.lines ?? [];
}

/** A new order header (the case row exists, or is inserted by the same transaction). */
export type NewOrderCase = Omit<OrderCaseRow, 'submitted_at' | 'cancelled_at'> & { submitted_at: Date | null };

/** A new line item; line_number is given by the caller, who holds the case row's lock. */
export interface NewCaseLine {
  id: string;
  case_id: string;
  line_number: number;
  order_number: string;
  order_line_number: number | null;
  sku_id: string | null;
  name: string | null;
  ordered_quantity: string | null;
  state: LineState;
}

/**
 * Order headers, line items and each line's first state-log entry in ONE statement, whatever their number: the
 * inbound batch makes many order cases at once, and a round trip per case costs more than the rows.
 */
export async function insertOrderCasesAndLines(
  db: DbOrTrx,
  headers: readonly NewOrderCase[],
  lines: readonly NewCaseLine[],
  now: Date,
): Promise<void> {
  if (headers.length === 0 && lines.length === 0) return;
  await sql`
    WITH h AS (
      INSERT INTO order_cases (case_id, scope, order_number, account_id, account_name, account_email, service,
                               request_reason_code, resolution_code, state, submitted_at)
      SELECT case_id, scope, order_number, account_id, account_name, account_email, service, request_reason_code,
             resolution_code, state, submitted_at
        FROM jsonb_to_recordset(${JSON.stringify(headers)}::jsonb) AS v(case_id uuid, scope text, order_number text,
             account_id text, account_name text, account_email text, service text, request_reason_code text,
             resolution_code text, state text, submitted_at timestamptz)
    ), l AS (
      INSERT INTO case_lines (id, case_id, line_number, order_number, order_line_number, sku_id, name, ordered_quantity,
                              state, state_changed_at, created, changed)
      SELECT id, case_id, line_number, order_number, order_line_number, sku_id, name, ordered_quantity, state,
             ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
        FROM jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) AS v(id uuid, case_id uuid, line_number int,
             order_number text, order_line_number int, sku_id text, name text, ordered_quantity numeric, state text)
      RETURNING id, state
    )
    INSERT INTO case_line_state_log (line_id, state, "timestamp", duration_since_previous_ms)
    SELECT id, state, ${now}::timestamptz, NULL FROM l`.execute(db);
}

/** The highest line number of a case (0 without lines). The caller holds the case row's lock. */
export async function maxLineNumber(db: DbOrTrx, caseId: string): Promise<number> {
  const r = await db
    .selectFrom('case_lines')
    .select((eb) => eb.fn.max('line_number').as('n'))
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function updateOrderCaseRow(
  db: DbOrTrx,
  caseId: string,
  values: Updateable<OrderCasesTable>,
): Promise<void> {
  await db.updateTable('order_cases').set(values).where('case_id', '=', caseId).execute();
}

/** The lines of a case in `from` states moved to `to`, each change logged with the time spent in the previous state. */
export async function moveLineStates(
  db: DbOrTrx,
  caseId: string,
  from: readonly LineState[],
  to: LineState,
  now: Date,
): Promise<number> {
  const r = await sql<{ n: string }>`
    WITH prev AS (
      SELECT id, state_changed_at FROM case_lines
       WHERE case_id = ${caseId}::uuid AND state = ANY(${from as LineState[]}::text[]) FOR UPDATE
    ), u AS (
      UPDATE case_lines l SET state = ${to}, state_changed_at = ${now}::timestamptz, changed = ${now}::timestamptz
        FROM prev WHERE l.id = prev.id
      RETURNING l.id, prev.state_changed_at
    ), g AS (
      INSERT INTO case_line_state_log (line_id, state, "timestamp", duration_since_previous_ms)
      SELECT id, ${to}, ${now}::timestamptz,
             greatest(0, (extract(epoch FROM ${now}::timestamptz - state_changed_at) * 1000)::bigint) FROM u
    )
    SELECT count(*) AS n FROM u`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** One line of a case, locked, by its LineNumber. */
export async function lockCaseLine(
  db: DbOrTrx,
  caseId: string,
  lineNumber: number,
): Promise<{ id: string; state: LineState; state_changed_at: Date; order_number: string } | undefined> {
  return (await db
    .selectFrom('case_lines')
    .select(['id', 'state', 'state_changed_at', 'order_number'])
    .where('case_id', '=', caseId)
    .where('line_number', '=', lineNumber)
    .forUpdate()
    .executeTakeFirst()) as { id: string; state: LineState; state_changed_at: Date; order_number: string } | undefined;
}

export async function updateCaseLine(db: DbOrTrx, lineId: string, values: Updateable<CaseLinesTable>): Promise<void> {
  await db.updateTable('case_lines').set(values).where('id', '=', lineId).execute();
}

export async function insertLineStateLog(
  db: DbOrTrx,
  lineId: string,
  entry: { state: LineState; timestamp: Date; duration_since_previous_ms: number | null },
): Promise<void> {
  await db
    .insertInto('case_line_state_log')
    .values({ line_id: lineId, ...entry })
    .execute();
}

export async function deleteCaseLine(db: DbOrTrx, lineId: string): Promise<void> {
  await db.deleteFrom('case_lines').where('id', '=', lineId).execute();
}

/** The lines of a case that are not in a terminal state: they keep it from being closed. */
export async function openLines(db: DbOrTrx, caseId: string): Promise<{ line_number: number; state: string }[]> {
  return db
    .selectFrom('case_lines')
    .select(['line_number', 'state'])
    .where('case_id', '=', caseId)
    .where('state', 'not in', TERMINAL_LINE_STATES as LineState[])
    .orderBy('line_number')
    .execute();
}
