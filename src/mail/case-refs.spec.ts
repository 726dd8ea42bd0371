import { describe, expect, it } from 'vitest';
import { findCaseRefs, MAX_CASE_REFS, maskCaseRefs } from './case-refs.js';

describe('findCaseRefs', () => {
  it('finds bracketed and bare case numbers, upper-cased and de-duplicated', () => {
    expect(findCaseRefs('Re: [cs-1001] about CS-1001 and CS-1002')).toEqual(['CS-1001', 'CS-1002']);
  });
  it('finds a case number written with a hash', () => {
    expect(findCaseRefs('#CS-1001 please')).toEqual(['CS-1001']);
  });
  it('ignores look-alikes glued to other letters or digits', () => {
    expect(findCaseRefs('ABCS-1001 XCS-2 CS-')).toEqual([]);
  });
  it('uses the configured prefixes, escaped as literal text', () => {
    expect(findCaseRefs('[T.K-5] and [TXK-6]', ['T.K-'])).toEqual(['T.K-5']);
    expect(findCaseRefs('CS-1 TK-2', ['CS-', 'TK-'])).toEqual(['CS-1', 'TK-2']);
    expect(findCaseRefs('CS-1', [])).toEqual([]);
  });
  it('takes the first 10 distinct case numbers of a subject that names 200', () => {
    const numbers = Array.from({ length: 200 }, (_, i) => `CS-${1001 + i}`);
    expect(findCaseRefs(`Re: CS-1001 ${numbers.join(' ')}`)).toEqual(numbers.slice(0, MAX_CASE_REFS));
    expect(MAX_CASE_REFS).toBe(10);
  });
  it('masks case numbers without moving the rest', () => {
    expect(maskCaseRefs('a CS-12 b')).toBe('a       b');
  });
});
