/** Case numbers look like `<PREFIX><digits>`; the prefix is the case setting `NumberPrefix`. */
export const DEFAULT_CASE_NUMBER_PREFIXES: readonly string[] = Object.freeze(['CS-']);

/** Longest subject text we scan: subjects are short; a megabyte "subject" is hostile, not mail. */
export const MAX_SUBJECT_SCAN_LENGTH = 2_000;

/**
 * Most case numbers taken from one subject. Threading looks each one up (one query apiece) until one belongs to the
 * sender; a real subject names one or two, and 2,000 characters could name about 200.
 */
export const MAX_CASE_REFS = 10;

export function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A global, case-insensitive regex matching a case number with any of the prefixes.
 * The look-arounds stop `ABCS-1001` or `CS-10012x` from counting as `CS-1001`-like matches.
 */
export function caseNumberRegExp(prefixes: readonly string[] = DEFAULT_CASE_NUMBER_PREFIXES): RegExp | null {
  const usable = prefixes.map((p) => p.trim()).filter((p) => p.length > 0);
  if (usable.length === 0) return null;
  const alternatives = usable.map(escapeRegExp).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})\\d+(?!\\p{N})`, 'giu');
}

/**
 * Case numbers in a subject (`[CS-1001]`, `CS-1001`, `#CS-1001`), upper-cased, de-duplicated, in order, the first
 * {@link MAX_CASE_REFS}.
 * A case number alone never threads mail: the pipeline also checks the sender (a stranger could quote one).
 */
export function findCaseRefs(subject: string, prefixes: readonly string[] = DEFAULT_CASE_NUMBER_PREFIXES): string[] {
  const re = caseNumberRegExp(prefixes);
  if (!re) return [];
  const seen = new Set<string>();
  for (const m of subject.slice(0, MAX_SUBJECT_SCAN_LENGTH).matchAll(re)) {
    seen.add(m[0].toUpperCase());
    if (seen.size === MAX_CASE_REFS) break;
  }
  return [...seen];
}

/** The subject with every case number blanked out, so other patterns (order refs) never see one. */
export function maskCaseRefs(subject: string, prefixes: readonly string[] = DEFAULT_CASE_NUMBER_PREFIXES): string {
  const re = caseNumberRegExp(prefixes);
  return re ? subject.replace(re, (m) => ' '.repeat(m.length)) : subject;
}
