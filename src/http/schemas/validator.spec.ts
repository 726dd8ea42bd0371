import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { DateTime, Email, Nullable } from './common.js';
import { strictValidatorCompiler } from './validator.js';

const schema = Type.Object(
  {
    Subject: Nullable(Type.String({ maxLength: 5 })),
    Count: Type.Optional(Type.Integer()),
    Mail: Type.Optional(Email()),
    When: Type.Optional(DateTime()),
  },
  { additionalProperties: false },
);
const validate = (httpPart: string, value: unknown) =>
  (
    strictValidatorCompiler({ schema, httpPart, method: 'POST', url: '/x' }) as (v: unknown) => {
      value?: unknown;
      error?: { message: string; instancePath: string }[];
    }
  )(value);

describe('strictValidatorCompiler', () => {
  it('does not coerce JSON bodies: a number is not a string', () => {
    expect(validate('body', { Subject: 123 }).error?.[0]).toMatchObject({
      instancePath: '/Subject',
      message: 'expected string (or null)',
    });
  });

  it('converts query strings, where everything is text', () => {
    expect(validate('querystring', { Subject: 'ab', Count: '3' })).toEqual({ value: { Subject: 'ab', Count: 3 } });
  });

  it('takes a number in a query string only as plain digits: "1e3", "1.5", "true" and "0x10" are refused, not read as 1 or 16', () => {
    for (const Count of ['1e3', '1.5', 'true', '0x10', ' 12', '']) {
      expect(validate('querystring', { Subject: 'a', Count }).error, Count).toEqual([
        expect.objectContaining({ instancePath: '/Count', message: 'expected integer' }),
      ]);
    }
    expect(validate('querystring', { Subject: 'a', Count: '-7' })).toEqual({ value: { Subject: 'a', Count: -7 } });
  });

  it('names unknown fields and explains the real problem inside a nullable union', () => {
    expect(validate('body', { Subject: 'ab', Colour: 'red' }).error?.[0]).toMatchObject({
      instancePath: '/Colour',
      message: 'is not a known field',
    });
    expect(validate('body', { Subject: 'abcdefgh' }).error?.[0]?.message).toContain('length less or equal to 5');
    expect(validate('body', { Subject: null, Mail: 'nope' }).error?.[0]).toMatchObject({ instancePath: '/Mail' });
  });

  it('refuses NUL in body and query strings at its path, and makes a lone surrogate U+FFFD', () => {
    expect(validate('body', { Subject: 'a\u0000' }).error?.[0]).toMatchObject({
      instancePath: '/Subject',
      message: 'must not contain the NUL character (\\u0000)',
    });
    expect(validate('querystring', { Subject: '\u0000' }).error?.[0]).toMatchObject({ instancePath: '/Subject' });
    expect(validate('body', { Subject: 'a\ud83d' })).toEqual({ value: { Subject: 'a\ufffd' } });
    expect(validate('body', { Subject: '\ud83d\ude00' })).toEqual({ value: { Subject: '\ud83d\ude00' } });
  });

  it('leaves fields of any value alone (server-owned fields a PUT carries and ignores)', () => {
    const put = Type.Object(
      { Subject: Type.String(), Created: Type.Optional(Type.Unknown()) },
      { additionalProperties: false },
    );
    const check = strictValidatorCompiler({ schema: put, httpPart: 'body', method: 'PUT', url: '/x' }) as (
      v: unknown,
    ) => unknown;
    expect(check({ Subject: 'a', Created: ['\u0000'] })).toEqual({ value: { Subject: 'a', Created: ['\u0000'] } });
  });

  it('accepts valid input unchanged', () => {
    expect(validate('body', { Subject: null, Mail: 'a@b.co' })).toEqual({ value: { Subject: null, Mail: 'a@b.co' } });
  });

  it("checks formats with the rules the core applies: the one ISO 8601 parser, the mail side's address rule", () => {
    expect(validate('body', { Subject: null, When: '2026-05-01T11:00+02:00' })).toEqual({
      value: { Subject: null, When: '2026-05-01T11:00+02:00' },
    });
    for (const When of ['2025-02-29T00:00:00Z', '2026-05-01T09:00:00', '10000-01-01T00:00:00Z', 'May 1']) {
      expect(validate('body', { Subject: null, When }).error?.[0], When).toMatchObject({
        instancePath: '/When',
        message: expect.stringContaining('expected an ISO 8601 date-time with a time zone'),
      });
    }
    expect(validate('body', { Subject: null, Mail: 'Ann@Example.com' }).error).toBeUndefined();
    for (const Mail of ['ann', 'ann @example.com', 'ann@exa\u0001mple.com', '<a@b.co>']) {
      expect(validate('body', { Subject: null, Mail }).error?.[0], Mail).toMatchObject({ instancePath: '/Mail' });
    }
  });
});
