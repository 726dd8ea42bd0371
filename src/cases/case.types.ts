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
] as const;

export interface NewAttachment {
  fileName: string;
  contentType: string;
  content: Buffer;
  contentId?: string | null;
  inline?: boolean;
}
