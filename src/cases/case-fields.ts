import type { Updateable } from 'kysely';
import type { DbOrTrx } from '../db/database.js';
import type { CasesTable } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { parseIsoDateTime } from '../iso-date.js';
import { findCustomerByEmail, findCustomerById } from '../customers/customer.repository.js';
import { assertPriority, assertTags, type CaseSettings } from '../settings/case-settings.js';
import type { CaseRow } from './case.mapper.js';
import { UUID } from './case.repository.js';
import type { EditableCaseFields, Participant } from './case.types.js';

// The fields a client sends, checked against the case settings and turned into case columns (create and update).

const ARRAY_FIELDS = {
  Tags: 'tags',
  RelatedOrders: 'related_orders',
  RelatedCustomers: 'related_customers',
  RelatedProjects: 'related_projects',
  RelatedCarts: 'related_carts',
  RelatedSkuIds: 'related_sku_ids',
  RelatedProductIds: 'related_product_ids',
} as const;

const TEXT_FIELDS = {
  AssignedToUserId: 'assigned_to_user_id',
  AssignedToName: 'assigned_to_name',
  CustomerName: 'customer_name',
  CustomerEmail: 'customer_email',
  MarketId: 'market_id',
  MarketGroupId: 'market_group_id',
} as const;

const dedupe = (list: readonly string[]): string[] => [...new Set(list.map((s) => s.trim()).filter(Boolean))];

/** Participants are de-duplicated by email (case-insensitive), keeping the first. */
export function mergeParticipants(existing: readonly Participant[], added: readonly Participant[]): Participant[] {
  const seen = new Set<string>();
  const out: Participant[] = [];
  for (const p of [...existing, ...added]) {
    const key = p.Email ? p.Email.toLowerCase() : `name:${p.Name ?? ''}:${p.CustomerId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** An ISO 8601 date-time with a time zone, as the API's schema has it (iso-date.ts). */
function parseDateTime(field: string, value: string): Date {
  const d = parseIsoDateTime(value);
  if (!d) throw new ValidationError(`${field} is not a valid date: "${value}"`);
  return d;
}

export type Mode = 'create' | 'put' | 'patch';

/**
 * Turns client fields into column values. In `patch` mode only non-null fields apply; in `put` and
 * `create` mode an absent field is cleared (or defaulted). Status is handled by the caller.
 */
export async function editableToColumns(
  db: DbOrTrx,
  settings: CaseSettings,
  input: EditableCaseFields,
  mode: Mode,
  current?: CaseRow,
  options: { linkCustomerByEmail?: boolean } = {},
): Promise<Updateable<CasesTable>> {
  const cols: Updateable<CasesTable> = {};
  const has = (k: keyof EditableCaseFields) => (mode === 'patch' ? input[k] !== undefined && input[k] !== null : true);

  if (has('Subject')) cols.subject = (input.Subject ?? '').trim();
  if (has('Description')) cols.description = input.Description ?? '';
  if (has('Priority')) {
    const priority = input.Priority ?? settings.DefaultPriority;
    assertPriority(settings, priority);
    cols.priority = priority;
  }
  if (has('Source')) cols.source = input.Source?.trim() || (mode === 'create' ? 'Web' : 'Web');
  for (const [field, col] of Object.entries(TEXT_FIELDS) as [
    keyof typeof TEXT_FIELDS,
    (typeof TEXT_FIELDS)[keyof typeof TEXT_FIELDS],
  ][]) {
    if (has(field)) cols[col] = (input[field] as string | null | undefined)?.trim() || null;
  }
  for (const [field, col] of Object.entries(ARRAY_FIELDS) as [
    keyof typeof ARRAY_FIELDS,
    (typeof ARRAY_FIELDS)[keyof typeof ARRAY_FIELDS],
  ][]) {
    if (has(field)) cols[col] = dedupe(input[field] ?? []);
  }
  if (cols.tags) assertTags(settings, cols.tags);
  if (has('Participants')) cols.participants = JSON.stringify(mergeParticipants([], input.Participants ?? []));
  if (has('Properties')) cols.properties = JSON.stringify(input.Properties ?? []);
  if (has('FollowUpDate'))
    cols.follow_up_date = input.FollowUpDate ? parseDateTime('FollowUpDate', input.FollowUpDate) : null;

  // In patch mode an absent field keeps the stored value, so "empty" means empty after the patch.
  const nameAfter = () => (cols.customer_name !== undefined ? cols.customer_name : (current?.customer_name ?? null));
  const emailAfter = () =>
    cols.customer_email !== undefined ? cols.customer_email : (current?.customer_email ?? null);
  if (has('CustomerId')) {
    cols.customer_id = input.CustomerId?.trim() || null;
    if (cols.customer_id) {
      // Not a uuid cannot be a customer (and would make PostgreSQL abort the transaction with a cast error).
      const customer = UUID.test(cols.customer_id) ? await findCustomerById(db, cols.customer_id) : undefined;
      if (!customer) throw new ValidationError(`CustomerId ${cols.customer_id} is not a known customer`);
      if (!nameAfter()) cols.customer_name = customer.name || null;
      if (!emailAfter()) cols.customer_email = customer.email;
    }
  }
  // A known customer's email links the case to that customer (and fills an empty name). A caller that
  // passes linkCustomerByEmail: false leaves it to its own SQL (insertNewCases).
  if (cols.customer_email && options.linkCustomerByEmail !== false) {
    const customer = await findCustomerByEmail(db, cols.customer_email);
    if (customer) {
      cols.customer_id = customer.id;
      if (!nameAfter()) cols.customer_name = customer.name || null;
    }
  }
  return cols;
}
