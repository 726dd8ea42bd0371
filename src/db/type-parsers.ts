import pg from 'pg';

/**
 * Faster text parsers for the two column types every case row is full of: timestamptz (eight per case) and
 * text[] (seven). pg's own parsers (postgres-date, postgres-array) run regular expressions and a character
 * loop per value; they were a sixth of the Node CPU a GET spends on the case's row. These read the shape
 * PostgreSQL prints in its default DateStyle (ISO) and array syntax, and hand anything else (BC dates,
 * infinity, quoted or NULL array elements, nested arrays) to pg's own parser, so the result is always the same.
 */
// text[] (1009) is not in pg-types' TypeId enum of scalar types; the parser registry takes any oid.
const TIMESTAMPTZ_OID = pg.types.builtins.TIMESTAMPTZ;
const TEXT_ARRAY_OID = 1009 as typeof TIMESTAMPTZ_OID;

const pgParseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (value: string) => Date | number | null;
const pgParseTextArray = pg.types.getTypeParser(TEXT_ARRAY_OID, 'text') as (value: string) => Array<string | null>;

const digit = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
};
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * `2026-12-01 09:38:59.123456+00` (fraction of 0 to 6 digits; offset `+HH`, `+HH:MM` or `+HH:MM:SS`, either
 * sign) as a Date, milliseconds truncated like pg's parser. Years of four digits from 1000 (Date.UTC reads years
 * 0 to 99 as 19xx; pg's parser corrects that, so it takes those).
 */
export function parseTimestamptz(s: string): Date | number | null {
  const n = s.length;
  if (
    n < 22 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 32 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return pgParseTimestamptz(s);
  }
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    // Milliseconds are the first three digits of the fraction; the rest are cut off.
    let scale = 100;
    i++;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      ms += digit(s, i) * scale;
      scale /= 10;
      i++;
    }
    ms = Math.trunc(ms);
  }
  const sign = s.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || year < 1000) return pgParseTimestamptz(s);
  let offset = two(s, i + 1) * 3600;
  i += 3;
  if (i < n && s.charCodeAt(i) === 58) {
    offset += two(s, i + 1) * 60;
    i += 3;
  }
  if (i < n && s.charCodeAt(i) === 58) {
    offset += two(s, i + 1);
    i += 3;
  }
  if (i !== n) return pgParseTimestamptz(s);
  const utc =
    Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17), ms) -
    (sign === 43 ? 1 : -1) * offset * 1000;
  return Number.isNaN(utc) ? pgParseTimestamptz(s) : new Date(utc);
}

/**
 * `{a,b,c}` as ['a', 'b', 'c']. PostgreSQL quotes every element that is empty, holds a comma, brace, quote,
 * backslash or white space, or spells NULL; an unquoted NULL is a null element. So text without a quote or a
 * backslash splits on commas, unless an element is NULL or the array has more dimensions: those go to pg's parser.
 */
export function parseTextArray(s: string): Array<string | null> {
  if (s === '{}') return [];
  const n = s.length;
  if (
    s.charCodeAt(0) !== 123 ||
    s.charCodeAt(n - 1) !== 125 ||
    s.charCodeAt(1) === 123 ||
    s.includes('"') ||
    s.includes('\\')
  ) {
    return pgParseTextArray(s);
  }
  const items = s.slice(1, -1).split(',');
  return items.includes('NULL') ? pgParseTextArray(s) : items;
}

/** Installs the parsers on one pg client (not globally: other pg users in the process keep pg's defaults). */
export function useFastTypeParsers(client: pg.Client): void {
  client.setTypeParser(TIMESTAMPTZ_OID, 'text', parseTimestamptz);
  client.setTypeParser(TEXT_ARRAY_OID, 'text', parseTextArray);
}
