import { describe, expect, it } from 'vitest';
import { DEFAULT_CASE_SETTINGS } from '../settings/case-settings.js';
import { checkFilters } from './search-filters.js';
import {
  MAX_RESULT_WINDOW,
  MAX_SEARCH_WORDS,
  interpretSearchText,
  pageWindow,
  sortKeys,
  SORT_ORDERS,
} from './search-request.js';

describe('interpretSearchText', () => {
  it('no text means no text filter', () => {
    expect(interpretSearchText(undefined)).toBeUndefined();
    expect(interpretSearchText('   ')).toBeUndefined();
  });

  it('a case number alone is an exact, case-insensitive lookup', () => {
    expect(interpretSearchText(' cs-1042 ')).toEqual({ kind: 'caseNumber', value: 'CS-1042' });
  });

  it('an email address alone is an exact, case-insensitive lookup', () => {
    expect(interpretSearchText('Ann.Smith@Example.COM')).toEqual({ kind: 'email', value: 'ann.smith@example.com' });
  });

  it('words become prefix terms joined by AND', () => {
    expect(interpretSearchText('Refund parc')).toEqual({ kind: 'words', tsquery: 'refund:* & parc:*' });
  });

  it('reads digits alone as a case number and as a word, up to 15 digits', () => {
    expect(interpretSearchText(' 1042 ')).toEqual({ kind: 'number', number: '1042', tsquery: '1042:*' });
    expect(interpretSearchText('007')).toEqual({ kind: 'number', number: '7', tsquery: '007:*' });
    expect(interpretSearchText('7')).toEqual({ kind: 'number', number: '7', tsquery: '7' });
    expect(interpretSearchText('1234567890123456')).toEqual({ kind: 'words', tsquery: '1234567890123456:*' });
    expect(interpretSearchText('1042 refund')).toEqual({ kind: 'words', tsquery: '1042:* & refund:*' });
  });

  it('one-letter words match whole, repeated words once', () => {
    expect(interpretSearchText('x box box')).toEqual({ kind: 'words', tsquery: 'x & box:*' });
  });

  it('tsquery operators and quotes in the text never reach the query', () => {
    const m = interpretSearchText(`it's a "test" & (foo | !bar) :* \\ <-> baz:*`);
    expect(m).toEqual({ kind: 'words', tsquery: 'it:* & s & a & test:* & foo:* & bar:* & baz:*' });
  });

  it('text of punctuation only matches nothing', () => {
    expect(interpretSearchText(`&|!:*()'"\\`)).toEqual({ kind: 'nothing' });
  });

  it('long text is cut to the first words, each cut to a prefix', () => {
    const m = interpretSearchText(`${'a'.repeat(500)} ${Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ')}`);
    expect(m?.kind).toBe('words');
    const terms = (m as { tsquery: string }).tsquery.split(' & ');
    expect(terms).toHaveLength(MAX_SEARCH_WORDS);
    expect(terms[0]).toBe(`${'a'.repeat(64)}:*`);
  });

  it('letters of any script are words', () => {
    expect(interpretSearchText('Größe für København')).toEqual({
      kind: 'words',
      tsquery: 'größe:* & für:* & københavn:*',
    });
  });
});

describe('sortKeys', () => {
  it('maps every sort order to its key and an id tiebreak in the same direction', () => {
    // The API's field names against the cases table's columns (status and priority sort by their level).
    const expected = Object.fromEntries(
      'Created created|Changed changed|Status status_level|Priority priority_severity|Subject subject|CustomerName customer_name|AssignedToName assigned_to_name|FollowUpDate follow_up_date'
        .split('|')
        .map((pair) => pair.split(' ')),
    ) as Record<string, string>;
    for (const order of SORT_ORDERS) {
      const [field, dir] = order.endsWith('Ascending') ? [order.slice(0, -9), 'asc'] : [order.slice(0, -10), 'desc'];
      const keys = sortKeys(order);
      expect(keys.map((k) => [k.key, k.direction])).toEqual([
        [expected[field], dir],
        ['id', dir],
      ]);
    }
  });

  it('values that can be empty sort last in both directions', () => {
    expect(sortKeys('FollowUpDateDescending')[0]!.nullsLast).toBe(true);
    expect(sortKeys('CreatedDescending')[0]!.nullsLast).toBe(false);
  });

  it('an unknown sort order is a validation error listing the allowed ones', () => {
    expect(() => sortKeys('Sideways' as never)).toThrow(/allowed: CreatedAscending/);
  });
});

describe('pageWindow', () => {
  it('defaults to the first page of 20', () => {
    expect(pageWindow(undefined, null)).toEqual({ page: 0, take: 20 });
  });

  it('refuses a negative page and a Take over 100', () => {
    expect(() => pageWindow(-1, 10)).toThrow(/Page/);
    expect(() => pageWindow(0, 101)).toThrow(/Take must be from 1 to 100/);
    expect(pageWindow(0, 100)).toEqual({ page: 0, take: 100 });
  });

  it('refuses pages past the reachable result window', () => {
    expect(pageWindow(MAX_RESULT_WINDOW / 100 - 1, 100).page).toBe(99);
    expect(() => pageWindow(MAX_RESULT_WINDOW / 100, 100)).toThrow(/reachable/);
  });
});

describe('checkFilters dates', () => {
  const settings = DEFAULT_CASE_SETTINGS;
  it('reads a date alone as a whole UTC day, a date-time without a zone as UTC, and one with a zone as given', () => {
    const day = checkFilters({ DateFrom: '2026-01-31', DateTo: '2026-01-31' }, settings);
    expect([day.dateFrom?.toISOString(), day.dateTo?.toISOString(), day.dateToExclusive]).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      true,
    ]);
    const zoneless = checkFilters({ DateFrom: '2026-01-31T09:00', DateTo: '2026-01-31T09:00:00.5' }, settings);
    expect([zoneless.dateFrom?.toISOString(), zoneless.dateTo?.toISOString(), zoneless.dateToExclusive]).toEqual([
      '2026-01-31T09:00:00.000Z',
      '2026-01-31T09:00:00.500Z',
      false,
    ]);
    expect(checkFilters({ DateTo: '2026-01-31T11:00:00+02:00' }, settings).dateTo?.toISOString()).toBe(
      '2026-01-31T09:00:00.000Z',
    );
  });

  it.each(['2026-01-31Z', '2026-01-31T09:00:00+02', '2026-01-31T09:00:00+02:00Z', '2026-02-30', '1', 'May 1'])(
    'refuses %s with a 400 that names the field and the forms it takes',
    (value) => {
      expect(() => checkFilters({ DateFrom: value }, settings)).toThrow(
        `DateFrom is not a valid date: "${value}"; send ISO 8601 (2026-01-31 or 2026-01-31T09:00:00Z), from 0001-01-01`,
      );
    },
  );
});

describe('checkFilters for the staff inbox', () => {
  const settings = DEFAULT_CASE_SETTINGS;
  const [first, second] = settings.Statuses.map((s) => s.Name);
  it('keeps several statuses, one status alone as Status, and Status with Statuses as their intersection', () => {
    expect(checkFilters({ Statuses: [first!, second!, first!] }, settings).statuses).toEqual([first, second]);
    expect(checkFilters({ Statuses: [first!] }, settings)).toEqual({ includeDeleted: false, status: first });
    expect(checkFilters({ Status: second!, Statuses: [first!, second!] }, settings).status).toBe(second);
    expect(checkFilters({ Status: second!, Statuses: [first!] }, settings).statuses).toEqual([]);
    expect(() => checkFilters({ Statuses: [first!, 'Nope'] }, settings)).toThrow(/Nope/);
  });

  it('reads ChangedFrom and ChangedTo like the created dates, and Unassigned without an assignee', () => {
    const f = checkFilters({ ChangedFrom: '2026-01-31', ChangedTo: '2026-01-31', Unassigned: true }, settings);
    expect([f.changedFrom?.toISOString(), f.changedTo?.toISOString(), f.changedToExclusive, f.unassigned]).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      true,
      true,
    ]);
    expect(() => checkFilters({ ChangedTo: 'May 1' }, settings)).toThrow(/ChangedTo is not a valid date/);
    expect(() => checkFilters({ Unassigned: true, AssignedToUserId: 'u1' }, settings)).toThrow(/exclude each other/);
  });
});
