import { sql } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { OrderLineJson } from './order.types.js';

// The order store's rows: orders with their lines, written in one statement per chunk and read as one JSON per order.

export interface OrderRowValues {
  order_number: string;
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  market_id: string | null;
  order_created: string | null;
  status: string | null;
  currency: string | null;
}

export interface OrderLineValues {
  order_number: string;
  line_number: number;
  sku: string | null;
  product_id: string | null;
  name: string | null;
  quantity: string;
  unit_price: string | null;
  line_status: string | null;
}

/** An order as read: its columns (dates as ISO text) and its lines (numerics as text, exact). */
export interface OrderRow extends Omit<OrderRowValues, 'order_created'> {
  order_created: string | null;
  imported: string;
  changed: string;
  lines: OrderLineJson[];
}

/**
 * Inserts or updates orders and their lines in ONE statement: an order already known is updated; its lines are
 * matched by line number (updated or inserted), and a line the import no longer lists is removed. The order numbers
 * are distinct (checked by the caller). Returns how many orders were new.
 */
export async function upsertOrders(
  db: DbOrTrx,
  orders: readonly OrderRowValues[],
  lines: readonly OrderLineValues[],
): Promise<{ inserted: number }> {
  const r = await sql<{ inserted: string }>`
    WITH v AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(orders)}::jsonb) AS v(order_number text, customer_id text,
             customer_name text, customer_email text, market_id text, order_created timestamptz, status text, currency text)
    ), vl AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) AS l(order_number text, line_number int,
             sku text, product_id text, name text, quantity numeric, unit_price numeric, line_status text)
    ), o AS (
      INSERT INTO orders AS o (order_number, customer_id, customer_name, customer_email, market_id, order_created, status,
                               currency)
      SELECT order_number, customer_id, customer_name, customer_email, market_id, order_created, status, currency FROM v
      ON CONFLICT (order_number) DO UPDATE SET customer_id = excluded.customer_id, customer_name = excluded.customer_name,
             customer_email = excluded.customer_email, market_id = excluded.market_id,
             order_created = excluded.order_created, status = excluded.status, currency = excluded.currency,
             changed = now()
      RETURNING (xmax = 0) AS inserted
    ), gone AS (
      DELETE FROM order_lines ol USING v
       WHERE ol.order_number = v.order_number
         AND NOT EXISTS (SELECT 1 FROM vl WHERE vl.order_number = ol.order_number AND vl.line_number = ol.line_number)
    ), l AS (
      INSERT INTO order_lines (order_number, line_number, sku, product_id, name, quantity, unit_price, line_status)
      SELECT order_number, line_number, sku, product_id, name, quantity, unit_price, line_status FROM vl
      ON CONFLICT (order_number, line_number) DO UPDATE SET sku = excluded.sku, product_id = excluded.product_id,
             name = excluded.name, quantity = excluded.quantity, unit_price = excluded.unit_price,
             line_status = excluded.line_status
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted FROM o`.execute(db);
  return { inserted: Number(r.rows[0]?.inserted ?? 0) };
}

const ORDER_JSON = sql`o.order_number, o.customer_id, o.customer_name, o.customer_email, o.market_id, o.status, o.currency,
  to_char(o.order_created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS order_created,
  to_char(o.imported AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS imported,
  to_char(o.changed AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS changed,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('LineNumber', ol.line_number, 'SkuId', ol.sku, 'ProductId', ol.product_id,
            'Name', ol.name, 'Quantity', ol.quantity::text, 'UnitPrice', ol.unit_price::text,
            'LineStatus', ol.line_status) ORDER BY ol.line_number), '[]'::jsonb)
     FROM order_lines ol WHERE ol.order_number = o.order_number) AS lines`;

/** Orders by number, with their lines, keyed by order number. Unknown numbers are absent. */
export async function findOrders(db: DbOrTrx, orderNumbers: readonly string[]): Promise<Map<string, OrderRow>> {
  if (orderNumbers.length === 0) return new Map();
  const r = await sql<OrderRow>`SELECT ${ORDER_JSON} FROM orders o
    WHERE o.order_number = ANY(${[...new Set(orderNumbers)]}::text[])`.execute(db);
  return new Map(r.rows.map((row) => [row.order_number, row]));
}

export interface OrderSearch {
  customerId?: string;
  email?: string;
  text?: string;
  offset: number;
  take: number;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Orders by customer id, customer email (any case) or text (order number, customer name or email), newest first. */
export async function searchOrders(db: DbOrTrx, s: OrderSearch): Promise<{ rows: OrderRow[]; total: number }> {
  const where = [sql`true`];
  if (s.customerId) where.push(sql`o.customer_id = ${s.customerId}`);
  if (s.email) where.push(sql`lower(o.customer_email) = lower(${s.email})`);
  if (s.text) {
    const like = likePattern(s.text);
    where.push(
      sql`(o.order_number = ${s.text} OR o.order_number ILIKE ${like} OR o.customer_name ILIKE ${like} OR o.customer_email ILIKE ${like})`,
    );
  }
  const cond = sql.join(where, sql` AND `);
  const [page, count] = await Promise.all([
    sql<OrderRow>`SELECT ${ORDER_JSON} FROM orders o WHERE ${cond}
      ORDER BY o.order_created DESC NULLS LAST, o.order_number DESC LIMIT ${s.take} OFFSET ${s.offset}`.execute(db),
    sql<{ n: string }>`SELECT count(*) AS n FROM orders o WHERE ${cond}`.execute(db),
  ]);
  return { rows: page.rows, total: Number(count.rows[0]?.n ?? 0) };
}

/** The known orders among `orderNumbers` with their customer: the order cases from email need no more. */
export async function findOrderHeaders(
  db: DbOrTrx,
  orderNumbers: readonly string[],
): Promise<Map<string, { customer_id: string | null; customer_name: string | null; customer_email: string | null }>> {
  const r = await db
    .selectFrom('orders')
    .select(['order_number', 'customer_id', 'customer_name', 'customer_email'])
    .where(sql<boolean>`order_number = ANY(${[...new Set(orderNumbers)]}::text[])`)
    .execute();
  return new Map(r.map((o) => [o.order_number, o]));
}
