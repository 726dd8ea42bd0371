import { DEFAULT_CASE_NUMBER_PREFIXES, MAX_SUBJECT_SCAN_LENGTH, maskCaseRefs } from './case-refs.js';

/** Same default as config's DEFAULT_ORDER_REF_PATTERN: digits (3 or more) after '#'. */
export const DEFAULT_ORDER_REF_PATTERN = '#(\\d{3,})';

const compiled = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    // 'g' for matchAll; 'u' would reject some patterns operators already use, so it is not forced.
    re = new RegExp(pattern, 'g');
    if (compiled.size > 50) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * Order references in a subject, de-duplicated, in order of appearance.
 *
 * @param pattern regex source; capture group 1 is the id (the whole match when the pattern has no group).
 * @param caseNumberPrefixes case numbers with these prefixes are blanked first, so `#CS-1001` or a broad
 *   pattern like `(\d{4,})` can never turn a case number into an order.
 */
export function findOrderRefs(
  subject: string,
  pattern: string = DEFAULT_ORDER_REF_PATTERN,
  caseNumberPrefixes: readonly string[] = DEFAULT_CASE_NUMBER_PREFIXES,
): string[] {
  const text = maskCaseRefs(subject.slice(0, MAX_SUBJECT_SCAN_LENGTH), caseNumberPrefixes);
  const seen = new Set<string>();
  for (const m of text.matchAll(compile(pattern))) {
    const id = (m[1] ?? m[0]).trim();
    if (id) seen.add(id);
  }
  return [...seen];
}
