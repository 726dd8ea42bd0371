import { describe, expect, it } from 'vitest';
import { describeWaits, mayWaitAgain } from './order-wait.js';
import { lookupMessageIds, referencedMessageIds } from './threading.js';

describe('order wait bound', () => {
  it('a message that never waited may wait', () => {
    expect(mayWaitAgain(undefined, { maxWaits: 0 })).toBe(true);
  });

  it('stops after the most waits or the longest time, whichever comes first', () => {
    const now = 100_000;
    expect(mayWaitAgain({ waits: 2, since: now - 1_000 }, { maxWaits: 3, maxWaitMs: 5_000 }, now)).toBe(true);
    expect(mayWaitAgain({ waits: 3, since: now - 1_000 }, { maxWaits: 3, maxWaitMs: 5_000 }, now)).toBe(false);
    expect(mayWaitAgain({ waits: 1, since: now - 5_000 }, { maxWaits: 3, maxWaitMs: 5_000 }, now)).toBe(false);
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
