/**
 * The normalised form of one inbound email, produced by src/mail/parse.ts (pure: no database)
 * and consumed by the inbound pipeline (src/inbound/). `toParsedMessageJson` gives the API/CLI shape.
 */
import type { SenderHeaders } from './sender-headers.js';

export type Classification = 'normal' | 'auto-reply' | 'bounce' | 'list' | 'feedback-report';

export interface MailAddress {
  name: string;
  /** Lower-cased address. */
  email: string;
}

export interface ParsedAttachment {
  fileName: string;
  contentType: string;
  size: number;
  /** Content-ID without angle brackets, for `cid:` references in the HTML. */
  contentId: string | null;
  inline: boolean;
  content: Buffer;
}

export interface BounceInfo {
  /** Message-ID (no brackets) of the message that bounced, when the report carries it. */
  originalMessageId: string | null;
  /** Failed recipients with their DSN status code (e.g. 5.1.1). */
  recipients: { email: string; status: string | null; action: string | null }[];
  /** True when any recipient failed permanently (5.x.x). */
  permanent: boolean;
}

export interface ParsedMessage {
  /** Message-ID without angle brackets; null when missing. */
  messageId: string | null;
  inReplyTo: string | null;
  /** References, oldest first as in the header, without brackets. */
  references: string[];
  from: MailAddress | null;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  /** Envelope recipients when the server recorded them (Delivered-To, X-Original-To), lower-cased. */
  deliveredTo: string[];
  /** Subject as sent (decoded). */
  subject: string;
  /** Subject without Re:/Fwd:/AW:/[CS-1001] noise, for a new case; at most 500 characters (MAX_CASE_SUBJECT_LENGTH). */
  cleanSubject: string;
  date: Date | null;
  /** Plain-text body (from text/plain, else converted from HTML). */
  text: string;
  /** Sanitised HTML (no script, no event handlers, no remote loads); null for text-only mail. */
  html: string | null;
  /** The new part of a reply: quoted history and signature removed. Equals `text` for a fresh message. */
  replyText: string;
  /** Order references found in the subject (`#12345` by default), de-duplicated, without the '#'. */
  orderRefs: string[];
  /** Case numbers found in the subject (`[CS-1001]` or `CS-1001`), upper-cased. */
  caseRefs: string[];
  /** Reply tokens found in recipient addresses (`support+<token>@...`). */
  replyTokens: string[];
  classification: Classification;
  /** Why it was classified so (the header or shape that decided), for the record and the logs. */
  classificationReason: string;
  bounce: BounceInfo | null;
  attachments: ParsedAttachment[];
  /**
   * From-address count and Authentication-Results from the raw header (src/mail/sender-headers.ts), for the trust
   * policy; set by the inbound pipeline, absent when the message was not read from raw bytes.
   */
  senderHeaders?: SenderHeaders;
}

export type DecisionAction = 'new-case' | 'reply' | 'reopen' | 'ignore';

export interface ThreadDecision {
  action: DecisionAction;
  caseId: string | null;
  caseNumber: string | null;
  /** Which rule matched and why, e.g. "In-Reply-To <abc@x> is a message of CS-1001". */
  reason: string;
}

/** The JSON of `intake parse` and POST /api/inbound/parse (field names are a contract for scripts). */
export interface ParsedMessageJson {
  MessageId: string | null;
  InReplyTo: string | null;
  References: string[];
  From: { Name: string; Email: string } | null;
  ReplyTo: { Name: string; Email: string }[];
  To: { Name: string; Email: string }[];
  Cc: { Name: string; Email: string }[];
  Subject: string;
  Date: string | null;
  Text: string;
  Html: string | null;
  ReplyText: string;
  OrderRefs: string[];
  CaseRefs: string[];
  Classification: Classification;
  Attachments: { FileName: string; ContentType: string; Size: number; ContentId: string | null; Inline: boolean }[];
  Decision: { Action: DecisionAction; CaseNumber: string | null; Reason: string };
}
