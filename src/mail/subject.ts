import { DEFAULT_CASE_NUMBER_PREFIXES, escapeRegExp } from './case-refs.js';
import { excerpt } from './clean-text.js';

/**
 * Longest subject of a case made from mail, in characters. The subject is a key of a btree index
 * (cases_subject_idx), which refuses entries over 2,704 bytes: a longer one failed the whole message.
 * 500 UTF-16 units are at most 1,500 bytes of UTF-8; the full subject stays in the stored message.
 */
export const MAX_CASE_SUBJECT_LENGTH = 500;

/**
 * Reply and forward prefixes mail clients put in front of a subject, in the languages support mail
 * commonly arrives in: English (Re, Fw, Fwd), German (AW, WG), Scandinavian (Sv, Vs), Dutch (Antw, Doorst),
 * French (TR, Réf), Italian (R, Rif). Each may carry a counter (`Re[2]:`, `Re(3):`) and Outlook
 * sometimes writes a full-width colon.
 */
export const SUBJECT_PREFIXES: readonly string[] = Object.freeze([
  're',
  'fw',
  'fwd',
  'aw',
  'wg',
  'sv',
  'vs',
  'antw',
  'antwort',
  'doorst',
  'tr',
  'réf',
  'ref',
  'rif',
  'r',
]);

const PREFIX_RE = new RegExp(
  `^(?:${SUBJECT_PREFIXES.map(escapeRegExp).join('|')})\\s*(?:\\[\\d+\\]|\\(\\d+\\))?\\s*[:：]\\s*`,
  'iu',
);

function caseTagRegExp(prefixes: readonly string[]): RegExp | null {
  const usable = prefixes.map((p) => p.trim()).filter(Boolean);
  if (usable.length === 0) return null;
  // "[CS-1001]" or "(CS-1001)" anywhere: intake adds the bracketed form to every mail it sends. No leading \s*
  // (blanks are collapsed afterwards): it made every blank of a long run rescan the run.
  return new RegExp(`[\\[(](?:${usable.map(escapeRegExp).join('|')})\\d+[\\])]\\s*`, 'giu');
}

/**
 * The subject for a new case: reply/forward prefixes and bracketed case numbers removed, repeatedly
 * ("RE: AW: [CS-1001] Re: Hello" -> "Hello"), whitespace collapsed. A subject that is nothing but noise
 * becomes the empty string; the caller chooses a placeholder. At most {@link MAX_CASE_SUBJECT_LENGTH} characters.
 */
export function cleanSubject(
  subject: string,
  caseNumberPrefixes: readonly string[] = DEFAULT_CASE_NUMBER_PREFIXES,
): string {
  const tag = caseTagRegExp(caseNumberPrefixes);
  let s = subject.replace(/[\r\n\t]+/g, ' ');
  if (tag) s = s.replace(tag, ' ');
  s = s.replace(/\s+/g, ' ').trim();
  // Bounded loop: every pass removes at least one prefix, and a subject is short.
  for (let i = 0; i < 50; i++) {
    const next = s.replace(PREFIX_RE, '').trim();
    if (next === s) break;
    s = next;
  }
  return excerpt(s, MAX_CASE_SUBJECT_LENGTH);
}
