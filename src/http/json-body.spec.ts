import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from './json-body.js';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects, up to the limit and past it', () => {
    expect(jsonDepthExceeds(nested(3), 3)).toBe(false);
    expect(jsonDepthExceeds(nested(4), 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });

  it('measures depth, not the number of brackets: siblings do not add up', () => {
    expect(jsonDepthExceeds(`[${Array.from({ length: 1000 }, () => '[1]').join(',')}]`, 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[{{{{' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ a: 'say \\"[[[[\\" and "[[["', b: '\\' }), 1)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\\\"}${nested(3)}`, 2)).toBe(true);
  });

  it('stops at the first bracket past the limit, whatever follows', () => {
    expect(jsonDepthExceeds('['.repeat(1_000_000), 64)).toBe(true);
  });

  it('answers for text that is not JSON (the parser then names the fault)', () => {
    expect(jsonDepthExceeds('{"a": "unterminated', 1)).toBe(false);
    expect(jsonDepthExceeds(']]]]', 1)).toBe(false);
    expect(jsonDepthExceeds(`]]]]${nested(3)}`, 2)).toBe(true);
  });
});
