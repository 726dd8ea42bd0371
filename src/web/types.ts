// The shapes of the API's JSON that the app reads (see /swagger for all of them).

export interface Note {
  Id: string;
  Comment: string;
  IsPublic: boolean;
  CreatedBy: string;
  Created: string;
}

export interface StatusLogEntry {
  Status: string;
  Timestamp: string;
  ChangedBy: string | null;
}

export interface Case {
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
  FollowUpDate: string | null;
  Created: string;
  Changed: string;
  LastCommentDate: string | null;
  CommentCount: number;
  NextSuggestedStatus: string | null;
  CaseNotes: Note[];
  InternalNotes: Note[];
  CaseStatusLog: StatusLogEntry[];
}

export interface SearchResult {
  Items: Case[];
  TotalHits: number;
  TotalHitsExact: boolean;
  Page: number;
  PageSize: number;
}

export interface Counts {
  Unassigned: number;
  Waiting: number;
  Mine: number;
  Open: number;
  Estimated: boolean;
}

export interface Settings {
  Enabled: boolean;
  Statuses: { Name: string; Level: number }[];
  StatusNew: string;
  StatusClosed: string;
  StatusReopen: string;
  StatusResolved: string;
  Priorities: { Name: string; Severity: number }[];
  DefaultPriority: string;
  Tags: string[];
  Sources: string[];
  NumberPrefix: string;
  NextNumber?: number;
  [key: string]: unknown;
}

export interface User {
  Id: string;
  Name: string;
  Email: string;
  Role: 'agent' | 'admin';
  Disabled?: boolean;
  DisabledAt?: string | null;
}

export interface ThreadAttachment {
  Index: number;
  FileName: string;
  ContentType: string;
  Size: number;
  Url: string;
}

export interface EmailItem {
  Kind: 'email';
  Id: string;
  At: string;
  Direction: 'in' | 'out';
  From: string | null;
  To: string[];
  Cc: string[];
  Subject: string;
  ReplyText: string;
  QuotedText: string;
  HasHtml: boolean;
  HtmlUrl: string | null;
  RawUrl: string | null;
  Status?: string | null;
  Attachments: ThreadAttachment[];
}

export interface NoteItem {
  Kind: 'note';
  Id: string;
  At: string;
  Public: boolean;
  Text: string;
  AuthorName: string;
  Email: string | null;
  Attachments: ThreadAttachment[];
}

export interface StatusItem {
  Kind: 'status';
  Id: string;
  At: string;
  From: string | null;
  To: string;
  ByName: string | null;
  Reopened: boolean;
}

export type ThreadItem = EmailItem | NoteItem | StatusItem;

export interface Thread {
  CaseId: string;
  CaseNumber: string;
  ThreadVersion: string;
  Items: ThreadItem[];
}

export interface PresenceUser {
  UserId: string;
  Name: string;
  Activity: 'viewing' | 'replying';
}

export interface ReplyTemplate {
  Id: string;
  Name: string;
  Body: string;
  /** Meant for a public reply (true) or an internal note (false). */
  Public?: boolean;
}
