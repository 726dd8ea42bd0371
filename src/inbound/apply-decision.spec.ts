import { describe, expect, it } from 'vitest';
import { MAX_LIST_ITEMS } from '../cases/case.types.js';
import { capFromMail } from './apply-decision.js';

describe('capFromMail', () => {
  it('keeps a list at the limit whole, with no note', () => {
    const list = Array.from({ length: MAX_LIST_ITEMS }, (_, i) => i);
    expect(capFromMail(list, 'Cc participants')).toEqual({ kept: list, note: '' });
  });

  it('keeps the first entries of a longer list and says how many were left out', () => {
    const list = Array.from({ length: 20_000 }, (_, i) => `p${i}@cc.example`);
    const { kept, note } = capFromMail(list, 'Cc participants');
    expect(kept).toEqual(list.slice(0, MAX_LIST_ITEMS));
    expect(note).toBe(`; 19000 Cc participants left out (a case holds at most ${MAX_LIST_ITEMS})`);
  });

  it('takes a higher limit (a case that already holds more keeps them all)', () => {
    expect(capFromMail([1, 2, 3], 'order references', 2)).toEqual({
      kept: [1, 2],
      note: '; 1 order references left out (a case holds at most 2)',
    });
  });
});
