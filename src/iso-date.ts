/**
 * Dates the API accepts: ISO 8601 in four-digit years. The bounds are the instants whose ISO form has a
 * four-digit year, so a date that goes in comes back out in the same `date-time` form (toISOString writes
 * year 10000 as +010000 and year -1 as -000001, which no client and no OpenAPI `date-time` reads).
 */
export const MIN_DATE = new Date('0001-01-01T00:00:00.000Z');
export const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');
/** The bounds as a client reads them in an error message. */
export const DATE_RANGE_TEXT = 'from 0001-01-01 to 9999-12-31 (UTC)';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (year: number, month: number) => (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!);

function isCalendarDay(year: string, month: string, day: string): boolean {
  const m = Number(month);
  const d = Number(day);
  // Date.parse rolls 2025-02-29 over to 1 March instead of refusing it.
  return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(Number(year), m);
}

/** `d` when it is a valid instant from MIN_DATE to MAX_DATE, else undefined. */
function inRange(d: Date): Date | undefined {
  const t = d.getTime();
  return !Number.isNaN(t) && t >= MIN_DATE.getTime() && t <= MAX_DATE.getTime() ? d : undefined;
}

/**
 * An ISO 8601 date-time with a time zone (`2026-05-01T09:00:00Z`, `2026-05-01T11:00+02:00`), or undefined when
 * it is malformed, names a day or time that does not exist, or falls outside MIN_DATE..MAX_DATE.
 */
export function parseIsoDateTime(value: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second = '0', offsetHour = '0', offsetMinute = '0'] = m;
  if (!isCalendarDay(year!, month!, day!)) return undefined;
  if (
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59 ||
    Number(offsetHour) > 23 ||
    Number(offsetMinute) > 59
  )
    return undefined;
  return inRange(new Date(value));
}

/** A calendar date alone (`2026-05-01`) as midnight UTC, or undefined (see parseIsoDateTime). */
export function parseIsoDate(value: string): Date | undefined {
  const m = DATE.exec(value);
  if (!m || !isCalendarDay(m[1]!, m[2]!, m[3]!)) return undefined;
  return inRange(new Date(`${value}T00:00:00Z`));
}

/** A date-time without a time zone (`2026-01-31T09:00`): read as UTC by parseIsoDateOrDateTime. */
const ZONELESS_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;

/**
 * A filter bound as people type one: a calendar date alone (midnight UTC, `dateOnly` true, so a caller can make an
 * upper bound take in the whole day), or a date-time with a time zone or without one (then UTC, never the server's
 * local time). Undefined for anything else, under the same rules as parseIsoDateTime and parseIsoDate.
 */
export function parseIsoDateOrDateTime(value: string): { date: Date; dateOnly: boolean } | undefined {
  if (DATE.test(value)) {
    const date = parseIsoDate(value);
    return date && { date, dateOnly: true };
  }
  const date = parseIsoDateTime(ZONELESS_DATE_TIME.test(value) ? `${value}Z` : value);
  return date && { date, dateOnly: false };
}
