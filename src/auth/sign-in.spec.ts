import { describe, expect, it } from 'vitest';
import { isLocked } from './sign-in.js';

const policy = { maxFailures: 3, lockMinutes: 15 };
const now = new Date('2026-12-03T12:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

describe('sign-in lock-out', () => {
  it('locks after maxFailures failures within lockMinutes, for lockMinutes after the last', () => {
    expect(isLocked([ago(1), ago(2)], policy, now)).toBe(false);
    expect(isLocked([ago(1), ago(2), ago(3)], policy, now)).toBe(true);
    expect(isLocked([ago(14), ago(15), ago(16)], policy, now)).toBe(true);
    expect(isLocked([ago(15), ago(16), ago(17)], policy, now)).toBe(false);
  });

  it('failures spread wider than lockMinutes do not lock', () => {
    expect(isLocked([ago(1), ago(10), ago(20)], policy, now)).toBe(false);
  });

  it('maxFailures 0 never locks', () => {
    expect(isLocked([ago(1), ago(1), ago(1)], { ...policy, maxFailures: 0 }, now)).toBe(false);
  });
});
