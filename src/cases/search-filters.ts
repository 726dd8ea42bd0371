import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import { DATE_RANGE_TEXT, parseIsoDate, parseIsoDateTime } from '../iso-date.js';
import { assertPriority, assertStatus, assertTags, type CaseSettings } from '../settings/case-settings.js';
import { UUID } from './case.repository.js';
import { CASE_TYPES, LINE_STATES } from './case.types.js';
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
  /** Any of these statuses (two or more; one is `status`, none matches nothing). */
  statuses?: readonly string[];
  priority?: string;
  assignedToUserId?: string;
  /** Only cases without an assignee. */
  unassigned?: boolean;
  tags?: readonly string[];
  customerId?: string;
  orderId?: string;
  /** Only cases of this CaseType (Standard, Order). */
  caseType?: string;
  /** Only cases with a line item in this state (order cases). */
  lineState?: string;
  dateFrom?: Date;
  dateTo?: Date;
  /** DateTo was a date alone: cases before the next midnight (UTC), not at or before an instant. */
  dateToExclusive?: boolean;
  /** The same on `changed` (ChangedFrom, ChangedTo). */
  changedFrom?: Date;
  changedTo?: Date;
  changedToExclusive?: boolean;
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
  if (request.Status) assertStatus(settings, request.Status);
  if (request.Statuses) {
    for (const s of request.Statuses) assertStatus(settings, s);
    // Filters are ANDed: with Status as well, only Status, and only if it is one of Statuses.
    const wanted = request.Status
      ? request.Statuses.includes(request.Status)
        ? [request.Status]
        : []
      : [...new Set(request.Statuses)];
    if (wanted.length === 1) f.status = wanted[0];
    else f.statuses = wanted;
  } else if (request.Status) f.status = request.Status;
  if (request.Priority) {
    assertPriority(settings, request.Priority);
    f.priority = request.Priority;
  }
  if (request.AssignedToUserId) f.assignedToUserId = request.AssignedToUserId;
  if (request.Unassigned) {
    if (request.AssignedToUserId)
      throw new ValidationError('Unassigned and AssignedToUserId exclude each other; send one of them');
    f.unassigned = true;
  }
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
  if (request.CaseType) {
    if (!(CASE_TYPES as readonly string[]).includes(request.CaseType))
      throw new ValidationError(`Unknown CaseType "${request.CaseType}"; allowed: ${CASE_TYPES.join(', ')}`);
    f.caseType = request.CaseType;
  }
  if (request.LineState) {
    if (!(LINE_STATES as readonly string[]).includes(request.LineState))
      throw new ValidationError(`Unknown LineState "${request.LineState}"; allowed: ${LINE_STATES.join(', ')}`);
    f.lineState = request.LineState;
  }
  if (request.DateFrom) f.dateFrom = parseSearchDate('DateFrom', request.DateFrom).at;
  if (request.DateTo) {
    const { at, day } = parseSearchDate('DateTo', request.DateTo);
    // A date without a time in DateTo means the whole day (UTC): cases before the next midnight.
    if (day) at.setUTCDate(at.getUTCDate() + 1);
    f.dateTo = at;
    f.dateToExclusive = day;
  }
  if (request.ChangedFrom) f.changedFrom = parseSearchDate('ChangedFrom', request.ChangedFrom).at;
  if (request.ChangedTo) {
    const { at, day } = parseSearchDate('ChangedTo', request.ChangedTo);
    if (day) at.setUTCDate(at.getUTCDate() + 1);
    f.changedTo = at;
    f.changedToExclusive = day;
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
  // An empty list is a statement of its own shape (no slot): = ANY('{}') would do, but false says it.
  if (f.statuses) {
    q =
      f.statuses.length === 0
        ? q.where(sql<SqlBool>`false`)
        : q.where(sql<SqlBool>`status = ANY(${sql.val(f.statuses)}::text[])`);
  }
  if (f.priority) q = q.where('priority', '=', f.priority);
  if (f.assignedToUserId) q = q.where('assigned_to_user_id', '=', f.assignedToUserId);
  if (f.unassigned) q = q.where('assigned_to_user_id', 'is', null);
  if (f.tags) q = q.where(sql<SqlBool>`tags @> ${sql.val(f.tags)}::text[]`);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.orderId) q = q.where(sql<SqlBool>`related_orders @> ARRAY[${f.orderId}]::text[]`);
  if (f.caseType) q = q.where('case_type', '=', f.caseType);
  if (f.lineState) {
    q = q.where(
      sql<SqlBool>`EXISTS (SELECT 1 FROM case_lines l WHERE l.case_id = ${sql.ref('cases.id')} AND l.state = ${f.lineState})`,
    );
  }
  if (f.dateFrom) q = q.where('created', '>=', f.dateFrom);
  if (f.dateTo) q = q.where('created', f.dateToExclusive ? '<' : '<=', f.dateTo);
  if (f.changedFrom) q = q.where('changed', '>=', f.changedFrom);
  if (f.changedTo) q = q.where('changed', f.changedToExclusive ? '<' : '<=', f.changedTo);
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
