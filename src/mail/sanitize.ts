import sanitizeHtml from 'sanitize-html';

/**
 * HTML longer than this (characters) is cut before sanitising. Sanitising is linear, but a 50 MB
 * HTML body would still hold a worker for seconds; nobody reads that much in a case view.
 */
export const DEFAULT_MAX_SANITIZE_INPUT = 1_000_000;
/** Deeper nesting is flattened: pathological nesting is an attack on renderers, not on content. */
export const DEFAULT_HTML_NESTING_LIMIT = 100;
/**
 * HTML nested deeper than this is shown as plain text. The HTML parser's cost grows with the square of
 * the depth (30,000 levels take ~0.3 s, 100,000 take many seconds), so such input must never reach it;
 * real mail stays far below (Outlook tables nest a few dozen levels).
 */
export const DEFAULT_MAX_HTML_DEPTH = 1_000;

export interface SanitizeOptions {
  /** Default {@link DEFAULT_MAX_SANITIZE_INPUT}. */
  maxInputLength?: number;
  /** Default {@link DEFAULT_HTML_NESTING_LIMIT}. */
  nestingLimit?: number;
  /** Default {@link DEFAULT_MAX_HTML_DEPTH}. */
  maxDepth?: number;
}

/** Elements without an end tag, or whose end tag is implied: they never deepen the tree. */
const FLAT_TAGS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
  'p',
  'li',
  'dt',
  'dd',
  'tr',
  'td',
  'th',
  'option',
  'thead',
  'tbody',
  'tfoot',
  'colgroup',
  'rp',
  'rt',
]);

const TAG_NAME = /[a-zA-Z][a-zA-Z0-9:-]*/y;

/**
 * True when the tag nesting goes deeper than `max`. One linear pass with indexOf, not a regex: a tag runs
 * from `<name` to the next `>`, and `/<name[^>]*>/g` would rescan to the end of the input from every `<`
 * when there is no `>` after it (`<a<a<a…`: 600 KB took minutes).
 */
export function nestsDeeperThan(html: string, max: number): boolean {
  let depth = 0;
  for (let lt = html.indexOf('<'); lt >= 0;) {
    const closing = html.charCodeAt(lt + 1) === 0x2f; // "/"
    TAG_NAME.lastIndex = lt + (closing ? 2 : 1);
    const name = TAG_NAME.exec(html)?.[0];
    if (!name) {
      lt = html.indexOf('<', lt + 1);
      continue;
    }
    const gt = html.indexOf('>', TAG_NAME.lastIndex);
    if (gt < 0) break; // no tag can end after this point
    if (!FLAT_TAGS.has(name.toLowerCase()) && html.charCodeAt(gt - 1) !== 0x2f) {
      if (closing) depth = Math.max(0, depth - 1);
      else if (++depth > max) return true;
    }
    lt = html.indexOf('<', gt + 1);
  }
  return false;
}

/**
 * Markup stripped, what is left escaped: the safe view of HTML too deep to parse. A tag is `<…>` without a
 * `<` inside, so each character is looked at a bounded number of times (`[^>]*` would rescan from every `<`).
 */
function asPlainText(html: string): string {
  const text = html
    .replace(/<[^<>]*>/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
  return `<pre>${text}</pre>`;
}

/** Only images carried in the mail itself: no tracking pixels, no remote loads from a case view. */
const SAFE_IMAGE_SRC = /^(cid:|data:image\/(png|jpe?g|gif|webp|bmp);)/i;

const TAGS = [...sanitizeHtml.defaults.allowedTags, 'img', 'font', 'center', 'big', 'strike', 'tt'].filter(
  (t) => t !== 'style' && t !== 'script',
);

const base: sanitizeHtml.IOptions = {
  allowedTags: TAGS,
  // No `style` anywhere (CVE-2024-21501, and CSS can load remote resources), no `class`/`id` (they
  // would hook into the app's own CSS), no event handlers, no background/srcset (remote loads).
  allowedAttributes: {
    a: ['href', 'name', 'title', 'target', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    font: ['color', 'face', 'size'],
    table: ['border', 'cellpadding', 'cellspacing', 'width', 'align'],
    td: ['colspan', 'rowspan', 'align', 'valign', 'width'],
    th: ['colspan', 'rowspan', 'align', 'valign', 'width'],
    col: ['span', 'width'],
    ol: ['start', 'type'],
    '*': ['dir', 'lang', 'title', 'align'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['cid', 'data'] },
  allowProtocolRelative: false,
  parseStyleAttributes: false,
  disallowedTagsMode: 'discard',
  // An image whose source was removed (remote, javascript:, unknown scheme) is dropped entirely.
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' },
    }),
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      return { tagName, attribs: src && SAFE_IMAGE_SRC.test(src.trim()) ? { ...rest, src: src.trim() } : rest };
    },
  },
};

/** The options of sanitizeEmailHtml, for a view that rewrites images (display-html.ts). */
export const EMAIL_SANITIZE_OPTIONS: Readonly<sanitizeHtml.IOptions> = base;

/** HTML too deep for the parser (DEFAULT_MAX_HTML_DEPTH) as escaped plain text, else as it is; cut to `max` first. */
export function boundedHtmlInput(html: string, max = DEFAULT_MAX_SANITIZE_INPUT): string {
  const input = html.length > max ? html.slice(0, max) : html;
  return nestsDeeperThan(input, DEFAULT_MAX_HTML_DEPTH) ? asPlainText(input) : input;
}

/**
 * Sanitises the HTML body of an email for display: no script, no event handlers, no style, no remote
 * loads (http(s) images, srcset, background), only `cid:` and `data:image/*` images; links open in a
 * new tab with `rel="noopener noreferrer nofollow"`. Input beyond `maxInputLength` is cut first, and
 * HTML nested deeper than `maxDepth` is shown as escaped plain text.
 */
export function sanitizeEmailHtml(html: string, options: SanitizeOptions = {}): string {
  const max = options.maxInputLength ?? DEFAULT_MAX_SANITIZE_INPUT;
  let input = html.length > max ? html.slice(0, max) : html;
  if (nestsDeeperThan(input, options.maxDepth ?? DEFAULT_MAX_HTML_DEPTH)) input = asPlainText(input);
  return sanitizeHtml(input, { ...base, nestingLimit: options.nestingLimit ?? DEFAULT_HTML_NESTING_LIMIT }).trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Plain text from already sanitised HTML, for the rare mail whose HTML mailparser could not convert
 * (too long or too deep): block ends become line breaks, tags go, common entities are decoded.
 */
export function sanitizedHtmlToText(html: string): string {
  return (
    html
      .replace(/<br\s*\/?>|<\/(p|div|tr|li|h[1-6]|pre|blockquote|table)>/gi, '\n')
      .replace(/<[^<>]*>/g, '')
      .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
        if (e[0] !== '#') return ENTITIES[e.toLowerCase()] ?? m;
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        // Not NUL (PostgreSQL text refuses it) and not a lone surrogate (jsonb refuses it, UTF-8 cannot hold it).
        return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : m;
      })
      // Trailing blanks of a line; the look-behind starts each run once (a bare `[ \t]+\n` is quadratic in a long run).
      .replace(/(?<![ \t])[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
