import { Type, type Static } from '@sinclair/typebox';
import { LINE_STATES, ORDER_CASE_SCOPES, ORDER_CASE_STATES } from '../../cases/case.types.js';
import { MAX_SHORT_LENGTH, Nullable, ShortString } from './common.js';

// The line items and order header of an order case (docs/order-cases.md), and the bodies that change them.

const NullableString = Nullable(Type.String());
const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

export const AddressSchema = Type.Object(
  {
    Name: Type.Optional(Nullable(ShortString())),
    Line1: Type.Optional(Nullable(ShortString())),
    Line2: Type.Optional(Nullable(ShortString())),
    City: Type.Optional(Nullable(ShortString())),
    PostalCode: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    Region: Type.Optional(Nullable(ShortString())),
    CountryCode: Type.Optional(Nullable(Type.String({ maxLength: 3, description: 'ISO 3166 code, e.g. DE' }))),
  },
  { additionalProperties: false, title: 'Address' },
);

/** A quantity: a JSON number or a decimal string; stored exactly, answered as a decimal string. */
export const Quantity = (description: string) =>
  Type.Union([Type.Number(), Type.String({ maxLength: 40 })], {
    description: `${description}. A number or a decimal string (up to 18 digits before the point and 6 after it); answered as a decimal string, exactly as stored`,
  });

export const LineStateLogSchema = Type.Object(
  {
    State: Type.String(),
    Timestamp: Type.String({ format: 'date-time' }),
    DurationSincePreviousMs: Nullable(Type.Number({ description: 'Milliseconds in the previous state' })),
  },
  { additionalProperties: false, title: 'CaseLineStateLogEntry' },
);

export const CaseLineSchema = Type.Object(
  {
    Id: Type.String(),
    LineNumber: Type.Integer({ description: '1, 2, … within the case' }),
    OrderNumber: Type.String(),
    OrderLineNumber: Nullable(Type.Integer({ description: 'Null when the line item is the whole order' })),
    SkuId: NullableString,
    Name: NullableString,
    OrderedQuantity: Nullable(Type.String({ description: 'Decimal string, exact' })),
    RequestedQuantity: Nullable(Type.String({ description: 'Decimal string, exact' })),
    ApprovedQuantity: Nullable(Type.String({ description: 'Decimal string, exact' })),
    RequestedDate: Nullable(Type.String({ format: 'date' })),
    ApprovedDate: Nullable(Type.String({ format: 'date' })),
    CurrentShippingAddress: Nullable(AddressSchema),
    RequestedShippingAddress: Nullable(AddressSchema),
    AssignedToUserId: NullableString,
    AssignedToName: NullableString,
    State: literals(LINE_STATES),
    StateLog: Type.Array(LineStateLogSchema, { description: 'Every state of the line with its time' }),
    CloseNotes: NullableString,
    WorkNotes: NullableString,
    Created: Type.String({ format: 'date-time' }),
    Changed: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, title: 'CaseLine' },
);

export const OrderCaseSchema = Type.Object(
  {
    Scope: literals(ORDER_CASE_SCOPES),
    OrderNumber: Nullable(Type.String({ description: 'The order of a SpecificLineItems case' })),
    Account: Nullable(
      Type.Object(
        { Id: NullableString, Name: NullableString, Email: NullableString },
        { additionalProperties: false, title: 'Account', description: "The order's customer, from the order store" },
      ),
    ),
    Service: NullableString,
    RequestReasonCode: NullableString,
    ResolutionCode: NullableString,
    State: literals(ORDER_CASE_STATES, 'Draft until submitted; Cancelled: a cancelled draft'),
    SubmittedDate: Nullable(Type.String({ format: 'date-time' })),
    CancelledDate: Nullable(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false, title: 'OrderCase' },
);

const optText = (maxLength: number, description?: string) =>
  Type.Optional(Nullable(Type.String({ maxLength, ...(description ? { description } : {}) })));

/** The order-case fields of POST /api/cases with CaseType Order (and of POST /api/orders/{orderNumber}/case). */
export const orderCaseCreateFields = {
  Scope: Type.Optional(
    Nullable(literals(ORDER_CASE_SCOPES, 'Default: SpecificLineItems when Lines are given, else MultipleOrders')),
  ),
  OrderNumber: optText(MAX_SHORT_LENGTH, 'The order of a SpecificLineItems case'),
  Lines: Type.Optional(
    Nullable(
      Type.Array(Type.Integer({ minimum: 0 }), {
        maxItems: 1000,
        description: 'Line numbers of the order that become line items (SpecificLineItems)',
      }),
    ),
  ),
  Orders: Type.Optional(
    Nullable(
      Type.Array(ShortString(), {
        maxItems: 1000,
        description: 'Orders whose headers become line items (MultipleOrders)',
      }),
    ),
  ),
  Service: optText(100, 'One of the case settings OrderCases.Services; default OrderCases.DefaultService'),
  RequestReasonCode: optText(100, 'One of the case settings OrderCases.RequestReasonCodes'),
  ResolutionCode: optText(100, 'One of the case settings OrderCases.ResolutionCodes'),
};

/** POST /api/cases/{id}/lines. */
export const CaseLinesAddBody = Type.Object(
  {
    Orders: orderCaseCreateFields.Orders,
    Lines: orderCaseCreateFields.Lines,
    OrderNumber: optText(
      MAX_SHORT_LENGTH,
      "For Lines: the order they belong to; must be the case's own order (a SpecificLineItems case holds one order)",
    ),
  },
  { additionalProperties: false, title: 'CaseLinesAdd' },
);
export type CaseLinesAddBody = Static<typeof CaseLinesAddBody>;

/** PATCH /api/cases/{id}/lines/{lineNumber}: absent fields keep their value, null clears. */
export const CaseLineEditBody = Type.Object(
  {
    RequestedQuantity: Type.Optional(Nullable(Quantity('Quantity the customer asks for'))),
    ApprovedQuantity: Type.Optional(Nullable(Quantity('Quantity agreed'))),
    RequestedDate: Type.Optional(Nullable(Type.String({ maxLength: 10, description: 'YYYY-MM-DD' }))),
    ApprovedDate: Type.Optional(Nullable(Type.String({ maxLength: 10, description: 'YYYY-MM-DD' }))),
    CurrentShippingAddress: Type.Optional(Nullable(AddressSchema)),
    RequestedShippingAddress: Type.Optional(Nullable(AddressSchema)),
    CloseNotes: optText(100_000),
    WorkNotes: optText(100_000),
    State: Type.Optional(
      Nullable(
        literals(LINE_STATES, 'New state (logged in StateLog); Draft cannot be set; not while the case is a draft'),
      ),
    ),
    AssignedToUserId: optText(MAX_SHORT_LENGTH),
    AssignedToName: optText(MAX_SHORT_LENGTH),
  },
  { additionalProperties: false, title: 'CaseLineEdit' },
);
export type CaseLineEditBody = Static<typeof CaseLineEditBody>;

/** POST /api/cases/{id}/lines/{lineNumber}/assign. */
export const CaseLineAssignBody = Type.Object(
  {
    AssignedToUserId: optText(MAX_SHORT_LENGTH, 'The agent ("assign to me": your own user id); empty: unassign'),
    AssignedToName: optText(MAX_SHORT_LENGTH),
  },
  { additionalProperties: false, title: 'CaseLineAssign' },
);
export type CaseLineAssignBody = Static<typeof CaseLineAssignBody>;

/** PATCH /api/cases/{id}/order. */
export const OrderCaseEditBody = Type.Object(
  {
    Service: orderCaseCreateFields.Service,
    RequestReasonCode: orderCaseCreateFields.RequestReasonCode,
    ResolutionCode: orderCaseCreateFields.ResolutionCode,
  },
  { additionalProperties: false, title: 'OrderCaseEdit' },
);
export type OrderCaseEditBody = Static<typeof OrderCaseEditBody>;

export const LineParams = Type.Object({
  id: Type.String({ description: 'The case id or number', maxLength: 100 }),
  lineNumber: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'The LineNumber of the line item' }),
});
