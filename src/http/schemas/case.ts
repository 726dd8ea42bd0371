import { Type, type Static, type TOptional, type TSchema, type TUnknown } from '@sinclair/typebox';
import { SERVER_OWNED_CASE_FIELDS } from '../../cases/case.types.js';
import {
  DateTime,
  Email,
  MAX_LIST_ITEMS,
  MAX_SUBJECT_LENGTH,
  MAX_TEXT_LENGTH,
  Nullable,
  ShortString,
  StringList,
} from './common.js';
import { NoteSchema } from './note.js';
import { CaseLineSchema, OrderCaseSchema, orderCaseCreateFields } from './case-line.js';

export const ParticipantSchema = Type.Object(
  {
    Name: Nullable(ShortString()),
    Email: Nullable(ShortString()),
    CustomerId: Nullable(ShortString()),
    Role: Nullable(ShortString({ description: 'e.g. Customer, Cc' })),
  },
  { additionalProperties: false, title: 'Participant' },
);

export const PropertySchema = Type.Object(
  { Key: ShortString(), Value: Nullable(Type.String({ maxLength: 10_000 })) },
  { additionalProperties: false, title: 'Property' },
);

export const StatusLogSchema = Type.Object(
  {
    Status: Type.String(),
    Timestamp: Type.String({ format: 'date-time' }),
    DurationSincePreviousMs: Nullable(
      Type.Number({ description: 'Milliseconds in the previous status; null for the first entry' }),
    ),
    ChangedBy: Nullable(
      Type.String({ description: "The staff user's or API key's name; null for changes by mail or the server" }),
    ),
    ChangedByUserId: Nullable(Type.String({ description: 'The staff user who changed it (null for an API key)' })),
  },
  { additionalProperties: false, title: 'CaseStatusLogEntry' },
);

const NullableDate = Nullable(Type.String({ format: 'date-time' }));
const NullableString = Nullable(Type.String());

/** A case as the API returns it (src/cases/case.mapper.ts caseToJson). */
export const CaseSchema = Type.Object(
  {
    Id: Type.String({ description: 'Server-made uuid' }),
    CaseNumber: Type.String({ description: 'Prefix + increasing number, e.g. CS-1001; never reused' }),
    Subject: Type.String(),
    Description: Type.String(),
    Status: Type.String(),
    Priority: Type.String(),
    Source: Type.String({ description: 'Email, Phone, Web or a custom value' }),
    AssignedToUserId: NullableString,
    AssignedToName: NullableString,
    CustomerId: NullableString,
    CustomerName: NullableString,
    CustomerEmail: NullableString,
    Tags: Type.Array(Type.String()),
    RelatedOrders: Type.Array(Type.String()),
    RelatedCustomers: Type.Array(Type.String()),
    RelatedProjects: Type.Array(Type.String()),
    RelatedCarts: Type.Array(Type.String()),
    RelatedSkuIds: Type.Array(Type.String()),
    RelatedProductIds: Type.Array(Type.String()),
    Participants: Type.Array(ParticipantSchema),
    CaseNotes: Type.Array(NoteSchema, { description: 'Public notes, visible to the customer' }),
    InternalNotes: Type.Array(NoteSchema, { description: 'Staff-only notes' }),
    Properties: Type.Array(PropertySchema, {
      description:
        'Free key/value pairs. Set by intake on cases made from mail: PreviousCase (the reply belonged to a deleted case) ' +
        'and PossiblyRelatedCase (a header or the subject named that case, but the sender may not write to it: ' +
        'docs/threading-trust.md); both hold a case number.',
    }),
    CaseStatusLog: Type.Array(StatusLogSchema),
    FollowUpDate: NullableDate,
    ResolvedDate: NullableDate,
    ClosedDate: NullableDate,
    LastCommentDate: NullableDate,
    LastCommenterName: NullableString,
    CommentCount: Type.Integer(),
    Created: Type.String({ format: 'date-time' }),
    Changed: Type.String({ format: 'date-time' }),
    MarketId: NullableString,
    MarketGroupId: NullableString,
    NextSuggestedStatus: Nullable(Type.String({ description: 'The status at the next level; null at the last level' })),
    Deleted: Nullable(
      Type.String({ format: 'date-time', description: 'Set when soft-deleted (search with IncludeDeleted)' }),
    ),
    CaseType: Type.Union([Type.Literal('Standard'), Type.Literal('Order')], {
      description: 'Order: an order case with line items (docs/order-cases.md)',
    }),
    OrderCase: Nullable(OrderCaseSchema),
    CaseLines: Type.Array(CaseLineSchema, { description: 'Line items of an order case (empty in search results)' }),
  },
  { additionalProperties: false, title: 'Case' },
);
export type CaseSchema = Static<typeof CaseSchema>;

const opt = <T extends TSchema>(s: T) => Type.Optional(Nullable(s));

/** The fields a client may set (EDITABLE_CASE_FIELDS), each optional and nullable. */
const editable = {
  Subject: opt(Type.String({ maxLength: MAX_SUBJECT_LENGTH })),
  Description: opt(Type.String({ maxLength: MAX_TEXT_LENGTH })),
  Priority: opt(ShortString({ description: 'One of the configured priorities; default DefaultPriority' })),
  Source: opt(ShortString({ description: 'Email, Phone, Web or a custom value; default Web' })),
  AssignedToUserId: opt(ShortString()),
  AssignedToName: opt(ShortString()),
  CustomerId: opt(ShortString({ description: 'Id of a known customer' })),
  CustomerName: opt(ShortString()),
  CustomerEmail: opt(Email('A known customer with this email (any case) links the case to them')),
  Tags: opt(StringList('Each one of the configured Tags')),
  RelatedOrders: opt(StringList()),
  RelatedCustomers: opt(StringList()),
  RelatedProjects: opt(StringList()),
  RelatedCarts: opt(StringList()),
  RelatedSkuIds: opt(StringList()),
  RelatedProductIds: opt(StringList()),
  Participants: opt(Type.Array(ParticipantSchema, { maxItems: MAX_LIST_ITEMS })),
  Properties: opt(Type.Array(PropertySchema, { maxItems: MAX_LIST_ITEMS })),
  FollowUpDate: opt(DateTime('ISO 8601 with a time zone, from 0001-01-01 to 9999-12-31 (UTC)')),
  MarketId: opt(ShortString()),
  MarketGroupId: opt(ShortString()),
};

/**
 * POST /api/cases. Status and server-owned fields are refused (a new case always starts in Status New). With
 * CaseType Order, an order case (a draft) with the order fields; other cases refuse those.
 */
export const CaseCreateBody = Type.Object(
  {
    ...editable,
    CaseType: Type.Optional(
      Nullable(
        Type.Union([Type.Literal('Standard'), Type.Literal('Order')], {
          description: 'Default Standard; Order makes an order case (a draft) with the order fields below',
        }),
      ),
    ),
    ...orderCaseCreateFields,
  },
  { additionalProperties: false, title: 'CaseCreate' },
);
export type CaseCreateBody = Static<typeof CaseCreateBody>;

// Server-owned fields may ride along in PUT/PATCH (GET-modify-PUT works) but are never applied.
const ignored = Object.fromEntries(
  SERVER_OWNED_CASE_FIELDS.map((f) => [
    f,
    Type.Optional(Type.Unknown({ description: 'Server-owned: accepted and ignored' })),
  ]),
) as Record<(typeof SERVER_OWNED_CASE_FIELDS)[number], TOptional<TUnknown>>;

const updateFields = {
  Id: Type.String({ maxLength: 100, description: 'The case to update' }),
  Status: opt(ShortString({ description: 'One of the configured statuses; a change is logged in CaseStatusLog' })),
  ...editable,
  ...ignored,
};

/** PUT /api/cases: every editable field is replaced; an omitted one is cleared (Status and Priority keep theirs). */
export const CaseUpdateBody = Type.Object(updateFields, { additionalProperties: false, title: 'CaseUpdate' });
export type CaseUpdateBody = Static<typeof CaseUpdateBody>;

/** PATCH /api/cases: only fields that are present and not null are applied. */
export const CasePatchBody = Type.Object(updateFields, { additionalProperties: false, title: 'CasePatch' });
export type CasePatchBody = Static<typeof CasePatchBody>;
