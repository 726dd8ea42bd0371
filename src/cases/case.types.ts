import type { ParticipantJson, PropertyJson } from '../db/schema.js';

export type Participant = ParticipantJson;
export type Property = PropertyJson;

export interface AttachmentJson {
  Id: string;
  FileName: string;
  ContentType: string;
  Size: number;
  ContentId: string | null;
  Inline: boolean;
  /** Relative URL that downloads the bytes (API key required). */
  Url: string;
}

export interface NoteDeliveryJson {
  Status: string;
  To: string[];
  MessageId: string;
  Error: string | null;
  SentAt: string | null;
}

export interface NoteJson {
  Id: string;
  Comment: string;
  /** The whole text as received, quoted history and signature included (email notes). */
  FullText: string | null;
  /** Sanitised HTML body (email notes). */
  Html: string | null;
  IsPublic: boolean;
  CreatedBy: string;
  CreatedByEmail: string | null;
  Source: string;
  Created: string;
  SendEmailNotification: boolean;
  Attachments: AttachmentJson[];
  /** Outbound delivery of this note by email, when it was sent. */
  Delivery: NoteDeliveryJson[];
}

export interface StatusLogJson {
  Status: string;
  Timestamp: string;
  DurationSincePreviousMs: number | null;
  /** Who changed the status (a staff user's or an API key's name); null for the server's own changes. */
  ChangedBy: string | null;
  ChangedByUserId: string | null;
}

/**
 * Who makes a change, as the case records it: a staff user (with their id) or an API key (no user id). The HTTP
 * layer makes it from the request's actor; mail and the server's own changes have none.
 */
export interface ChangedBy {
  name: string;
  userId: string | null;
  email?: string | null;
}

/** A case in the API's shape (PascalCase, as the Cases API reference has it). */
export interface CaseJson {
  Id: string;
  CaseNumber: string;
  Subject: string;
  Description: string;
  Status: string;
  Priority: string;
  Source: string;
  AssignedToUserId: string | null;
  AssignedToName: string | null;
  CustomerId: string | null;
  CustomerName: string | null;
  CustomerEmail: string | null;
  Tags: string[];
  RelatedOrders: string[];
  RelatedCustomers: string[];
  RelatedProjects: string[];
  RelatedCarts: string[];
  RelatedSkuIds: string[];
  RelatedProductIds: string[];
  Participants: Participant[];
  CaseNotes: NoteJson[];
  InternalNotes: NoteJson[];
  Properties: Property[];
  CaseStatusLog: StatusLogJson[];
  FollowUpDate: string | null;
  ResolvedDate: string | null;
  ClosedDate: string | null;
  LastCommentDate: string | null;
  LastCommenterName: string | null;
  CommentCount: number;
  Created: string;
  Changed: string;
  MarketId: string | null;
  MarketGroupId: string | null;
  /** The status at the next level, as a hint for clients; null at the last level. */
  NextSuggestedStatus: string | null;
  /** Set when the case is soft-deleted (only visible with IncludeDeleted). */
  Deleted: string | null;
  /** `Standard` or `Order` (docs/order-cases.md); set when the case is created. */
  CaseType: CaseType;
  /** The order header of an order case (null for other cases, and in search results). */
  OrderCase: OrderCaseJson | null;
  /** The line items of an order case, by LineNumber (empty for other cases, and in search results). */
  CaseLines: CaseLineJson[];
}

/** What kind of case: a plain one, or an order case with line items (docs/order-cases.md). */
export const CASE_TYPES = ['Standard', 'Order'] as const;
export type CaseType = (typeof CASE_TYPES)[number];
export const ORDER_CASE_SCOPES = ['SpecificLineItems', 'MultipleOrders'] as const;
export type OrderCaseScope = (typeof ORDER_CASE_SCOPES)[number];
/** Draft: created by staff, not submitted yet; Submitted: in the workflow; Cancelled: a draft that was cancelled. */
export const ORDER_CASE_STATES = ['Draft', 'Submitted', 'Cancelled'] as const;
export type OrderCaseState = (typeof ORDER_CASE_STATES)[number];
export const LINE_STATES = [
  'Draft',
  'New',
  'WorkInProgress',
  'AwaitingInfo',
  'ResolvedAccepted',
  'ResolvedDenied',
  'Cancelled',
] as const;
export type LineState = (typeof LINE_STATES)[number];
/** A case with lines can be closed only when every line is in one of these. */
export const TERMINAL_LINE_STATES: readonly LineState[] = ['ResolvedAccepted', 'ResolvedDenied', 'Cancelled'];

export interface AddressJson {
  Name?: string | null;
  Line1?: string | null;
  Line2?: string | null;
  City?: string | null;
  PostalCode?: string | null;
  Region?: string | null;
  CountryCode?: string | null;
}

export interface LineStateLogJson {
  State: string;
  Timestamp: string;
  DurationSincePreviousMs: number | null;
}

/** One line item of an order case. Quantities are decimal strings, exactly as stored (never floats). */
export interface CaseLineJson {
  Id: string;
  LineNumber: number;
  OrderNumber: string;
  /** Null when the line stands for the whole order (scope MultipleOrders). */
  OrderLineNumber: number | null;
  SkuId: string | null;
  Name: string | null;
  OrderedQuantity: string | null;
  RequestedQuantity: string | null;
  ApprovedQuantity: string | null;
  RequestedDate: string | null;
  ApprovedDate: string | null;
  CurrentShippingAddress: AddressJson | null;
  RequestedShippingAddress: AddressJson | null;
  AssignedToUserId: string | null;
  AssignedToName: string | null;
  State: LineState;
  StateLog: LineStateLogJson[];
  CloseNotes: string | null;
  WorkNotes: string | null;
  Created: string;
  Changed: string;
}

export interface OrderCaseJson {
  Scope: OrderCaseScope;
  /** The order of a SpecificLineItems case; null for MultipleOrders. */
  OrderNumber: string | null;
  /** The order's customer, from the order store. */
  Account: { Id: string | null; Name: string | null; Email: string | null } | null;
  Service: string | null;
  RequestReasonCode: string | null;
  ResolutionCode: string | null;
  State: OrderCaseState;
  SubmittedDate: string | null;
  CancelledDate: string | null;
}

/** The fields of a new case: the editable ones, and its type (set once, when it is created). */
export interface NewCaseFields extends EditableCaseFields {
  CaseType?: CaseType | null;
}

/** The fields a client may set. Everything else on a case is owned by the server. */
export interface EditableCaseFields {
  Subject?: string | null;
  Description?: string | null;
  Status?: string | null;
  Priority?: string | null;
  Source?: string | null;
  AssignedToUserId?: string | null;
  AssignedToName?: string | null;
  CustomerId?: string | null;
  CustomerName?: string | null;
  CustomerEmail?: string | null;
  Tags?: string[] | null;
  RelatedOrders?: string[] | null;
  RelatedCustomers?: string[] | null;
  RelatedProjects?: string[] | null;
  RelatedCarts?: string[] | null;
  RelatedSkuIds?: string[] | null;
  RelatedProductIds?: string[] | null;
  Participants?: Participant[] | null;
  Properties?: Property[] | null;
  FollowUpDate?: string | null;
  MarketId?: string | null;
  MarketGroupId?: string | null;
}

/**
 * Most entries in one list field of a case (Tags, Related*, Participants, Properties) or a note's recipients: the
 * API refuses longer lists, so whatever writes a case another way (mail) keeps to it too, or the case could not be
 * PUT back as read.
 */
export const MAX_LIST_ITEMS = 1_000;

export const EDITABLE_CASE_FIELDS = [
  'Subject',
  'Description',
  'Status',
  'Priority',
  'Source',
  'AssignedToUserId',
  'AssignedToName',
  'CustomerId',
  'CustomerName',
  'CustomerEmail',
  'Tags',
  'RelatedOrders',
  'RelatedCustomers',
  'RelatedProjects',
  'RelatedCarts',
  'RelatedSkuIds',
  'RelatedProductIds',
  'Participants',
  'Properties',
  'FollowUpDate',
  'MarketId',
  'MarketGroupId',
] as const satisfies readonly (keyof EditableCaseFields)[];

/** Fields the server owns: accepted in a PUT/PATCH body (so GET-modify-PUT works) but never applied. */
export const SERVER_OWNED_CASE_FIELDS = [
  'CaseNumber',
  'Created',
  'Changed',
  'CaseStatusLog',
  'CommentCount',
  'ResolvedDate',
  'ClosedDate',
  'LastCommentDate',
  'LastCommenterName',
  'CaseNotes',
  'InternalNotes',
  'NextSuggestedStatus',
  'Deleted',
  'CaseType',
  'OrderCase',
  'CaseLines',
] as const;

export interface NewAttachment {
  fileName: string;
  contentType: string;
  content: Buffer;
  contentId?: string | null;
  inline?: boolean;
}
