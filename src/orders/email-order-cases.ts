import { randomUUID } from 'node:crypto';
import type { DbOrTrx } from '../db/database.js';
import type { CaseRow } from '../cases/case.mapper.js';
import { insertOrderCasesAndLines, type NewCaseLine, type NewOrderCase } from '../cases/case-lines.repository.js';
import type { NewCaseFields } from '../cases/case.types.js';
import type { CaseSettings } from '../settings/case-settings.js';
import { findOrderHeaders } from './order.repository.js';

type Header = Awaited<ReturnType<typeof findOrderHeaders>> extends Map<string, infer H> ? H : never;

/** What orderCasesFromEmail found: `addLines` writes the order cases' headers and lines once the cases exist. */
export interface EmailOrderCases {
  addLines(trx: DbOrTrx, rows: readonly CaseRow[], now?: Date): Promise<void>;
}

const NOTHING: EmailOrderCases = { addLines: async () => undefined };

/**
 * New cases from email whose RelatedOrders (the `#12345` of their subject) name orders the order store knows become
 * order cases: before they are inserted, this marks their input CaseType Order (one query for all of them, none when
 * no mail names an order); `addLines` then writes, in one statement, each one's MultipleOrders header (submitted: mail
 * is not a draft; Account from its first known order; the default Service) and a New line item per known order, in
 * subject order. Orders the store does not know stay in RelatedOrders only. Off when OrderCases.FromEmail is false.
 */
export async function orderCasesFromEmail(
  db: DbOrTrx,
  settings: CaseSettings,
  inputs: readonly NewCaseFields[],
): Promise<EmailOrderCases> {
  if (!settings.OrderCases.FromEmail) return NOTHING;
  const named = [...new Set(inputs.flatMap((i) => i.RelatedOrders ?? []))];
  if (named.length === 0) return NOTHING;
  const known = await findOrderHeaders(db, named);
  if (known.size === 0) return NOTHING;
  for (const input of inputs) if (input.RelatedOrders?.some((n) => known.has(n))) input.CaseType = 'Order';
  return {
    addLines: (trx, rows, now) => insertEmailOrderLines(trx, settings, known, rows, now ?? new Date()),
  };
}

async function insertEmailOrderLines(
  trx: DbOrTrx,
  settings: CaseSettings,
  known: ReadonlyMap<string, Header>,
  rows: readonly CaseRow[],
  now: Date,
): Promise<void> {
  const headers: NewOrderCase[] = [];
  const lines: NewCaseLine[] = [];
  for (const row of rows) {
    if (row.case_type !== 'Order') continue;
    const orders = row.related_orders.filter((n) => known.has(n));
    const account = known.get(orders[0]!)!;
    headers.push({
      case_id: row.id,
      scope: 'MultipleOrders',
      order_number: null,
      account_id: account.customer_id,
      account_name: account.customer_name,
      account_email: account.customer_email,
      service: settings.OrderCases.DefaultService,
      request_reason_code: null,
      resolution_code: null,
      state: 'Submitted',
      submitted_at: now,
    });
    orders.forEach((n, i) =>
      lines.push({
        id: randomUUID(),
        case_id: row.id,
        line_number: i + 1,
        order_number: n,
        order_line_number: null,
        sku_id: null,
        name: `Order ${n}`,
        ordered_quantity: null,
        state: 'New',
      }),
    );
  }
  await insertOrderCasesAndLines(trx, headers, lines, now);
}
