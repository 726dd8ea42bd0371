import { describe, expect, it } from 'vitest';
import { findOrderRefs } from './order-refs.js';

describe('findOrderRefs', () => {
  it('finds #12345 references, de-duplicated, in order', () => {
    expect(findOrderRefs('Order #12345, #98765 and #12345 again')).toEqual(['12345', '98765']);
  });
  it('never takes a case number for an order', () => {
    expect(findOrderRefs('[CS-1001] order #12345')).toEqual(['12345']);
    expect(findOrderRefs('#CS-1001 is my case')).toEqual([]);
  });
  it('keeps case numbers out even with a broad configured pattern', () => {
    expect(findOrderRefs('[CS-1001] order 12345', '(\\d{4,})')).toEqual(['12345']);
  });
  it('ignores too short numbers with the default pattern', () => {
    expect(findOrderRefs('item #12 of 3')).toEqual([]);
  });
  it('accepts a configured pattern with group 1 as the id, or the whole match without a group', () => {
    expect(findOrderRefs('Bestellung AB-123456 und AB-7', 'AB-(\\d{6})')).toEqual(['123456']);
    expect(findOrderRefs('PO-55 and PO-56', 'PO-\\d+')).toEqual(['PO-55', 'PO-56']);
  });
  it('returns nothing for a subject without references', () => {
    expect(findOrderRefs('Hello')).toEqual([]);
  });
});
