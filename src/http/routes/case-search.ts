import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import {
  DEFAULT_SEARCH_TAKE,
  DEFAULT_SORT_ORDER,
  EXACT_COUNT_LIMIT,
  MAX_RESULT_WINDOW,
  MAX_SEARCH_TAKE,
  SORT_ORDERS,
} from '../../cases/search-request.js';
import { searchCases } from '../../cases/search.js';
import { CaseSchema } from '../schemas/case.js';
import { LINE_STATES } from '../../cases/case.types.js';
import { forSerializer, MAX_LIST_ITEMS, MAX_SHORT_LENGTH, Nullable } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';

const opt = Type.Optional;
const text = (description: string) => opt(Nullable(Type.String({ maxLength: MAX_SHORT_LENGTH, description })));

export const CaseSearchBody = Type.Object(
  {
    // Long text is accepted and cut to its first words (src/cases/search.ts), never a 500.
    SearchText: opt(
      Nullable(
        Type.String({
          maxLength: 10_000,
          description:
            'Free text over case number, subject, description, customer name and email. A case number (CS-1042) or an email address alone matches exactly; a number alone (1042) matches that case number and also as a word; otherwise every word must match, as a prefix, stemmed (refund finds refunded; parc finds parcel).',
        }),
      ),
    ),
    Status: text('Only cases in this status'),
    Statuses: opt(
      Nullable(
        Type.Array(Type.String({ maxLength: MAX_SHORT_LENGTH }), {
          maxItems: MAX_LIST_ITEMS,
          description:
            'Only cases in any of these statuses (an empty list matches nothing). With Status as well: cases in Status, if it is one of these',
        }),
      ),
    ),
    Priority: text('Only cases with this priority'),
    AssignedToUserId: text('Only cases assigned to this user'),
    Unassigned: opt(
      Nullable(Type.Boolean({ description: 'true: only cases without an assignee (not with AssignedToUserId)' })),
    ),
    Tags: opt(
      Nullable(
        Type.Array(Type.String({ maxLength: MAX_SHORT_LENGTH }), {
          maxItems: MAX_LIST_ITEMS,
          description: 'Cases carrying all of these tags',
        }),
      ),
    ),
    CustomerId: text('Only cases of this customer (uuid)'),
    OrderId: text('Only cases linked to this order (RelatedOrders)'),
    CaseType: opt(
      Nullable(
        Type.Union([Type.Literal('Standard'), Type.Literal('Order')], { description: 'Only cases of this type' }),
      ),
    ),
    LineState: opt(
      Nullable(
        Type.Union(
          LINE_STATES.map((s) => Type.Literal(s)),
          { description: 'Only order cases with at least one line item in this state' },
        ),
      ),
    ),
    DateFrom: opt(
      Nullable(
        Type.String({
          maxLength: 40,
          description:
            'Created at or after (ISO 8601, from 0001-01-01 to 9999-12-31; a date alone is midnight UTC, a date-time without a time zone is UTC)',
        }),
      ),
    ),
    DateTo: opt(
      Nullable(
        Type.String({
          maxLength: 40,
          description:
            'Created at or before (ISO 8601, from 0001-01-01 to 9999-12-31; a date alone includes that whole day, UTC; a date-time without a time zone is UTC)',
        }),
      ),
    ),
    ChangedFrom: opt(
      Nullable(
        Type.String({
          maxLength: 40,
          description: 'Changed at or after (ISO 8601, read like DateFrom)',
        }),
      ),
    ),
    ChangedTo: opt(
      Nullable(
        Type.String({
          maxLength: 40,
          description: 'Changed at or before (ISO 8601, read like DateTo: a date alone includes that whole day, UTC)',
        }),
      ),
    ),
    SortOrder: opt(
      Nullable(
        Type.Union(
          SORT_ORDERS.map((s) => Type.Literal(s)),
          { description: `Default ${DEFAULT_SORT_ORDER}; ties are broken by Id` },
        ),
      ),
    ),
    Page: opt(Nullable(Type.Integer({ minimum: 0, description: 'Zero-based page number' }))),
    Take: opt(
      Nullable(
        Type.Integer({
          minimum: 1,
          maximum: MAX_SEARCH_TAKE,
          description: `Page size, default ${DEFAULT_SEARCH_TAKE}, at most ${MAX_SEARCH_TAKE}`,
        }),
      ),
    ),
    IncludeDeleted: opt(Nullable(Type.Boolean({ description: 'Include soft-deleted cases (they carry Deleted)' }))),
  },
  { additionalProperties: false, title: 'CaseSearchRequest' },
);

export const CaseSearchResponse = Type.Object(
  {
    Items: Type.Array(CaseSchema, {
      description:
        'Cases of this page; CaseNotes, InternalNotes and CaseStatusLog are empty here (GET /api/cases/{id} has them)',
    }),
    TotalHits: Type.Integer({
      description: `Exact up to ${EXACT_COUNT_LIMIT}; above that an estimate (see TotalHitsExact)`,
    }),
    TotalHitsExact: Type.Boolean({
      description: `False when more than ${EXACT_COUNT_LIMIT} cases match and TotalHits is the planner's estimate`,
    }),
    Page: Type.Integer(),
    PageSize: Type.Integer(),
  },
  { additionalProperties: false, title: 'CaseSearchResult' },
);

/** POST /api/cases/search: a read (needs cases:read; src/http/auth.ts does not ask a session for a CSRF token on it). */
export function caseSearchRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.post(
      '/cases/search',
      {
        config: { needs: 'cases:read' },
        schema: {
          tags: ['Cases'],
          summary: 'Search cases with filters, sorting and pagination. Needs: cases:read',
          description: `Unknown Status, Priority or Tags are a 400 listing the allowed values. (Page + 1) * Take may be at most ${MAX_RESULT_WINDOW}. TotalHits is exact up to ${EXACT_COUNT_LIMIT}, an estimate above.`,
          operationId: 'searchCases',
          body: CaseSearchBody,
          // Type lists instead of anyOf for nullable fields: the same JSON, serialised faster (schemas/common.ts).
          response: { 200: forSerializer(CaseSearchResponse), ...errorResponses(400, 413) },
        },
      },
      async (req) => searchCases(ctx.db, req.body, ctx.caseSettings),
    );
  };
}
