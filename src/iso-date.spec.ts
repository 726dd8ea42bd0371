import { describe, expect, it } from 'vitest';
import { parseIsoDate, parseIsoDateOrDateTime, parseIsoDateTime } from './iso-date.js';

describe('parseIsoDateTime', () => {
  it('reads ISO 8601 date-times with a time zone', () => {
    expect(parseIsoDateTime('2026-05-01T09:00:00Z')?.toISOString()).toBe('2026-05-01T09:00:00.000Z');
    expect(parseIsoDateTime('2026-05-01T11:00+02:00')?.toISOString()).toBe('2026-05-01T09:00:00.000Z');
    expect(parseIsoDateTime('2024-02-29T00:00:00.123456Z')?.toISOString()).toBe('2024-02-29T00:00:00.123Z');
  });

  it.each([
    '2025-02-29T00:00:00Z', // no 29 February in 2025 (Date.parse would give 1 March)
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T10:00:00+24:00',
    '2026-01-01T10:00:00', // no time zone
    '2026-01-01',
    '+275760-09-13T00:00:00Z',
    '0000-01-01T00:00:00Z', // before 0001-01-01
    '0001-01-01T00:00:00+14:00', // the instant is in year 0
    '9999-12-31T23:59:59-14:00', // the instant is in year 10000
  ])('refuses %s', (value) => {
    expect(parseIsoDateTime(value)).toBeUndefined();
  });
});

describe('parseIsoDate', () => {
  it('reads a calendar day as midnight UTC and refuses days that do not exist', () => {
    expect(parseIsoDate('2026-01-31')?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseIsoDate('2025-02-29')).toBeUndefined();
    expect(parseIsoDate('2026-13-45')).toBeUndefined();
    expect(parseIsoDate('0000-01-01')).toBeUndefined();
  });
});

describe('parseIsoDateOrDateTime', () => {
  it('reads a date alone as midnight UTC and says so', () => {
    expect(parseIsoDateOrDateTime('2026-01-31')).toEqual({ date: new Date('2026-01-31T00:00:00Z'), dateOnly: true });
  });

  it('reads a date-time with a zone as given, and one without a zone as UTC', () => {
    expect(parseIsoDateOrDateTime('2026-01-31T11:00+02:00')).toEqual({
      date: new Date('2026-01-31T09:00:00Z'),
      dateOnly: false,
    });
    expect(parseIsoDateOrDateTime('2026-01-31T09:00')?.date.toISOString()).toBe('2026-01-31T09:00:00.000Z');
    expect(parseIsoDateOrDateTime('2026-01-31T09:00:05.5')?.date.toISOString()).toBe('2026-01-31T09:00:05.500Z');
  });

  it.each(['1', 'May 1', '2025-02-29', '2025-02-29T10:00', '2026-01-31T25:00', '10000-01-01', ''])(
    'refuses %s',
    (value) => {
      expect(parseIsoDateOrDateTime(value)).toBeUndefined();
    },
  );
});
