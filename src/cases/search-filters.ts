import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { DATE_RANGE_TEXT, parseIsoDate, parseIsoDateTime } from '../iso-date.js';
import { assertPriority, assertStatus, assertTags, type CaseSettings } from '../settings/case-settings.js';
import { UUID } from './case.repository.js';
import {
  interpretSearchText,
  sortKeys,
  type CaseSearchRequest,
  type SortOrder,
  type TextMatch,
} from './search-request.js';

// The filters of a search request, checked against the settings, and the WHERE and ORDER BY they make.

/**
 * DateFrom or DateTo, read by iso-date.ts: a date alone (`2026-01-31`, `day`: midnight UTC), or a date-time, read as
 * UTC when it has no time zone (`2026-01-31T09:00`). ISO 8601 only: `new Date()` would also take "1" (2001) or
 * "May 1" and read a time without a zone in the server's local time. Both parsers also refuse instants outside years
 * 0001-9999, some of which PostgreSQL would refuse and others take.
 */
function parseSearchDate(field: string, value: string): { at: Date; day: boolean } {
  const day = parseIsoDate(value);
  if (day) return { at: day, day: true };
  // With a Z appended, only a date-time that had no time zone can be valid.
  const at = parseIsoDateTime(value) ?? parseIsoDateTime(`${value}Z`);
  if (at) return { at, day: false };
  throw new ValidationError(
    `${field} is not a valid date: "${value}"; send ISO 8601 (2026-01-31 or 2026-01-31T09:00:00Z), ${DATE_RANGE_TEXT}`,
  );
}

export type CaseQuery = SelectQueryBuilder<Database, 'cases', object>;

function rankExpression(key: 'status_level' | 'priority_severity', settings: CaseSettings): Expression<number | null> {
  const pairs =
    key === 'status_level'
      ? settings.Statuses.map((s) => [s.Name, s.Level] as const)
      : settings.Priorities.map((p) => [p.Name, p.Severity] as const);
  const column = key === 'status_level' ? sql.ref('status') : sql.ref('priority');
  // Ranks come from the settings, so they cannot be an index; a status no longer configured ranks null (last).
  return sql<number | null>`(CASE ${column} ${sql.join(
    pairs.map(([name, rank]) => sql`WHEN ${name} THEN ${sql.lit(rank)}`),
    sql` `,
  )} END)`;
}

/** The filters of a search request, checked and in the form the query binds them. Absent ones do not filter. */
export interface SearchFilters {
  includeDeleted: boolean;
  text?: TextMatch;
  status?: string;
  priority?: string;
  assignedToUserId?: string;
  tags?: readonly string[];
  customerId?: string;
  orderId?: string;
  dateFrom?: Date;
  dateTo?: Date;
  /** DateTo was a date alone: cases before the next midnight (UTC), not at or before an instant. */
  dateToExclusive?: boolean;
  /**
   * The rare words of a words text (search-estimates.ts), as a tsquery: the only part that a hits-first page asks
   * the GIN index for. A common word next to a rare one would make the index read every case that has it.
   */
  rareTsquery?: string;
}

/** Checks every filter of a request (unknown status, priority or tag is a 400). */
export function checkFilters(request: CaseSearchRequest, settings: CaseSettings): SearchFilters {
  const f: SearchFilters = { includeDeleted: !!request.IncludeDeleted };
  const text = interpretSearchText(request.SearchText);
  if (text) f.text = text;
  if (request.Status) {
    assertStatus(settings, request.Status);
    f.status = request.Status;
  }
  if (request.Priority) {
    assertPriority(settings, request.Priority);
    f.priority = request.Priority;
  }
  if (request.AssignedToUserId) f.assignedToUserId = request.AssignedToUserId;
  if (request.Tags?.length) {
    assertTags(settings, request.Tags);
    f.tags = request.Tags;
  }
  if (request.CustomerId) {
    if (!UUID.test(request.CustomerId))
      throw new ValidationError(`CustomerId must be a customer's Id (a uuid); got "${request.CustomerId}"`);
    f.customerId = request.CustomerId;
  }
  if (request.OrderId) f.orderId = request.OrderId;
  if (request.DateFrom) f.dateFrom = parseSearchDate('DateFrom', request.DateFrom).at;
  if (request.DateTo) {
    const { at, day } = parseSearchDate('DateTo', request.DateTo);
    // A date without a time in DateTo means the whole day (UTC): cases before the next midnight.
    if (day) at.setUTCDate(at.getUTCDate() + 1);
    f.dateTo = at;
    f.dateToExclusive = day;
  }
  return f;
}

/** The WHERE of checked filters. */
export function filterQuery(q: CaseQuery, f: SearchFilters): CaseQuery {
  if (!f.includeDeleted) q = q.where('deleted_at', 'is', null);
  const text = f.text;
  if (text?.kind === 'caseNumber') q = q.where(sql`upper(case_number)`, '=', text.value);
  else if (text?.kind === 'email') q = q.where(sql`lower(customer_email)`, '=', text.value);
  else if (text?.kind === 'words' && f.rareTsquery) {
    // IS TRUE keeps the whole text out of the index condition: it is tested on the rare words' few hits.
    q = q.where(
      sql<SqlBool>`search_vector @@ to_tsquery('english', ${f.rareTsquery}) AND (search_vector @@ to_tsquery('english', ${text.tsquery})) IS TRUE`,
    );
  } else if (text?.kind === 'words') q = q.where(sql<SqlBool>`search_vector @@ to_tsquery('english', ${text.tsquery})`);
  else if (text?.kind === 'number') {
    q = q.where(
      sql<SqlBool>`(number = ${text.number}::bigint OR search_vector @@ to_tsquery('english', ${text.tsquery}))`,
    );
  } else if (text?.kind === 'nothing') q = q.where(sql<SqlBool>`false`);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.priority) q = q.where('priority', '=', f.priority);
  if (f.assignedToUserId) q = q.where('assigned_to_user_id', '=', f.assignedToUserId);
  if (f.tags) q = q.where(sql<SqlBool>`tags @> ${sql.val(f.tags)}::text[]`);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.orderId) q = q.where(sql<SqlBool>`related_orders @> ARRAY[${f.orderId}]::text[]`);
  if (f.dateFrom) q = q.where('created', '>=', f.dateFrom);
  if (f.dateTo) q = q.where('created', f.dateToExclusive ? '<' : '<=', f.dateTo);
  return q;
}

/** The WHERE of a search; validates every value first (unknown status, priority or tag is a 400). */
export function applyFilters(q: CaseQuery, request: CaseSearchRequest, settings: CaseSettings): CaseQuery {
  return filterQuery(q, checkFilters(request, settings));
}

export function applySort(q: CaseQuery, order: SortOrder, settings: CaseSettings): CaseQuery {
  for (const k of sortKeys(order)) {
    const target =
      k.key === 'status_level' || k.key === 'priority_severity' ? rankExpression(k.key, settings) : sql.ref(k.key);
    q = q.orderBy(sql`${target} ${sql.raw(k.direction)}${sql.raw(k.nullsLast ? ' NULLS LAST' : '')}`);
  }
  return q;
}
