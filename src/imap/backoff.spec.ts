import { describe, expect, it } from 'vitest';
import { backoffDelay, suggestedBackoffMs } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles per attempt and stays within 50-100% of the exponential value', () => {
    expect(backoffDelay(0, { baseMs: 1000 }, () => 0)).toBe(500);
    expect(backoffDelay(0, { baseMs: 1000 }, () => 1)).toBe(1000);
    expect(backoffDelay(3, { baseMs: 1000 }, () => 1)).toBe(8000);
    expect(backoffDelay(3, { baseMs: 1000 }, () => 0)).toBe(4000);
  });

  it('never exceeds the cap, even after many attempts', () => {
    expect(backoffDelay(50, { baseMs: 1000, capMs: 60_000 }, () => 1)).toBe(60_000);
    expect(backoffDelay(1000, { baseMs: 1000, capMs: 60_000 }, () => 0.5)).toBeLessThanOrEqual(60_000);
  });
});

describe('suggestedBackoffMs', () => {
  it('reads the Office 365 "Suggested Backoff Time" from the server response', () => {
    const err = Object.assign(new Error('Command failed'), {
      responseText: 'Request is throttled. Suggested Backoff Time: 299999 milliseconds',
    });
    expect(suggestedBackoffMs(err)).toBe(299_999);
  });

  it('converts seconds and ignores errors without a suggestion', () => {
    expect(suggestedBackoffMs(new Error('throttled, Suggested Backoff Time: 30 seconds'))).toBe(30_000);
    expect(suggestedBackoffMs(new Error('connection reset'))).toBeUndefined();
    expect(suggestedBackoffMs(undefined)).toBeUndefined();
  });
});
