import { ValidationError } from './errors.js';

/**
 * Quantities, prices and money are PostgreSQL `numeric` (unconstrained: no precision or scale, so any value below is
 * stored exactly, never rounded). They travel as decimal text end to end, never as a JavaScript number after they are
 * read: the API takes a JSON number or a decimal string and always answers with a string, so 0.1 + 0.2 never becomes
 * 0.30000000000000004 anywhere (docs/order-cases.md, docs/projects.md).
 */
export const MAX_INTEGER_DIGITS = 18;
/** Digits after the point a value may have; more is a 400 rather than a silent rounding. */
export const MAX_FRACTION_DIGITS = 6;
/** Significant digits a JSON number keeps through a binary float; a longer value must be sent as a string. */
export const MAX_NUMBER_DIGITS = 15;

const DECIMAL_TEXT = new RegExp(`^-?\\d{1,${MAX_INTEGER_DIGITS}}(?:\\.\\d{1,${MAX_FRACTION_DIGITS}})?$`);

export interface ParseDecimalOptions {
  /** Accept values below zero (a cost, a discount line's price). Default: a negative value is a 400; -0 is 0. */
  allowNegative?: boolean;
  /** Keep the digits after the point as written ("79.90" stays "79.90"). Default: the shortest form ("79.9"). */
  keepScale?: boolean;
}

/**
 * A value as the exact decimal text to store in a numeric column, from a JSON number or a decimal string (`2`, `2.5`,
 * `"0.1"`), or a ValidationError naming `field`. A JSON number is read by its shortest round-trip text (0.1 stays
 * "0.1"); one with more than 15 significant digits may already have lost some in the client's float, so it is refused
 * and must be sent as a string. Exponents, NaN and Infinity are refused. Leading zeros and the sign of zero are
 * dropped ("007" -> "7", "-0" -> "0"); trailing zeros after the point too, unless `keepScale`.
 */
export function parseDecimal(field: string, value: number | string, options: ParseDecimalOptions = {}): string {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'NaN') : value.trim();
  if (!DECIMAL_TEXT.test(text)) {
    throw new ValidationError(
      `${field} must be a decimal number with at most ${MAX_INTEGER_DIGITS} digits before the point and ` +
        `${MAX_FRACTION_DIGITS} after it, no exponent, e.g. 2.5 or "2.5"; got ${JSON.stringify(value)}`,
      { field },
    );
  }
  if (typeof value === 'number' && text.replace(/^-|\./g, '').replace(/^0+/, '').length > MAX_NUMBER_DIGITS) {
    throw new ValidationError(
      `${field} has more than ${MAX_NUMBER_DIGITS} significant digits, more than a JSON number holds exactly: ` +
        `send it as a decimal string; got ${text}`,
      { field },
    );
  }
  const result = options.keepScale ? canonicalDecimal(text) : normalizeDecimal(text);
  if (!options.allowNegative && result.startsWith('-')) {
    throw new ValidationError(`${field} must not be negative; got ${JSON.stringify(value)}`, { field });
  }
  return result;
}

/** Decimal text as PostgreSQL prints numeric, in its shortest form ("2.500" -> "2.5", "3.000" -> "3", "-0" -> "0"). */
export function normalizeDecimal(text: string): string {
  return canonicalDecimal(text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''));
}

export const nullableDecimal = (value: string | null): string | null =>
  value === null ? null : normalizeDecimal(value);

/** Decimal text with leading zeros and the sign of zero dropped, the digits after the point kept ("-0.00" -> "0.00"). */
function canonicalDecimal(text: string): string {
  const negative = text.startsWith('-');
  const unsigned = (negative ? text.slice(1) : text).replace(/^0+(?=\d)/, '');
  return negative && /[1-9]/.test(unsigned) ? `-${unsigned}` : unsigned;
}
