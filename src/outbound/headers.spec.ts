import { describe, expect, it } from 'vitest';
import { replySubject, replyToAddress, subjectWithCaseNumber, threadHeaders } from './headers.js';

describe('thread headers', () => {
  it('answer the newest message and list the thread oldest first', () => {
    expect(threadHeaders(['<a@x>', 'b@x', null, 'c@x'])).toEqual({
      inReplyTo: 'c@x',
      references: ['a@x', 'b@x', 'c@x'],
    });
  });

  it('a long thread keeps its first id and the newest ones', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `m${i}@x`);
    const h = threadHeaders(ids, 5);
    expect(h.references).toEqual(['m0@x', 'm46@x', 'm47@x', 'm48@x', 'm49@x']);
    expect(h.inReplyTo).toBe('m49@x');
  });

  it('malformed ids and duplicates are dropped', () => {
    expect(threadHeaders(['a@x', 'not an id', 'b@x\r\nBcc: e@vil', 'a@x']).references).toEqual(['a@x']);
  });

  it('an empty thread gives no In-Reply-To', () => {
    expect(threadHeaders([])).toEqual({ inReplyTo: null, references: [] });
  });
});

describe('subjects', () => {
  it('the case number is added once', () => {
    expect(subjectWithCaseNumber('Where is my order?', 'CS-1001')).toBe('[CS-1001] Where is my order?');
    expect(subjectWithCaseNumber('Re: [cs-1001] Where is my order?', 'CS-1001')).toBe(
      'Re: [cs-1001] Where is my order?',
    );
    expect(subjectWithCaseNumber('', 'CS-1001')).toBe('[CS-1001]');
  });

  it('a reply subject has one Re: and one tag', () => {
    expect(replySubject('RE: AW: Broken lamp', 'CS-7')).toBe('Re: [CS-7] Broken lamp');
  });

  it('CR/LF in a subject cannot start a new header', () => {
    expect(subjectWithCaseNumber('Hi\r\nBcc: eve@evil.example', 'CS-1')).toBe('[CS-1] Hi Bcc: eve@evil.example');
  });
});

describe('Reply-To', () => {
  it('carries the reply token as a plus-address', () => {
    expect(replyToAddress('Support@Example.com', 'abc234')).toBe('support+abc234@example.com');
  });
  it('is absent when no reply address is configured', () => {
    expect(replyToAddress('', 'abc234')).toBeNull();
  });
});
