import { describe, expect, it } from 'vitest';
import { suggestedBackoffMs } from './suggested-backoff.js';

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
