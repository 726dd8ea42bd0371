import type { DbOrTrx } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { parseDecimal } from '../decimal.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { parseIsoDateOrDateTime } from '../iso-date.js';
import {
  findOrders,
  searchOrders as searchOrderRows,
  upsertOrders,
  type OrderLineValues,
  type OrderRow,
  type OrderRowValues,
} from './order.repository.js';
import { MAX_BULK_ORDERS, ORDER_IMPORT_CHUNK, type OrderInput, type OrderJson } from './order.types.js';

/** The one place an order row becomes API JSON. */
export function orderToJson(o: OrderRow): OrderJson {
  return {
    OrderNumber: o.order_number,
    CustomerId: o.customer_id,
    CustomerName: o.customer_name,
    CustomerEmail: o.customer_email,
    MarketId: o.market_id,
    Created: o.order_created,
    Status: o.status,
    Currency: o.currency,
    Lines: o.lines,
    Imported: o.imported,
    Changed: o.changed,
  };
}

const text = (v: string | null | undefined) => v?.trim() || null;

/** An order's columns and lines, checked: a 400 names the order and the field (and the line) that is wrong. */
function orderValues(input: OrderInput, where: string): { order: OrderRowValues; lines: OrderLineValues[] } {
  const number = input.OrderNumber.trim();
  if (!number) throw new ValidationError(`${where}: OrderNumber must not be empty`);
  const at = `${where} (order ${number})`;
  let created: string | null = null;
  if (input.Created) {
    const parsed = parseIsoDateOrDateTime(input.Created);
    if (!parsed) throw new ValidationError(`${at}: Created is not an ISO 8601 date or date-time: "${input.Created}"`);
    created = parsed.date.toISOString();
  }
  const seen = new Set<number>();
  const lines = (input.Lines ?? []).map((l) => {
    if (seen.has(l.LineNumber)) throw new ValidationError(`${at}: LineNumber ${l.LineNumber} is listed twice`);
    seen.add(l.LineNumber);
    const line = `${at} line ${l.LineNumber}`;
    return {
      order_number: number,
      line_number: l.LineNumber,
      sku: text(l.SkuId),
      product_id: text(l.ProductId),
      name: text(l.Name),
      quantity: parseDecimal(`${line}: Quantity`, l.Quantity, { keepScale: true }),
      unit_price:
        l.UnitPrice === undefined || l.UnitPrice === null
          ? null
          : parseDecimal(`${line}: UnitPrice`, l.UnitPrice, { allowNegative: true, keepScale: true }),
      line_status: text(l.LineStatus),
    };
  });
  return {
    order: {
      order_number: number,
      customer_id: text(input.CustomerId),
      customer_name: text(input.CustomerName),
      customer_email: text(input.CustomerEmail),
      market_id: text(input.MarketId),
      order_created: created,
      status: text(input.Status),
      currency: text(input.Currency)?.toUpperCase() ?? null,
    },
    lines,
  };
}

/**
 * Imports orders: a new order number is inserted, a known one updated (lines matched by LineNumber; lines no longer
 * listed are removed: the import is the order as it is now). All or nothing, in one transaction of a few
 * statements (ORDER_IMPORT_CHUNK orders each). An order number twice in one import is a 400.
 */
export async function importOrders(
  db: DbOrTrx,
  inputs: readonly OrderInput[],
): Promise<{ Imported: number; Created: number; Updated: number }> {
  if (inputs.length > MAX_BULK_ORDERS)
    throw new ValidationError(`At most ${MAX_BULK_ORDERS} orders per import; got ${inputs.length}`);
  const numbers = new Set<string>();
  const checked = inputs.map((input, i) => {
    const v = orderValues(input, `Orders[${i}]`);
    if (numbers.has(v.order.order_number))
      throw new ValidationError(`Orders[${i}]: order ${v.order.order_number} is listed twice in this import`);
    numbers.add(v.order.order_number);
    return v;
  });
  let created = 0;
  await inTransaction(db, async (trx) => {
    for (let i = 0; i < checked.length; i += ORDER_IMPORT_CHUNK) {
      const chunk = checked.slice(i, i + ORDER_IMPORT_CHUNK);
      const done = await upsertOrders(
        trx,
        chunk.map((c) => c.order),
        chunk.flatMap((c) => c.lines),
      );
      created += done.inserted;
    }
  });
  return { Imported: checked.length, Created: created, Updated: checked.length - created };
}

/** Imports one order (see importOrders) and answers it as stored. */
export async function importOrder(db: DbOrTrx, input: OrderInput): Promise<{ created: boolean; order: OrderJson }> {
  const done = await importOrders(db, [input]);
  return { created: done.Created === 1, order: await getOrderJson(db, input.OrderNumber.trim()) };
}

export async function getOrderJson(db: DbOrTrx, orderNumber: string): Promise<OrderJson> {
  const found = (await findOrders(db, [orderNumber])).get(orderNumber);
  if (!found) throw new NotFoundError('Order', orderNumber);
  return orderToJson(found);
}

export interface OrderSearchRequest {
  CustomerId?: string | null;
  Email?: string | null;
  Text?: string | null;
  Page?: number | null;
  Take?: number | null;
}

export const DEFAULT_ORDER_SEARCH_TAKE = 20;
export const MAX_ORDER_SEARCH_TAKE = 100;

/** Orders by customer, email or text (order number, customer name or email), newest order first. */
export async function searchOrders(
  db: DbOrTrx,
  request: OrderSearchRequest,
): Promise<{ Items: OrderJson[]; TotalHits: number; Page: number; PageSize: number }> {
  const page = request.Page ?? 0;
  const take = request.Take ?? DEFAULT_ORDER_SEARCH_TAKE;
  if (!request.CustomerId?.trim() && !request.Email?.trim() && !request.Text?.trim())
    throw new ValidationError('Give at least one of CustomerId, Email or Text');
  const found = await searchOrderRows(db, {
    customerId: request.CustomerId?.trim() || undefined,
    email: request.Email?.trim() || undefined,
    text: request.Text?.trim() || undefined,
    offset: page * take,
    take,
  });
  return { Items: found.rows.map(orderToJson), TotalHits: found.total, Page: page, PageSize: take };
}
