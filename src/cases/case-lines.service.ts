import type { Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CaseLinesTable } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { parseDecimal } from '../decimal.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { parseIsoDate } from '../iso-date.js';
import { assertOrderCaseValue } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';
import type { CaseRow } from './case.mapper.js';
import { findCaseRow, updateCaseRow } from './case.repository.js';
import { getCaseJson, statusChangeOfLockedCase } from './case.service.js';
import type { AddressJson, CaseJson, LineState } from './case.types.js';
import type { OrderCaseRow } from './case-lines.mapper.js';
import {
  deleteCaseLine,
  findOrderCaseRow,
  insertLineStateLog,
  lockCaseLine,
  moveLineStates,
  updateCaseLine,
  updateOrderCaseRow,
} from './case-lines.repository.js';

// The rules of an order case's life: submit, cancel, and the work on each line (edit, state, assignment, removal).

/** An order case and its header, locked for a change (the case row FOR UPDATE: every change of the case waits). */
export async function lockOrderCase(trx: DbOrTrx, caseId: string): Promise<{ row: CaseRow; order: OrderCaseRow }> {
  const row = await findCaseRow(trx, caseId, { forUpdate: true });
  if (!row) throw new NotFoundError('Case', caseId);
  const order = row.case_type === 'Order' ? await findOrderCaseRow(trx, row.id) : undefined;
  if (!order)
    throw new ConflictError(
      `Case ${row.case_number} is not an order case (CaseType ${row.case_type}): it has no lines`,
    );
  return { row, order };
}

/** What submit and cancel did: `Changed` false when the case already was in the state asked for. */
export interface OrderCaseChange {
  Changed: boolean;
  Message: string;
  Case: CaseJson;
}

/**
 * Submits a Draft order case: the case to Status New and every Draft line to New, in one transaction (the case row
 * is locked first, so two submits at once run one after the other, and the second finds it submitted). Idempotent:
 * submitting a submitted case changes nothing and says so. A cancelled case, or one without lines, is refused.
 */
export async function submitOrderCase(
  db: DbOrTrx,
  caseId: string,
  options: { now?: Date } = {},
): Promise<OrderCaseChange> {
  return inTransaction(db, async (trx) => {
    const { row, order } = await lockOrderCase(trx, caseId);
    const now = options.now ?? new Date();
    if (order.state === 'Submitted') {
      const at = order.submitted_at ? new Date(order.submitted_at).toISOString() : 'earlier';
      return changeResult(trx, row.id, false, `Case ${row.case_number} was already submitted (${at}); nothing changed`);
    }
    if (order.state === 'Cancelled')
      throw new ConflictError(`Case ${row.case_number} was cancelled as a draft; it cannot be submitted`);
    const settings = await getCaseSettings(trx, { forShare: true });
    const moved = await moveLineStates(trx, row.id, ['Draft'], 'New', now);
    if (moved === 0)
      throw new ConflictError(`Case ${row.case_number} has no line items: add lines before submitting it`);
    await updateOrderCaseRow(trx, row.id, { state: 'Submitted', submitted_at: now });
    const statusCols = await statusChangeOfLockedCase(trx, row, settings.StatusNew, { now });
    await updateCaseRow(trx, row.id, { ...statusCols, changed: now });
    return changeResult(
      trx,
      row.id,
      true,
      `Case ${row.case_number} submitted: ${moved} line(s) moved from Draft to New`,
    );
  });
}

/**
 * Cancels a Draft order case: every line to Cancelled and the case to the closed status (logged like any status
 * change). Only a draft can be cancelled: a submitted case is worked line by line and closed when they are done.
 */
export async function cancelOrderCase(
  db: DbOrTrx,
  caseId: string,
  options: { now?: Date } = {},
): Promise<OrderCaseChange> {
  return inTransaction(db, async (trx) => {
    const { row, order } = await lockOrderCase(trx, caseId);
    const now = options.now ?? new Date();
    if (order.state === 'Cancelled')
      return changeResult(trx, row.id, false, `Case ${row.case_number} was already cancelled; nothing changed`);
    if (order.state === 'Submitted') {
      throw new ConflictError(
        `Case ${row.case_number} was submitted and cannot be cancelled: cancel or resolve its lines, then close it`,
      );
    }
    const settings = await getCaseSettings(trx, { forShare: true });
    await moveLineStates(trx, row.id, ['Draft'], 'Cancelled', now);
    await updateOrderCaseRow(trx, row.id, { state: 'Cancelled', cancelled_at: now });
    const statusCols = await statusChangeOfLockedCase(trx, row, settings.StatusClosed, { now });
    await updateCaseRow(trx, row.id, { ...statusCols, changed: now });
    return changeResult(trx, row.id, true, `Case ${row.case_number} cancelled; its lines are Cancelled`);
  });
}

async function changeResult(trx: DbOrTrx, id: string, changed: boolean, message: string): Promise<OrderCaseChange> {
  return { Changed: changed, Message: message, Case: await getCaseJson(trx, id) };
}

/** The fields of a line that staff edit. Absent fields keep their value; null clears one. */
export interface CaseLineEdit {
  RequestedQuantity?: number | string | null;
  ApprovedQuantity?: number | string | null;
  RequestedDate?: string | null;
  ApprovedDate?: string | null;
  CurrentShippingAddress?: AddressJson | null;
  RequestedShippingAddress?: AddressJson | null;
  CloseNotes?: string | null;
  WorkNotes?: string | null;
  State?: LineState | null;
  AssignedToUserId?: string | null;
  AssignedToName?: string | null;
}

const date = (field: string, value: string | null): string | null => {
  if (value === null) return null;
  if (!parseIsoDate(value)) throw new ValidationError(`${field} must be a date (YYYY-MM-DD); got "${value}"`);
  return value;
};
const quantity = (field: string, value: number | string | null) =>
  value === null ? null : parseDecimal(field, value, { keepScale: true });
const text = (value: string | null) => value?.trim() || null;

/** A line's columns from an edit, checked (quantities exact and not negative, dates as dates). */
function lineColumns(edit: CaseLineEdit): Updateable<CaseLinesTable> {
  const cols: Updateable<CaseLinesTable> = {};
  if (edit.RequestedQuantity !== undefined)
    cols.requested_quantity = quantity('RequestedQuantity', edit.RequestedQuantity);
  if (edit.ApprovedQuantity !== undefined) cols.approved_quantity = quantity('ApprovedQuantity', edit.ApprovedQuantity);
  if (edit.RequestedDate !== undefined) cols.requested_date = date('RequestedDate', edit.RequestedDate);
  if (edit.ApprovedDate !== undefined) cols.approved_date = date('ApprovedDate', edit.ApprovedDate);
  if (edit.CurrentShippingAddress !== undefined)
    cols.current_shipping_address = edit.CurrentShippingAddress ? JSON.stringify(edit.CurrentShippingAddress) : null;
  if (edit.RequestedShippingAddress !== undefined)
    cols.requested_shipping_address = edit.RequestedShippingAddress
      ? JSON.stringify(edit.RequestedShippingAddress)
      : null;
  if (edit.CloseNotes !== undefined) cols.close_notes = edit.CloseNotes;
  if (edit.WorkNotes !== undefined) cols.work_notes = edit.WorkNotes;
  if (edit.AssignedToUserId !== undefined) cols.assigned_to_user_id = text(edit.AssignedToUserId);
  if (edit.AssignedToName !== undefined) cols.assigned_to_name = text(edit.AssignedToName);
  return cols;
}

/**
 * Edits one line (by its LineNumber) and, with `State`, moves it (logged with the time spent in the previous state).
 * A draft's lines keep Draft until the case is submitted; Draft is never set by hand; the lines of a cancelled or
 * closed case are not changed (reopen the case first). `assign`: the line was assigned ("assign to me"): a New line
 * with an assignee moves to WorkInProgress.
 */
export async function editCaseLine(
  db: DbOrTrx,
  caseId: string,
  lineNumber: number,
  edit: CaseLineEdit,
  options: { now?: Date; assign?: boolean } = {},
): Promise<CaseJson> {
  return inTransaction(db, async (trx) => {
    const { row, order } = await lockOrderCase(trx, caseId);
    const settings = await getCaseSettings(trx, { forShare: true });
    if (order.state === 'Cancelled' || row.status === settings.StatusClosed) {
      throw new ConflictError(
        `Case ${row.case_number} is ${order.state === 'Cancelled' ? 'cancelled' : 'closed'}: its lines cannot be changed` +
          (order.state === 'Cancelled' ? '' : ' (reopen the case first)'),
      );
    }
    const line = await lockCaseLine(trx, row.id, lineNumber);
    if (!line) throw new NotFoundError(`Line ${lineNumber} of case`, row.case_number);
    const now = options.now ?? new Date();
    const cols = lineColumns(edit);
    let next = edit.State ?? undefined;
    if (options.assign && cols.assigned_to_user_id && line.state === 'New' && !next) next = 'WorkInProgress';
    if (next && next !== line.state) {
      if (next === 'Draft')
        throw new ValidationError("State Draft is only the state of a draft order case's lines; it cannot be set");
      if (order.state === 'Draft') {
        throw new ConflictError(
          `Case ${row.case_number} is a draft: its lines stay Draft until it is submitted (POST /api/cases/{id}/submit)`,
        );
      }
      cols.state = next;
      cols.state_changed_at = now;
      await insertLineStateLog(trx, line.id, {
        state: next,
        timestamp: now,
        duration_since_previous_ms: Math.max(0, now.getTime() - new Date(line.state_changed_at).getTime()),
      });
    }
    await updateCaseLine(trx, line.id, { ...cols, changed: now });
    await updateCaseRow(trx, row.id, { changed: now });
    return getCaseJson(trx, row.id);
  });
}

/** Removes a line of a draft. A submitted case keeps its lines (their history): set State Cancelled instead. */
export async function removeCaseLine(db: DbOrTrx, caseId: string, lineNumber: number): Promise<CaseJson> {
  return inTransaction(db, async (trx) => {
    const { row, order } = await lockOrderCase(trx, caseId);
    const line = await lockCaseLine(trx, row.id, lineNumber);
    if (!line) throw new NotFoundError(`Line ${lineNumber} of case`, row.case_number);
    if (order.state !== 'Draft') {
      throw new ConflictError(
        `Case ${row.case_number} is ${order.state.toLowerCase()}: its lines are kept with their history; set the line's State to Cancelled instead`,
      );
    }
    await deleteCaseLine(trx, line.id);
    await updateCaseRow(trx, row.id, { changed: new Date() });
    return getCaseJson(trx, row.id);
  });
}

/** The order header's codes, checked against the case settings' lists. Absent fields keep their value. */
export async function editOrderCase(
  db: DbOrTrx,
  caseId: string,
  edit: { Service?: string | null; RequestReasonCode?: string | null; ResolutionCode?: string | null },
): Promise<CaseJson> {
  return inTransaction(db, async (trx) => {
    const { row } = await lockOrderCase(trx, caseId);
    const settings = await getCaseSettings(trx, { forShare: true });
    for (const field of ['Service', 'RequestReasonCode', 'ResolutionCode'] as const) {
      const value = edit[field];
      if (value) assertOrderCaseValue(settings, field, value);
    }
    const values = {
      ...(edit.Service !== undefined ? { service: edit.Service || null } : {}),
      ...(edit.RequestReasonCode !== undefined ? { request_reason_code: edit.RequestReasonCode || null } : {}),
      ...(edit.ResolutionCode !== undefined ? { resolution_code: edit.ResolutionCode || null } : {}),
    };
    if (Object.keys(values).length > 0) await updateOrderCaseRow(trx, row.id, values);
    await updateCaseRow(trx, row.id, { changed: new Date() });
    return getCaseJson(trx, row.id);
  });
}
