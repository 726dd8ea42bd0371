import { describe, expect, it } from 'vitest';
import { normalizeDecimal, nullableDecimal, parseDecimal } from './decimal.js';

describe('parseDecimal', () => {
  it('keeps the digits the client wrote, in the shortest form, from numbers and strings', () => {
    expect(parseDecimal('q', 2)).toBe('2');
    expect(parseDecimal('q', 0.1)).toBe('0.1');
    expect(parseDecimal('q', ' 2.500 ')).toBe('2.5');
    expect(parseDecimal('q', '007')).toBe('7');
    expect(parseDecimal('q', '-0.0')).toBe('0');
    expect(parseDecimal('q', '123456789012345678.123456')).toBe('123456789012345678.123456');
  });

  it('with keepScale keeps the digits after the point as written (a price of 79.90)', () => {
    expect(parseDecimal('Q', '2.50', { keepScale: true })).toBe('2.50');
    expect(parseDecimal('Q', '0079.90', { keepScale: true })).toBe('79.90');
    expect(parseDecimal('Q', '-0.00', { keepScale: true })).toBe('0.00');
    expect(parseDecimal('Q', 4.1, { keepScale: true })).toBe('4.1');
  });

  it('refuses exponents, non-numbers and too many digits, with a message naming the field', () => {
    expect(() => parseDecimal('Quantity', 1e21)).toThrow(/Quantity must be a decimal number/);
    expect(() => parseDecimal('Quantity', '1e3')).toThrow(/Quantity must be a decimal number/);
    expect(() => parseDecimal('Quantity', 'abc')).toThrow(/got "abc"/);
    expect(() => parseDecimal('Quantity', Number.NaN)).toThrow(/Quantity/);
    expect(() => parseDecimal('Quantity', Number.POSITIVE_INFINITY)).toThrow(/Quantity/);
    expect(() => parseDecimal('Quantity', '1.1234567')).toThrow(/6 after it/);
    expect(() => parseDecimal('Quantity', '1234567890123456789')).toThrow(/18 digits before the point/);
  });

  it('refuses a JSON number with more significant digits than a float holds; the same value as a string is kept', () => {
    // 123456789012345678 arrives as the float 123456789012345680: storing that would change the value silently.
    expect(() => parseDecimal('cost', Number('123456789012345678'))).toThrow(/send it as a decimal string/);
    expect(() => parseDecimal('cost', 1234567890.123456)).toThrow(/cost has more than 15 significant digits/);
    expect(parseDecimal('cost', 123456789012345)).toBe('123456789012345');
    expect(parseDecimal('cost', 0.000123)).toBe('0.000123');
    expect(parseDecimal('cost', '123456789012345678')).toBe('123456789012345678');
  });

  it('refuses negative values unless allowNegative; negative zero is zero', () => {
    expect(() => parseDecimal('Quantity', -1)).toThrow(/Quantity must not be negative/);
    expect(() => parseDecimal('Quantity', '-0.5')).toThrow(/must not be negative/);
    expect(parseDecimal('Quantity', '-0')).toBe('0');
    expect(parseDecimal('cost', '-4.20', { allowNegative: true })).toBe('-4.2');
    expect(parseDecimal('UnitPrice', '-5.00', { allowNegative: true, keepScale: true })).toBe('-5.00');
  });
});

describe('normalizeDecimal', () => {
  it('drops trailing zeros and a bare point as PostgreSQL sums print them', () => {
    expect(normalizeDecimal('10.500')).toBe('10.5');
    expect(normalizeDecimal('3.000')).toBe('3');
    expect(normalizeDecimal('-4.20')).toBe('-4.2');
    expect(normalizeDecimal('100')).toBe('100');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(nullableDecimal(null)).toBeNull();
    expect(nullableDecimal('1.50')).toBe('1.5');
  });
});
