import { ValidationError } from '../errors.js';
import { NUMBER_PREFIX_PATTERN } from '../settings/case-settings.js';
import type { CaseJson } from './case.types.js';

// The search request as the API takes it: its types and limits, its free text read, its sort order and page checked.

export const SORT_ORDERS = [
  'CreatedAscending',
  'CreatedDescending',
  'ChangedAscending',
  'ChangedDescending',
  'StatusAscending',
  'StatusDescending',
  'PriorityAscending',
  'PriorityDescending',
  'SubjectAscending',
  'SubjectDescending',
  'CustomerNameAscending',
  'CustomerNameDescending',
  'AssignedToNameAscending',
  'AssignedToNameDescending',
  'FollowUpDateAscending',
  'FollowUpDateDescending',
] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** Newest first unless the client asks otherwise. */
export const DEFAULT_SORT_ORDER: SortOrder = 'CreatedDescending';
/** Items per page when `Take` is not given. */
export const DEFAULT_SEARCH_TAKE = 20;
/** Largest `Take`; more is a 400. */
export const MAX_SEARCH_TAKE = 100;
/**
 * TotalHits is counted exactly up to this many hits; above it, it is the planner's estimate and
 * `TotalHitsExact` is false. Counting every one of 300,000 matches of a common word means
 * visiting 300,000 scattered rows on every page request; counting to 1,000 and estimating the rest does not.
 */
export const EXACT_COUNT_LIMIT = 1_000;
/**
 * Hits are reachable up to this depth ((Page + 1) * Take at most this), like Elasticsearch's result window:
 * an OFFSET of hundreds of thousands re-reads all the skipped rows on every request.
 */
export const MAX_RESULT_WINDOW = 10_000;
/** Words of the free text used in the query; the rest is ignored. */
export const MAX_SEARCH_WORDS = 16;
/** Longer words are cut to this length, which keeps them a prefix of the word that was meant. */
export const MAX_SEARCH_WORD_LENGTH = 64;

/** The search request, in the API's shape. Absent and null fields do not filter. */
export interface CaseSearchRequest {
  SearchText?: string | null;
  Status?: string | null;
  /** Cases in any of these statuses (with Status as well: cases in Status, if it is one of them). */
  Statuses?: string[] | null;
  Priority?: string | null;
  AssignedToUserId?: string | null;
  /** True: only cases without an assignee. */
  Unassigned?: boolean | null;
  Tags?: string[] | null;
  CustomerId?: string | null;
  OrderId?: string | null;
  /** Standard or Order. */
  CaseType?: string | null;
  /** Only cases with a line item in this state. */
  LineState?: string | null;
  DateFrom?: string | null;
  DateTo?: string | null;
  /** On `Changed`, read like DateFrom and DateTo. */
  ChangedFrom?: string | null;
  ChangedTo?: string | null;
  SortOrder?: SortOrder | null;
  Page?: number | null;
  Take?: number | null;
  IncludeDeleted?: boolean | null;
}

export interface CaseSearchResult {
  Items: CaseJson[];
  TotalHits: number;
  /** False when TotalHits is an estimate (more than EXACT_COUNT_LIMIT hits). */
  TotalHitsExact: boolean;
  Page: number;
  PageSize: number;
}

/** How free text is matched: one exact lookup, or words as prefixes of stemmed lexemes. */
export type TextMatch =
  | { kind: 'caseNumber'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'words'; tsquery: string }
  /** Digits alone: the case with that number (CS-1042 for "1042", whatever its prefix), or the digits as a word. */
  | { kind: 'number'; number: string; tsquery: string }
  /** Text was given but holds nothing searchable (only punctuation): matches no case. */
  | { kind: 'nothing' };

const CASE_NUMBER = new RegExp(`^${NUMBER_PREFIX_PATTERN.source.slice(1, -1)}\\d+$`);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Up to 15 digits: a bigint for sure. */
const BARE_NUMBER = /^\d{1,15}$/;

/**
 * Reads the free text. A case number or an email address alone is an exact lookup (indexed on
 * upper(case_number) and lower(customer_email)). Anything else becomes words of letters and digits only,
 * so the tsquery we build can never contain an operator from the user (no raw text reaches to_tsquery).
 * Each word of two or more characters matches as a prefix (`parc` finds parcel); one-letter words match whole.
 * Digits alone are what an agent types for a case number, and also a word (an order number in a subject):
 * they find both.
 */
export function interpretSearchText(text: string | null | undefined): TextMatch | undefined {
  const trimmed = (text ?? '').trim();
  if (!trimmed) return undefined;
  if (CASE_NUMBER.test(trimmed)) return { kind: 'caseNumber', value: trimmed.toUpperCase() };
  if (trimmed.length <= 320 && EMAIL.test(trimmed)) return { kind: 'email', value: trimmed.toLowerCase() };
  if (BARE_NUMBER.test(trimmed))
    return { kind: 'number', number: String(BigInt(trimmed)), tsquery: trimmed.length > 1 ? `${trimmed}:*` : trimmed };
  const words = (trimmed.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [])
    .slice(0, MAX_SEARCH_WORDS)
    .map((w) => w.slice(0, MAX_SEARCH_WORD_LENGTH).toLowerCase());
  if (words.length === 0) return { kind: 'nothing' };
  return { kind: 'words', tsquery: [...new Set(words)].map((w) => (w.length > 1 ? `${w}:*` : w)).join(' & ') };
}

export interface SortKey {
  /** A column, or the settings-derived ranks `status_level` and `priority_severity`. */
  key:
    | 'created'
    | 'changed'
    | 'status_level'
    | 'priority_severity'
    | 'subject'
    | 'customer_name'
    | 'assigned_to_name'
    | 'follow_up_date'
    | 'id';
  direction: 'asc' | 'desc';
  /** Cases without a value sort last in both directions. */
  nullsLast: boolean;
}

const SORT_KEYS: Record<string, SortKey['key']> = {
  Created: 'created',
  Changed: 'changed',
  Status: 'status_level',
  Priority: 'priority_severity',
  Subject: 'subject',
  CustomerName: 'customer_name',
  AssignedToName: 'assigned_to_name',
  FollowUpDate: 'follow_up_date',
};
const NULLABLE = new Set<SortKey['key']>([
  'status_level',
  'priority_severity',
  'customer_name',
  'assigned_to_name',
  'follow_up_date',
]);

/** The ORDER BY of a sort order: its key, then the case id in the same direction as a stable tiebreak. */
export function sortKeys(order: SortOrder): SortKey[] {
  const m = /^(\w+?)(Ascending|Descending)$/.exec(order);
  const key = m ? SORT_KEYS[m[1]!] : undefined;
  if (!m || !key) throw new ValidationError(`Unknown SortOrder "${order}"; allowed: ${SORT_ORDERS.join(', ')}`);
  const direction = m[2] === 'Ascending' ? 'asc' : 'desc';
  return [
    { key, direction, nullsLast: NULLABLE.has(key) },
    { key: 'id', direction, nullsLast: false },
  ];
}

/** Page and Take checked against the limits; a 400 explains which one is off. */
export function pageWindow(
  page: number | null | undefined,
  take: number | null | undefined,
): { page: number; take: number } {
  const p = page ?? 0;
  const t = take ?? DEFAULT_SEARCH_TAKE;
  if (!Number.isInteger(p) || p < 0)
    throw new ValidationError(`Page must be a whole number from 0 (zero-based); got ${p}`);
  if (!Number.isInteger(t) || t < 1 || t > MAX_SEARCH_TAKE)
    throw new ValidationError(`Take must be from 1 to ${MAX_SEARCH_TAKE}; got ${t}`);
  if ((p + 1) * t > MAX_RESULT_WINDOW) {
    throw new ValidationError(
      `Results are reachable up to the ${MAX_RESULT_WINDOW.toLocaleString('en')}th hit ((Page + 1) * Take); narrow the search or change SortOrder`,
    );
  }
  return { page: p, take: t };
}
