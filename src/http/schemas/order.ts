import { Type, type Static } from '@sinclair/typebox';
import { MAX_BULK_ORDERS, MAX_ORDER_LINES } from '../../orders/order.types.js';
import { CaseSchema } from './case.js';
import { Quantity, orderCaseCreateFields } from './case-line.js';
import { Email, MAX_SHORT_LENGTH, MAX_SUBJECT_LENGTH, MAX_TEXT_LENGTH, Nullable, ShortString } from './common.js';

const optText = (description?: string) => Type.Optional(Nullable(ShortString(description ? { description } : {})));
const NullableString = Nullable(Type.String());

const OrderLineInput = Type.Object(
  {
    LineNumber: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'Unique within the order; re-imports match lines by it',
    }),
    SkuId: optText(),
    ProductId: optText(),
    Name: optText(),
    Quantity: Quantity('Ordered quantity'),
    UnitPrice: Type.Optional(Nullable(Quantity('Price of one unit, in the order currency (may be negative)'))),
    LineStatus: optText("The order system's status of the line"),
  },
  { additionalProperties: false, title: 'OrderLineImport' },
);

/** PUT /api/orders (one order). */
export const OrderImportBody = Type.Object(
  {
    OrderNumber: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH }),
    CustomerId: optText("The customer's id in the order system"),
    CustomerName: optText(),
    CustomerEmail: Type.Optional(Nullable(Email())),
    MarketId: optText(),
    Created: Type.Optional(Nullable(Type.String({ maxLength: 40, description: 'ISO 8601 date or date-time' }))),
    Status: optText(),
    Currency: Type.Optional(Nullable(Type.String({ maxLength: 3, description: 'ISO 4217, e.g. EUR' }))),
    Lines: Type.Optional(Nullable(Type.Array(OrderLineInput, { maxItems: MAX_ORDER_LINES }))),
  },
  { additionalProperties: false, title: 'OrderImport' },
);
export type OrderImportBody = Static<typeof OrderImportBody>;

/** PUT /api/orders/bulk. */
export const OrderBulkImportBody = Type.Object(
  { Orders: Type.Array(OrderImportBody, { minItems: 1, maxItems: MAX_BULK_ORDERS }) },
  { additionalProperties: false, title: 'OrderBulkImport' },
);

export const OrderBulkImportResult = Type.Object(
  {
    Imported: Type.Integer(),
    Created: Type.Integer({ description: 'Orders that were new' }),
    Updated: Type.Integer({ description: 'Orders that were known and were updated' }),
  },
  { additionalProperties: false, title: 'OrderBulkImportResult' },
);

export const OrderSchema = Type.Object(
  {
    OrderNumber: Type.String(),
    CustomerId: NullableString,
    CustomerName: NullableString,
    CustomerEmail: NullableString,
    MarketId: NullableString,
    Created: Nullable(Type.String({ format: 'date-time' })),
    Status: NullableString,
    Currency: NullableString,
    Lines: Type.Array(
      Type.Object(
        {
          LineNumber: Type.Integer(),
          SkuId: NullableString,
          ProductId: NullableString,
          Name: NullableString,
          Quantity: Type.String({ description: 'Decimal string, exact' }),
          UnitPrice: Nullable(Type.String({ description: 'Decimal string, exact' })),
          LineStatus: NullableString,
        },
        { additionalProperties: false, title: 'OrderLine' },
      ),
    ),
    Imported: Type.String({ format: 'date-time', description: 'First imported' }),
    Changed: Type.String({ format: 'date-time', description: 'Last imported' }),
  },
  { additionalProperties: false, title: 'Order' },
);

export const OrderSearchBody = Type.Object(
  {
    CustomerId: optText("Orders of this customer (the order system's id)"),
    Email: optText('Orders of this customer email (any case)'),
    Text: optText('Order number (exact or part), customer name or email (part)'),
    Page: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 10_000 }))),
    Take: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100 }))),
  },
  { additionalProperties: false, title: 'OrderSearch' },
);

export const OrderSearchResult = Type.Object(
  { Items: Type.Array(OrderSchema), TotalHits: Type.Integer(), Page: Type.Integer(), PageSize: Type.Integer() },
  { additionalProperties: false, title: 'OrderSearchResult' },
);

/** POST /api/orders/{orderNumber}/case. */
export const OrderCaseFromOrderBody = Type.Object(
  {
    Lines: orderCaseCreateFields.Lines,
    Subject: Type.Optional(
      Nullable(Type.String({ maxLength: MAX_SUBJECT_LENGTH, description: 'Default: Order #<number>' })),
    ),
    Description: Type.Optional(Nullable(Type.String({ maxLength: MAX_TEXT_LENGTH }))),
    Priority: optText(),
    AssignedToUserId: optText(),
    AssignedToName: optText(),
    Service: orderCaseCreateFields.Service,
    RequestReasonCode: orderCaseCreateFields.RequestReasonCode,
    ResolutionCode: orderCaseCreateFields.ResolutionCode,
  },
  { additionalProperties: false, title: 'OrderCaseFromOrder' },
);

/** The answer of submit and cancel. */
export const OrderCaseChangeSchema = Type.Object(
  {
    Changed: Type.Boolean({ description: 'False when the case already was in that state (nothing changed)' }),
    Message: Type.String(),
    Case: CaseSchema,
  },
  { additionalProperties: false, title: 'OrderCaseChange' },
);

export const OrderNumberParams = Type.Object({
  orderNumber: Type.String({ minLength: 1, maxLength: MAX_SHORT_LENGTH }),
});
