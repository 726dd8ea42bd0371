/** An order line as the API takes and returns it. Quantity and UnitPrice are decimal strings (exact) in answers. */
export interface OrderLineJson {
  LineNumber: number;
  SkuId: string | null;
  ProductId: string | null;
  Name: string | null;
  Quantity: string;
  UnitPrice: string | null;
  LineStatus: string | null;
}

/** An order of the order store, in the API's shape. */
export interface OrderJson {
  OrderNumber: string;
  CustomerId: string | null;
  CustomerName: string | null;
  CustomerEmail: string | null;
  MarketId: string | null;
  Created: string | null;
  Status: string | null;
  Currency: string | null;
  Lines: OrderLineJson[];
  Imported: string;
  Changed: string;
}

/** An order as a client imports it: quantities and prices as JSON numbers or decimal strings. */
export interface OrderInput {
  OrderNumber: string;
  CustomerId?: string | null;
  CustomerName?: string | null;
  CustomerEmail?: string | null;
  MarketId?: string | null;
  Created?: string | null;
  Status?: string | null;
  Currency?: string | null;
  Lines?: OrderLineInput[] | null;
}

export interface OrderLineInput {
  LineNumber: number;
  SkuId?: string | null;
  ProductId?: string | null;
  Name?: string | null;
  Quantity: number | string;
  UnitPrice?: number | string | null;
  LineStatus?: string | null;
}

/** Most orders in one bulk import (PUT /api/orders/bulk). */
export const MAX_BULK_ORDERS = 10_000;
/** Most lines in one order. */
export const MAX_ORDER_LINES = 1_000;
/** Orders per statement of a bulk import: the JSON parameter stays a few MB. */
export const ORDER_IMPORT_CHUNK = 1_000;
