import type {
  AddressJson,
  CaseLineJson,
  CaseType,
  LineState,
  OrderCaseJson,
  OrderCaseScope,
  OrderCaseState,
} from './case.types.js';

// Rows of order cases and their lines, as the queries of case-lines.repository.ts read them (numbers and dates as
// text, so quantities stay exact), and the one place they become API JSON.

export interface OrderCaseRow {
  case_id: string;
  scope: OrderCaseScope;
  order_number: string | null;
  account_id: string | null;
  account_name: string | null;
  account_email: string | null;
  service: string | null;
  request_reason_code: string | null;
  resolution_code: string | null;
  state: OrderCaseState;
  submitted_at: Date | string | null;
  cancelled_at: Date | string | null;
}

export interface LineStateLogRow {
  state: string;
  timestamp: Date | string;
  duration_since_previous_ms: string | number | null;
}

export interface CaseLineRow {
  id: string;
  case_id: string;
  line_number: number;
  order_number: string;
  order_line_number: number | null;
  sku_id: string | null;
  name: string | null;
  ordered_quantity: string | null;
  requested_quantity: string | null;
  approved_quantity: string | null;
  requested_date: string | null;
  approved_date: string | null;
  current_shipping_address: AddressJson | null;
  requested_shipping_address: AddressJson | null;
  assigned_to_user_id: string | null;
  assigned_to_name: string | null;
  state: LineState;
  state_changed_at: Date | string;
  close_notes: string | null;
  work_notes: string | null;
  created: Date | string;
  changed: Date | string;
  state_log?: LineStateLogRow[];
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function lineToJson(l: CaseLineRow): CaseLineJson {
  return {
    Id: l.id,
    LineNumber: l.line_number,
    OrderNumber: l.order_number,
    OrderLineNumber: l.order_line_number,
    SkuId: l.sku_id,
    Name: l.name,
    OrderedQuantity: l.ordered_quantity,
    RequestedQuantity: l.requested_quantity,
    ApprovedQuantity: l.approved_quantity,
    RequestedDate: l.requested_date,
    ApprovedDate: l.approved_date,
    CurrentShippingAddress: l.current_shipping_address,
    RequestedShippingAddress: l.requested_shipping_address,
    AssignedToUserId: l.assigned_to_user_id,
    AssignedToName: l.assigned_to_name,
    State: l.state,
    StateLog: (l.state_log ?? []).map((e) => ({
      State: e.state,
      Timestamp: iso(e.timestamp)!,
      DurationSincePreviousMs: e.duration_since_previous_ms === null ? null : Number(e.duration_since_previous_ms),
    })),
    CloseNotes: l.close_notes,
    WorkNotes: l.work_notes,
    Created: iso(l.created)!,
    Changed: iso(l.changed)!,
  };
}

export function orderCaseToJson(o: OrderCaseRow): OrderCaseJson {
  const hasAccount = o.account_id !== null || o.account_name !== null || o.account_email !== null;
  return {
    Scope: o.scope,
    OrderNumber: o.order_number,
    Account: hasAccount ? { Id: o.account_id, Name: o.account_name, Email: o.account_email } : null,
    Service: o.service,
    RequestReasonCode: o.request_reason_code,
    ResolutionCode: o.resolution_code,
    State: o.state,
    SubmittedDate: iso(o.submitted_at),
    CancelledDate: iso(o.cancelled_at),
  };
}

/** The order-case fields of a case's JSON: null and empty for other cases and where the details were not read. */
export function orderCaseFields(
  caseType: string,
  orderCase: OrderCaseRow | null | undefined,
  lines: readonly CaseLineRow[] | undefined,
): { CaseType: CaseType; OrderCase: OrderCaseJson | null; CaseLines: CaseLineJson[] } {
  return {
    CaseType: caseType === 'Order' ? 'Order' : 'Standard',
    OrderCase: orderCase ? orderCaseToJson(orderCase) : null,
    CaseLines: lines?.length ? lines.map(lineToJson) : [],
  };
}
