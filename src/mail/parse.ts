import { simpleParser, type Attachment, type ParsedMail, type StructuredHeader } from 'mailparser';
import { UnprocessableMessageError } from '../errors.js';
import { addressesInHeader, extractReplyTokens, normaliseEmail, toMailAddresses } from './addresses.js';
import { DEFAULT_CASE_NUMBER_PREFIXES, findCaseRefs } from './case-refs.js';
import { parseBounceInfo } from './bounce-info.js';
import { classifyMessage, type HeaderMap, type MimePart } from './classify.js';
import { cleanText, excerpt, withoutComments } from './clean-text.js';
import type { ParsedAttachment, ParsedMessage } from './message.types.js';
import { DEFAULT_ORDER_REF_PATTERN, findOrderRefs } from './order-refs.js';
import { usableMessageId } from './identity.js';
import { looksLikeReply, replyTextOf } from './reply-text.js';
import { sanitizedHtmlToText, sanitizeEmailHtml } from './sanitize.js';
import { cleanSubject } from './subject.js';

/**
 * HTML parts longer than this (characters) are not converted to text by mailparser: html-to-text on
 * megabytes of HTML is where parse time goes. The HTML itself is still kept (sanitised, capped).
 */
export const DEFAULT_MAX_HTML_LENGTH_TO_PARSE = 1_000_000;

export interface ParseOptions {
  /** Regex source for order references in the subject; group 1 is the id. Default: config's `DEFAULT_ORDER_REF_PATTERN` (`#(\d{3,})`). */
  orderRefPattern: string;
  /** intake's reply address (REPLY_ADDRESS); `local+<token>@domain` in a recipient yields a reply token. */
  replyAddress: string;
  /** Addresses that are intake itself (the pipeline excludes them from participants). */
  ownAddresses: readonly string[];
  /** Case number prefixes; case refs match `<PREFIX><digits>`. Default `['CS-']`. */
  caseNumberPrefixes?: readonly string[];
  /** See {@link DEFAULT_MAX_HTML_LENGTH_TO_PARSE}. */
  maxHtmlLengthToParse?: number;
}

/** Header names whose values are envelope recipients recorded by the receiving server. */
const ENVELOPE_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

/**
 * Bytes to skip before the header: a UTF-8 byte-order mark (editors and Windows tools write one), leading blank
 * lines, and an mbox `From ` envelope line (a single message saved from a mailbox). The first line after them must
 * be a header field; anything else is not an RFC 5322 message, and parsing it would only invent an empty mail.
 */
export function leadingBlankLength(raw: Buffer): number {
  let i = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (i < raw.length && i < 1024 && (raw[i] === 0x0d || raw[i] === 0x0a)) i++;
  if (raw.subarray(i, i + 5).toString('latin1') === 'From ') {
    // The envelope line ends at LF, CRLF or a bare CR (classic Mac OS files).
    let nl = i;
    while (nl < raw.length && nl - i < 1024 && raw[nl] !== 0x0a && raw[nl] !== 0x0d) nl++;
    if (nl < raw.length && nl - i < 1024) i = raw[nl] === 0x0d && raw[nl + 1] === 0x0a ? nl + 2 : nl + 1;
  }
  return i;
}

/** Bytes of the head looked at to tell a file whose lines end with a bare CR. */
const LINE_END_SAMPLE = 65_536;

/**
 * A message whose lines end with a bare CR (classic Mac OS, some exports) is one long header line to a MIME parser,
 * which then finds no body at all. Such input is read with CRLF line ends; anything else is passed on unchanged.
 */
export function withCrlfLineEnds(raw: Buffer): Buffer {
  const head = raw.subarray(0, LINE_END_SAMPLE);
  if (head.includes(0x0a) || !head.includes(0x0d)) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r(?!\n)/g, '\r\n'), 'latin1');
}

function assertLooksLikeMail(raw: Buffer): void {
  if (raw.length === 0) throw new UnprocessableMessageError('The message is empty (0 bytes)');
  const head = raw.subarray(leadingBlankLength(raw), 4096).toString('latin1');
  if (!/^[\x21-\x39\x3b-\x7e]{1,200}:/.test(head)) {
    throw new UnprocessableMessageError(
      'The message does not start with a header field (Name: value); it is not an RFC 5322 email',
    );
  }
}

/** Raw header lines -> lower-cased name => unfolded values in order (not decoded: flags need no decoding). */
export function headerMap(lines: ParsedMail['headerLines']): HeaderMap {
  const map = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    const value = (colon < 0 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]*/g, ' ').trim();
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  }
  return map;
}

/**
 * mailparser turns a Date header it cannot read into "now", which would date a message wrongly
 * without a trace. Keep its parse when the value is readable, else report no date.
 */
function messageDate(parsed: ParsedMail, headers: HeaderMap, parsedAt: number): Date | null {
  const raw = headers.get('date')?.[0];
  const date = parsed.date;
  if (!raw || !date || Number.isNaN(date.getTime())) return null;
  const readable = !Number.isNaN(Date.parse(withoutComments(raw).trim()));
  return readable || Math.abs(date.getTime() - parsedAt) > 5_000 ? date : null;
}

function stripBrackets(id: string | undefined | null): string | null {
  if (!id) return null;
  const m = /<([^<>]+)>/.exec(id);
  const v = (m ? m[1] : id).trim();
  return v || null;
}

/** A Message-ID from a header: brackets stripped, and null unless it can be stored (identity.ts usableMessageId). */
const messageIdOf = (value: string | undefined | null) => usableMessageId(stripBrackets(value));

/**
 * References kept from one message at most: the first (the thread's root) and the newest, as RFC 5322 §3.6.4
 * suggests for trimming. Threading looks at the newest first; 10,000 ids would only make every lookup larger.
 */
export const MAX_REFERENCES = 100;

function referencesOf(parsed: ParsedMail): string[] {
  const raw = parsed.references;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const out = new Set<string>();
  for (const item of list) {
    // mailparser may hand a whole header as one string when the ids are not bracketed nicely.
    const ids = item.match(/<[^<>]+>/g) ?? item.split(/\s+/);
    for (const id of ids) {
      const v = messageIdOf(id);
      if (v) out.add(v);
    }
  }
  const refs = [...out];
  return refs.length > MAX_REFERENCES ? [refs[0]!, ...refs.slice(refs.length - MAX_REFERENCES + 1)] : refs;
}

/** A MIME type as RFC 6838 names them (type/subtype, 127 characters each); anything else is stored as octets. */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** A content type as intake stores it, from mail or the API: lower-cased type/subtype, else application/octet-stream. */
export function safeContentType(contentType: string): string {
  const type = contentType.toLowerCase();
  return MIME_TYPE.test(type) ? type : 'application/octet-stream';
}

/** Longest attachment file name kept, in characters (what common file systems allow); the extension is kept. */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * The sender's file name made safe to store and to offer as a download name: no NUL, control characters, slashes
 * or backslashes, not only dots ('..' stays a path step in many tools), at most MAX_FILE_NAME_LENGTH characters.
 * Empty when nothing is left (the caller names it).
 */
function safeFileName(name: string): string {
  let s = cleanText(name)
    .replace(/[\\/\u0000-\u001f\u007f]/g, '_')
    .trim();
  if (/^\.*$/.test(s)) return '';
  if (s.length > MAX_FILE_NAME_LENGTH) {
    const ext = /\.[^.]{1,16}$/.exec(s)?.[0] ?? '';
    s = excerpt(s.slice(0, s.length - ext.length), MAX_FILE_NAME_LENGTH - ext.length - 1) + ext;
  }
  return s;
}

function defaultFileName(type: string, index: number): string {
  if (type === 'message/rfc822') return 'message.eml';
  if (type === 'message/delivery-status') return 'delivery-status.txt';
  if (type === 'text/rfc822-headers' || type === 'message/rfc822-headers') return 'original-headers.txt';
  if (type === 'message/feedback-report') return 'feedback-report.txt';
  const ext = type.split('/')[1]?.replace(/[^a-z0-9.+-]/g, '') || 'bin';
  return `attachment-${index + 1}.${ext}`;
}

/**
 * An attachment's file name as intake stores it, from mail or the API (see safeFileName), or a name made from its
 * (safe) content type and position when nothing usable is left: `attachment-2.pdf`, `message.eml`.
 */
export function safeAttachmentName(fileName: string, contentType: string, index: number): string {
  return safeFileName(fileName) || defaultFileName(contentType, index);
}

function toAttachment(a: Attachment, index: number): ParsedAttachment {
  const contentType = safeContentType(a.contentType);
  return {
    fileName: safeAttachmentName(a.filename ?? '', contentType, index),
    contentType,
    size: a.size ?? a.content.length,
    // A Content-ID is a msg-id (RFC 2045): the same rule as for Message-IDs.
    contentId: usableMessageId(a.cid ?? stripBrackets(a.contentId)),
    inline: a.contentDisposition === 'inline' || a.related === true,
    content: a.content,
  };
}

/**
 * Parses one raw email into intake's normalised form. Pure: no database, no network.
 * Odd but parseable mail (bad charsets, broken dates, missing Message-ID, truncated multiparts) parses;
 * input that is not an email at all throws {@link UnprocessableMessageError}.
 */
export async function parseMessage(raw: Buffer, options: ParseOptions): Promise<ParsedMessage> {
  assertLooksLikeMail(raw);
  const prefixes = options.caseNumberPrefixes ?? DEFAULT_CASE_NUMBER_PREFIXES;
  let parsed: ParsedMail;
  const parsedAt = Date.now();
  try {
    // Some servers and exports put blank lines before the header; the parser would take it all for body.
    const start = leadingBlankLength(raw);
    parsed = await simpleParser(withCrlfLineEnds(start > 0 ? raw.subarray(start) : raw), {
      maxHtmlLengthToParse: options.maxHtmlLengthToParse ?? DEFAULT_MAX_HTML_LENGTH_TO_PARSE,
      // cid: links stay as they are: inline images are stored as attachments and served by the API.
      keepCidLinks: true,
      skipTextToHtml: true,
      // The DSN part is needed as data for BounceInfo, not glued into the text.
      keepDeliveryStatus: true,
      checksumAlgo: false,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UnprocessableMessageError(`The message could not be parsed as MIME: ${reason}`, err);
  }

  const headers = headerMap(parsed.headerLines);
  const subject = cleanText(parsed.subject ?? '')
    .replace(/[\r\n]+/g, ' ')
    .trim();
  const from = toMailAddresses(parsed.from)[0] ?? null;
  const to = toMailAddresses(parsed.to);
  const cc = toMailAddresses(parsed.cc);
  const bcc = toMailAddresses(parsed.bcc);
  const envelope = new Set<string>();
  for (const name of ENVELOPE_HEADERS) {
    for (const value of headers.get(name) ?? []) for (const e of addressesInHeader(value)) envelope.add(e);
  }
  const deliveredTo = [...envelope];
  const recipients = [...to, ...cc, ...bcc].map((a) => a.email).concat(deliveredTo);

  const contentType = parsed.headers.get('content-type') as StructuredHeader | undefined;
  const parts: MimePart[] = parsed.attachments.map((a) => ({
    contentType: a.contentType.toLowerCase(),
    content: a.content,
  }));
  const topType = contentType ? { value: contentType.value.toLowerCase(), params: contentType.params ?? {} } : null;
  const { classification, reason } = classifyMessage({
    headers,
    contentType: topType,
    parts,
    subject,
    from: from?.email ?? null,
    text: parsed.text ?? '',
  });
  const bounce = classification === 'bounce' ? parseBounceInfo({ parts, text: parsed.text ?? '', headers }) : null;

  const html =
    typeof parsed.html === 'string' && parsed.html.trim() ? sanitizeEmailHtml(cleanText(parsed.html)) || null : null;
  // trimEnd, not /\s+$/: that regex is quadratic in every whitespace run that does not end the text.
  let text = cleanText(parsed.text ?? '')
    .replace(/\r\n?/g, '\n')
    .trimEnd();
  // mailparser leaves the text empty when its HTML-to-text step gave up (size or depth limit).
  if (!text.trim() && html) text = sanitizedHtmlToText(html);
  const inReplyTo = messageIdOf(parsed.inReplyTo);
  const references = referencesOf(parsed);
  const isReply = looksLikeReply({ inReplyTo, references, subject });

  return {
    messageId: messageIdOf(parsed.messageId),
    inReplyTo,
    references,
    from,
    replyTo: toMailAddresses(parsed.replyTo),
    to,
    cc,
    deliveredTo,
    subject,
    cleanSubject: cleanSubject(subject, prefixes),
    date: messageDate(parsed, headers, parsedAt),
    text,
    html,
    replyText: replyTextOf(text, isReply),
    orderRefs: findOrderRefs(subject, options.orderRefPattern || DEFAULT_ORDER_REF_PATTERN, prefixes),
    caseRefs: findCaseRefs(subject, prefixes),
    replyTokens: extractReplyTokens(recipients, normaliseEmail(options.replyAddress)),
    classification,
    classificationReason: reason,
    bounce,
    attachments: parsed.attachments.map(toAttachment),
  };
}
