import { randomUUID } from 'node:crypto';
import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { ConflictError, ValidationError } from '../errors.js';
import { createCase, getCaseJson } from '../cases/case.service.js';
import { updateCaseRow } from '../cases/case.repository.js';
import {
  findCaseLines,
  insertOrderCasesAndLines,
  maxLineNumber,
  type NewCaseLine,
} from '../cases/case-lines.repository.js';
import { lockOrderCase } from '../cases/case-lines.service.js';
import {
  MAX_LIST_ITEMS,
  ORDER_CASE_SCOPES,
  type CaseJson,
  type LineState,
  type NewCaseFields,
  type OrderCaseScope,
} from '../cases/case.types.js';
import { assertOrderCaseValue, type CaseSettings } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';
import { findOrders, type OrderRow } from './order.repository.js';

// Order cases made by staff: from an order (POST /api/orders/{orderNumber}/case) or from scratch (POST /api/cases with
// CaseType Order), and the line items added to them later. They start as drafts (case-lines.service.ts submits them).

/** A new order case: the case's own fields and its order header and line items. */
export interface OrderCaseInput extends Omit<NewCaseFields, 'CaseType'> {
  /** Default: SpecificLineItems when Lines are given, else MultipleOrders. */
  Scope?: OrderCaseScope | null;
  /** The order of a SpecificLineItems case (for MultipleOrders: one more order in Orders). */
  OrderNumber?: string | null;
  /** Line numbers of OrderNumber that become line items (SpecificLineItems). */
  Lines?: number[] | null;
  /** Orders whose headers become line items (MultipleOrders). */
  Orders?: string[] | null;
  Service?: string | null;
  RequestReasonCode?: string | null;
  ResolutionCode?: string | null;
}

/** The order-only fields of OrderCaseInput: a plain case refuses them. */
export const ORDER_CASE_FIELDS = [
  'Scope',
  'OrderNumber',
  'Lines',
  'Orders',
  'Service',
  'RequestReasonCode',
  'ResolutionCode',
] as const;

/** Order numbers and line numbers to become line items, checked against the order store. */
interface Items {
  scope: OrderCaseScope;
  orderNumber: string | null;
  orders: Map<string, OrderRow>;
  lines: { order: OrderRow; lineNumber: number | null }[];
}

const unknownOrders = (missing: string[]) =>
  new ValidationError(
    `Order${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not known to intake's order store: import ${missing.length > 1 ? 'them' : 'it'} first (PUT /api/orders)`,
    { unknownOrders: missing },
  );

async function orderItems(
  db: DbOrTrx,
  scope: OrderCaseScope,
  orderNumber: string | null,
  lineNumbers: readonly number[],
  orderNumbers: readonly string[],
): Promise<Items> {
  const wanted = [...new Set([...(orderNumber ? [orderNumber] : []), ...orderNumbers])];
  const orders = await findOrders(db, wanted);
  const missing = wanted.filter((n) => !orders.has(n));
  if (missing.length) throw unknownOrders(missing);
  if (scope === 'MultipleOrders') {
    if (lineNumbers.length)
      throw new ValidationError(
        'A MultipleOrders case holds whole orders: give Orders, not Lines (or use Scope SpecificLineItems)',
      );
    return {
      scope,
      orderNumber: null,
      orders,
      lines: wanted.map((n) => ({ order: orders.get(n)!, lineNumber: null })),
    };
  }
  if (!orderNumber) throw new ValidationError('A SpecificLineItems case needs its OrderNumber');
  const order = orders.get(orderNumber)!;
  const other = orderNumbers.filter((n) => n !== orderNumber);
  if (other.length) {
    throw new ValidationError(
      `Order ${other.join(', ')} is not this case's order ${orderNumber}: a SpecificLineItems case holds lines of one order`,
    );
  }
  const known = new Set(order.lines.map((l) => l.LineNumber));
  const notInOrder = lineNumbers.filter((n) => !known.has(n));
  if (notInOrder.length) {
    throw new ValidationError(
      `Order ${orderNumber} has no line ${notInOrder.join(', ')} (its lines: ${[...known].join(', ') || 'none'})`,
      { missingLines: notInOrder },
    );
  }
  return {
    scope,
    orderNumber,
    orders,
    lines: [...new Set(lineNumbers)].map((lineNumber) => ({ order, lineNumber })),
  };
}

/** The line items' rows, numbered from `first`. */
function lineRows(caseId: string, items: Items['lines'], first: number, state: LineState): NewCaseLine[] {
  return items.map(({ order, lineNumber }, i) => {
    const line = lineNumber === null ? undefined : order.lines.find((l) => l.LineNumber === lineNumber);
    return {
      id: randomUUID(),
      case_id: caseId,
      line_number: first + i,
      order_number: order.order_number,
      order_line_number: lineNumber,
      sku_id: line?.SkuId ?? null,
      name: line ? line.Name : `Order ${order.order_number}`,
      ordered_quantity: line?.Quantity ?? null,
      state,
    };
  });
}

function checkCodes(settings: CaseSettings, input: OrderCaseInput): void {
  if (input.Service) assertOrderCaseValue(settings, 'Service', input.Service);
  if (input.RequestReasonCode) assertOrderCaseValue(settings, 'RequestReasonCode', input.RequestReasonCode);
  if (input.ResolutionCode) assertOrderCaseValue(settings, 'ResolutionCode', input.ResolutionCode);
}

/**
 * Creates an order case as a draft (its lines Draft): the case, its order header and its line items in one
 * transaction. Subject, customer, market and RelatedOrders are filled from the order(s) where not given; Account is
 * the first order's customer. Unknown orders, lines not in the order and codes not in the case settings are a 400.
 */
export async function createOrderCase(
  db: DbOrTrx,
  input: OrderCaseInput,
  options: { now?: Date } = {},
): Promise<CaseJson> {
  const { Scope, OrderNumber, Lines, Orders, Service, RequestReasonCode, ResolutionCode, ...fields } = input;
  if (Scope && !(ORDER_CASE_SCOPES as readonly string[]).includes(Scope))
    throw new ValidationError(`Unknown Scope "${Scope}"; allowed: ${ORDER_CASE_SCOPES.join(', ')}`);
  const scope: OrderCaseScope = Scope ?? (Lines?.length ? 'SpecificLineItems' : 'MultipleOrders');
  const orderNumber = OrderNumber?.trim() || null;
  return inTransaction(db, async (trx) => {
    const settings = await getCaseSettings(trx, { forShare: true });
    checkCodes(settings, input);
    const items = await orderItems(
      trx,
      scope,
      orderNumber,
      Lines ?? [],
      (Orders ?? []).map((o) => o.trim()),
    );
    const first = items.lines[0]?.order ?? (orderNumber ? items.orders.get(orderNumber) : undefined);
    const orderNumbers = [...items.orders.keys()];
    const row = await createCase(
      trx,
      {
        ...fields,
        CaseType: 'Order',
        Subject:
          fields.Subject?.trim() ||
          (orderNumbers.length ? `Order ${orderNumbers.map((n) => `#${n}`).join(', ')}` : 'Order case'),
        CustomerName: fields.CustomerName ?? first?.customer_name ?? null,
        CustomerEmail: fields.CustomerEmail ?? first?.customer_email ?? null,
        MarketId: fields.MarketId ?? first?.market_id ?? null,
        RelatedOrders: [...(fields.RelatedOrders ?? []), ...orderNumbers],
      },
      { now: options.now },
    );
    await insertOrderCasesAndLines(
      trx,
      [
        {
          case_id: row.id,
          scope,
          order_number: items.orderNumber,
          account_id: first?.customer_id ?? null,
          account_name: first?.customer_name ?? null,
          account_email: first?.customer_email ?? null,
          service: Service || settings.OrderCases.DefaultService,
          request_reason_code: RequestReasonCode || null,
          resolution_code: ResolutionCode || null,
          state: 'Draft',
          submitted_at: null,
        },
      ],
      lineRows(row.id, items.lines, 1, 'Draft'),
      options.now ?? row.created,
    );
    return getCaseJson(trx, row.id);
  });
}

/**
 * Adds line items to an order case: whole orders to a MultipleOrders case (`Orders`), lines of the case's own order
 * to a SpecificLineItems case (`Lines`; an `OrderNumber` other than the case's is a 400 that says why). A draft's new
 * lines are Draft, a submitted case's New; a cancelled or closed case takes none. An item already on the case is a 400.
 */
export async function addCaseLines(
  db: DbOrTrx,
  caseId: string,
  input: { OrderNumber?: string | null; Lines?: number[] | null; Orders?: string[] | null },
  options: { now?: Date } = {},
): Promise<CaseJson> {
  return inTransaction(db, async (trx) => {
    const { row, order } = await lockOrderCase(trx, caseId);
    const settings = await getCaseSettings(trx, { forShare: true });
    if (order.state === 'Cancelled' || row.status === settings.StatusClosed) {
      throw new ConflictError(
        `Case ${row.case_number} is ${order.state === 'Cancelled' ? 'cancelled' : 'closed'}: it takes no new lines`,
      );
    }
    const given = input.OrderNumber?.trim() || null;
    const lines = input.Lines ?? [];
    const orders = (input.Orders ?? []).map((o) => o.trim());
    if (!lines.length && !orders.length)
      throw new ValidationError('Give Orders (MultipleOrders) or Lines (SpecificLineItems) to add');
    if (order.scope === 'SpecificLineItems' && given && given !== order.order_number) {
      throw new ValidationError(
        `Order ${given} is not this case's order ${order.order_number}: a SpecificLineItems case holds lines of order ${order.order_number} only`,
      );
    }
    if (order.scope === 'MultipleOrders' && given) orders.push(given);
    const items = await orderItems(trx, order.scope, order.order_number, lines, orders);
    const existing = await findCaseLines(trx, row.id);
    const dupes = items.lines.filter((it) =>
      existing.some((l) => l.order_number === it.order.order_number && l.order_line_number === it.lineNumber),
    );
    if (dupes.length) {
      const named = dupes.map((d) =>
        d.lineNumber === null
          ? `order ${d.order.order_number}`
          : `line ${d.lineNumber} of order ${d.order.order_number}`,
      );
      throw new ValidationError(`Already a line item of case ${row.case_number}: ${named.join(', ')}`);
    }
    const now = options.now ?? new Date();
    const first = (await maxLineNumber(trx, row.id)) + 1;
    await insertOrderCasesAndLines(
      trx,
      [],
      lineRows(row.id, items.lines, first, order.state === 'Draft' ? 'Draft' : 'New'),
      now,
    );
    // The orders of the line items are related orders of the case (what search by OrderId finds).
    const related = [...new Set([...row.related_orders, ...items.orders.keys()])].slice(0, MAX_LIST_ITEMS);
    await updateCaseRow(trx, row.id, { related_orders: related, changed: now });
    return getCaseJson(trx, row.id);
  });
}
