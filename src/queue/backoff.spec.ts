import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_IMAP_RECONNECT_BACKOFF,
  DEFAULT_INBOUND_RETRY_BACKOFF,
  DEFAULT_OUTBOUND_RETRY_BACKOFF,
  retryWithBackoff,
} from './backoff.js';
import { jobBackoffStrategy } from './queues.js';

const jittered = { baseMs: 1000, capMs: 5 * 60_000, jitter: 0.5 };
const exact = { baseMs: 5_000, capMs: 60_000, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles per retry and, with jitter 0.5, stays within 50-100% of the exponential value', () => {
    expect(backoffDelay(0, jittered, () => 0)).toBe(500);
    expect(backoffDelay(0, jittered, () => 1)).toBe(1000);
    expect(backoffDelay(3, jittered, () => 1)).toBe(8000);
    expect(backoffDelay(3, jittered, () => 0)).toBe(4000);
  });

  it('without jitter waits exactly base, 2×base, 4×base …', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, exact, () => 0.3))).toEqual([5_000, 10_000, 20_000, 40_000]);
  });

  it('never exceeds the cap, even after many retries', () => {
    expect(backoffDelay(4, exact)).toBe(60_000);
    expect(backoffDelay(1_000, exact)).toBe(60_000);
    expect(backoffDelay(50, { ...jittered, capMs: 60_000 }, () => 1)).toBe(60_000);
    expect(backoffDelay(1000, { ...jittered, capMs: 60_000 }, () => 0.5)).toBeLessThanOrEqual(60_000);
  });

  it('keeps the documented defaults: IMAP reconnects 1 s to 5 min, inbound jobs from 2 s, outbound mail 5 s to 15 min', () => {
    expect(backoffDelay(0, DEFAULT_IMAP_RECONNECT_BACKOFF, () => 1)).toBe(1_000);
    expect(backoffDelay(40, DEFAULT_IMAP_RECONNECT_BACKOFF, () => 1)).toBe(300_000);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, DEFAULT_INBOUND_RETRY_BACKOFF))).toEqual([
      2_000, 4_000, 8_000, 16_000,
    ]);
    expect(backoffDelay(0, DEFAULT_OUTBOUND_RETRY_BACKOFF)).toBe(5_000);
    expect(backoffDelay(39, DEFAULT_OUTBOUND_RETRY_BACKOFF)).toBe(900_000);
  });
});

describe('jobBackoffStrategy', () => {
  it('gives BullMQ the first delay after the first failed attempt (attemptsMade 1)', async () => {
    const strategy = jobBackoffStrategy(exact);
    expect(await strategy(1)).toBe(5_000);
    expect(await strategy(2)).toBe(10_000);
    expect(await strategy(10)).toBe(60_000);
  });
});

describe('retryWithBackoff', () => {
  const now = { baseMs: 0, capMs: 0, jitter: 0 };

  it('returns the first success after failures', async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        if (++calls < 3) throw new Error(`fail ${calls}`);
        return 'done';
      },
      { tries: 5, policy: now },
    );
    expect({ result, calls }).toEqual({ result: 'done', calls: 3 });
  });

  it('gives up after `tries` calls with the last error', async () => {
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          throw new Error(`fail ${++calls}`);
        },
        { tries: 3, policy: now },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });
});
