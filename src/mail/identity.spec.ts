import { describe, expect, it } from 'vitest';
import { messageDedupeKey, normaliseMessageId, rawHeader, splitRaw, usableMessageId } from './identity.js';

const mail = (extra: string, body = 'Hello') =>
  Buffer.from(
    `${extra}From: Ann <ann@example.com>\r\nSubject: Hi\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <a1@example.com>\r\n\r\n${body}`,
  );

describe('message identity', () => {
  it('the same message delivered by two paths has one key', () => {
    expect(messageDedupeKey(mail('Received: from a\r\n'))).toBe(
      messageDedupeKey(mail('Received: from b\r\nDelivered-To: x@y\r\n')),
    );
  });
  it('a reused Message-ID with another body is another message', () => {
    expect(messageDedupeKey(mail('', 'Hello'))).not.toBe(messageDedupeKey(mail('', 'Other')));
  });
  it('reads folded headers and bare-LF messages', () => {
    const { header, body } = splitRaw(Buffer.from('Subject: a\n b\nX: 1\n\nbody'));
    expect(rawHeader(header, 'subject')).toBe('a b');
    expect(body.toString()).toBe('body');
  });
  it('normalises Message-IDs', () => {
    expect(normaliseMessageId(' <abc@x> ')).toBe('abc@x');
    expect(normaliseMessageId('<a@x> <b@y>')).toBe('a@x');
    expect(normaliseMessageId('')).toBeNull();
  });
  it('keeps only Message-IDs that can be stored and compared', () => {
    expect(usableMessageId('abc@x')).toBe('abc@x');
    expect(usableMessageId(`${'a'.repeat(498)}@x`)).toBe(`${'a'.repeat(498)}@x`);
    expect(usableMessageId(`${'a'.repeat(499)}@x`)).toBeNull();
    expect(usableMessageId('a\u0000b@x')).toBeNull();
    expect(usableMessageId('\ud800@x')).toBeNull();
    expect(usableMessageId(null)).toBeNull();
  });
});
