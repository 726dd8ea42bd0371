import { describe, expect, it } from 'vitest';
import { describeWaits, orderWaitDelay } from './order-wait.js';
import { lookupMessageIds, referencedMessageIds } from './threading.js';

describe('order wait delay', () => {
  it('doubles per wait from the first delay, up to the longest', () => {
    const exact = () => 1;
    expect([0, 1, 2, 3, 10].map((w) => orderWaitDelay(w, { delayMs: 100, maxDelayMs: 500 }, exact))).toEqual([
      100, 200, 400, 500, 500,
    ]);
  });

  it('is jittered so waiting replies do not all ask at once', () => {
    expect(orderWaitDelay(0, { delayMs: 1_000 }, () => 0)).toBe(800);
  });

  it('describes the waits for the recorded reason', () => {
    expect(describeWaits({ waits: 4, since: 1_000 }, 3_500)).toBe('waited 4× (2.5 s)');
  });
});

describe('the Message-IDs a message depends on', () => {
  const parsed = { messageId: 'self@x', inReplyTo: 'b@x', references: ['a@x', 'b@x', 'self@x'], bounce: null };

  it('refers to In-Reply-To, then References newest first, never to itself', () => {
    expect(referencedMessageIds(parsed)).toEqual(['b@x', 'a@x']);
  });

  it('looks up its own Message-ID and every reference, each once', () => {
    expect(lookupMessageIds(parsed)).toEqual(['self@x', 'b@x', 'a@x']);
  });
});
