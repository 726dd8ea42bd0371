import { describe, expect, it } from 'vitest';
import { chunks, toSequenceSet } from './uid-set.js';

describe('toSequenceSet', () => {
  it('collapses consecutive UIDs into ranges, in ascending order', () => {
    expect(toSequenceSet([9, 1, 2, 3, 7, 10])).toBe('1:3,7,9:10');
  });
  it('handles single and duplicate UIDs', () => {
    expect(toSequenceSet([5])).toBe('5');
    expect(toSequenceSet([5, 5, 6])).toBe('5:6');
  });
});

describe('chunks', () => {
  it('splits into bounded batches keeping order', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });
});
