import { simpleParser } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import { DEFAULT_MAX_HTML_LENGTH_TO_PARSE, leadingBlankLength, withCrlfLineEnds } from './parse.js';
import { boundedHtmlInput, DEFAULT_HTML_NESTING_LIMIT, EMAIL_SANITIZE_OPTIONS } from './sanitize.js';

// An email's HTML as a staff member's browser shows it: sanitised like every stored body (sanitize.ts), inline
// images pointed at the message's own parts, remote images only when the reader asks for them.

export interface DisplayHtmlOptions {
  /** The URL an inline image `cid:<contentId>` is served at. */
  partUrl: (contentId: string) => string;
  /** Keep http(s) images (the reader asked to load remote content). Default false: they are dropped. */
  remoteImages?: boolean;
}

export interface DisplayHtml {
  /** The sanitised body (a fragment). */
  html: string;
  /** How many remote images were dropped (0 when `remoteImages`): the reader may ask for them. */
  blockedRemoteImages: number;
}

const DATA_IMAGE = /^data:image\/(png|jpe?g|gif|webp|bmp);/i;
const REMOTE = /^https?:\/\//i;

/**
 * Sanitises `html` for a sandboxed view: no script, no event handlers, no style, no `javascript:`; links open in
 * a new tab with `rel="noopener noreferrer nofollow"`; `cid:` images become `partUrl(cid)`, `data:` images stay,
 * remote images are dropped unless `remoteImages`.
 */
export function displayHtml(html: string, options: DisplayHtmlOptions): DisplayHtml {
  let blocked = 0;
  const base = EMAIL_SANITIZE_OPTIONS;
  const out = sanitizeHtml(boundedHtmlInput(html), {
    ...base,
    nestingLimit: DEFAULT_HTML_NESTING_LIMIT,
    allowedSchemesByTag: { img: options.remoteImages ? ['data', 'http', 'https'] : ['data'] },
    transformTags: {
      ...base.transformTags,
      img: (tagName, attribs) => {
        const { src: raw, ...rest } = attribs;
        const src = raw?.trim() ?? '';
        if (/^cid:/i.test(src)) {
          const cid = src.slice(4).replace(/^<|>$/g, '');
          return { tagName, attribs: cid ? { ...rest, src: options.partUrl(cid) } : rest };
        }
        if (DATA_IMAGE.test(src)) return { tagName, attribs: { ...rest, src } };
        if (REMOTE.test(src)) {
          if (options.remoteImages) return { tagName, attribs: { ...rest, src } };
          blocked++;
        }
        return { tagName, attribs: rest };
      },
    },
  }).trim();
  return { html: out, blockedRemoteImages: blocked };
}

/** The sender's HTML body of raw mail (unsanitised, `cid:` links kept), or null for a text-only message. */
export async function htmlBodyOf(
  raw: Buffer,
  maxHtmlLength = DEFAULT_MAX_HTML_LENGTH_TO_PARSE,
): Promise<string | null> {
  const start = leadingBlankLength(raw);
  const parsed = await simpleParser(withCrlfLineEnds(start > 0 ? raw.subarray(start) : raw), {
    maxHtmlLengthToParse: maxHtmlLength,
    keepCidLinks: true,
    skipTextToHtml: true,
    skipHtmlToText: true,
    skipTextLinks: true,
    checksumAlgo: false,
  } as Parameters<typeof simpleParser>[1]);
  return typeof parsed.html === 'string' ? parsed.html : null;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * A whole document around a sanitised body, for a sandboxed frame: links open outside it, no referrer, images fit.
 * Its only style is inline (the frame's CSP allows inline style, nothing else).
 */
export function displayDocument(body: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    '<base target="_blank"><style>body{font-family:system-ui,sans-serif;margin:.5rem;overflow-wrap:anywhere;' +
    'line-height:1.4}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style></head><body>' +
    body +
    '</body></html>'
  );
}
