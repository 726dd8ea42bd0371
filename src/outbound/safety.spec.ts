import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { cleanDisplayName, cleanHeaderText, normaliseAddress, validateRecipients } from './safety.js';

describe('header safety', () => {
  it('control characters and line breaks become spaces', () => {
    expect(cleanHeaderText('a\r\nBcc: x@y\u0000\u2028z')).toBe('a Bcc: x@y z');
  });

  it('long text is cut', () => {
    expect(cleanHeaderText('x'.repeat(1000)).length).toBeLessThanOrEqual(250);
  });

  it('a display name loses the characters that would start an address', () => {
    expect(cleanDisplayName('Eve <eve@evil.example>\r\nBcc: x@y, "z"')).toBe('Eve eve evil.example Bcc x y z');
  });

  it('only plain addresses are accepted', () => {
    expect(normaliseAddress(' Anna@Example.COM ')).toBe('anna@example.com');
    for (const bad of [
      'a@b',
      'a b@c.com',
      'a@c.com\r\nBcc: e@vil.com',
      'a@c.com, e@vil.com',
      '"a"@c.com',
      '<a@c.com>',
      '',
      'a@-c.com',
    ]) {
      expect(normaliseAddress(bad), bad).toBeNull();
    }
  });

  it('a recipient list with a bad entry is a 400 naming it', () => {
    expect(validateRecipients('To', ['a@x.com', 'A@X.com', 'b@y.org'])).toEqual(['a@x.com', 'b@y.org']);
    expect(() => validateRecipients('Cc', ['ok@x.com', 'x@y.com\nBcc: e@vil.com'])).toThrow(ValidationError);
    expect(() => validateRecipients('Cc', ['nope'])).toThrow(/Cc has an invalid address: "nope"/);
  });
});
