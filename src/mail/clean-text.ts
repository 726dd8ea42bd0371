// ES2024 string methods (Node 20 has them; the project's lib is ES2023).
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/**
 * Text as PostgreSQL stores it: no NUL (text and jsonb refuse it), no BOM (noise left by a client that concatenated
 * parts), and well-formed UTF-16 (jsonb refuses a lone surrogate; text would silently turn it into U+FFFD), which
 * decoded headers and bodies produce from UTF-16 encoded-words and broken charsets. Lone surrogates become U+FFFD.
 * isWellFormed is one native scan: the only cost on ordinary text.
 */
export function cleanText(value: string): string {
  const s = value.replace(/[\u0000\ufeff]/g, '');
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Longest header value quoted in a classification or threading reason (they are stored in jsonb and logged). */
export const MAX_REASON_VALUE_LENGTH = 80;

/**
 * A header value as quoted in a reason: at most `max` characters (a 1 MB List-Id must not become a 1 MB
 * decision), control characters as spaces, and never half of a surrogate pair: PostgreSQL's jsonb refuses
 * NUL and lone surrogates, so a cut through an emoji at the limit would fail the message.
 */
export function excerpt(value: string, max = MAX_REASON_VALUE_LENGTH): string {
  const long = value.length > max;
  let s = long ? value.slice(0, max) : value;
  if (long && /[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1);
  s = s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (!s.isWellFormed()) s = s.toWellFormed();
  return long ? `${s}…` : s;
}

/**
 * A header value with its RFC 5322 comments `(…)` blanked out. A comment is matched without a parenthesis inside:
 * `\([^)]*\)` rescans to the end from every '(' of '((((…'.
 */
export function withoutComments(value: string): string {
  return value.replace(/\([^()]*\)/g, ' ');
}
