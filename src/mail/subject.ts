import { DEFAULT_CASE_NUMBER_PREFIXES, escapeRegExp } from './case-refs.js';

/**
 * Reply and forward prefixes mail clients put in front of a subject, in the languages support mail
 * commonly arrives in: English (Re, Fw, Fwd), German (AW, WG), Scandinavian (Sv, Vs), Dutch (Antw, Doorst),
 * French (TR, Réf), Italian (R, Rif). Each may carry a counter (`Re[2]:`, `Re(3):`) and Outlook
 * sometimes writes a full-width colon.
 */
export const SUBJECT_PREFIXES: readonly string[] = Object.freeze([
  're', 'fw', 'fwd', 'aw', 'wg', 'sv', 'vs', 'antw', 'antwort', 'doorst', 'tr', 'réf', 'ref', 'rif', 'r',
]);

const PREFIX_RE = new RegExp(`^(?:${SUBJECT_PREFIXES.map(escapeRegExp).join('|')})\\s*(?:\\[\\d+\\]|\\(\\d+\\))?\\s*[:：]\\s*`, 'iu');

function caseTagRegExp(prefixes: readonly string[]): RegExp | null {
  const usable = prefixes.map((p) => p.trim()).filter(Boolean);
  if (usable.length === 0) return null;
  // "[CS-1001]" or "(CS-1001)" anywhere: intake adds the bracketed form to every mail it sends.
  return new RegExp(`\\s*[\\[(](?:${usable.map(escapeRegExp).join('|')})\\d+[\\])]\\s*`, 'giu');
}

/**
 * The subject for a new case: reply/forward prefixes and bracketed case numbers removed, repeatedly
 * ("RE: AW: [CS-1001] Re: Hello" -> "Hello"), whitespace collapsed. A subject that is nothing but noise
 * becomes the empty string; the caller chooses a placeholder.
 */
export function cleanSubject(subject: string, caseNumberPrefixes: readonly string[] = DEFAULT_CASE_NUMBER_PREFIXES): string {
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
  return s;
}
