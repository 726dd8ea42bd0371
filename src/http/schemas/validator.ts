import type { FastifySchemaCompiler } from 'fastify';
import { FormatRegistry, Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { DATE_RANGE_TEXT, parseIsoDateTime } from '../../iso-date.js';
import { isEmailLike } from '../../mail/addresses.js';

// TypeBox checks a format only when it is registered. Each one is the rule the rest of intake applies to the same
// value, so the API cannot accept what the core refuses, or the reverse: dates through the one ISO 8601 parser (a day
// that does not exist, 2025-02-29, or an instant outside years 0001-9999 is refused, not rolled over or stored), and
// addresses through the rule inbound mail's addresses pass.
FormatRegistry.Set('date-time', (value) => parseIsoDateTime(value) !== undefined);
FormatRegistry.Set('email', isEmailLike);

/** At most this many problems are listed in one 400 message. */
export const MAX_REPORTED_ERRORS = 5;

/**
 * A union (mostly `T | null`) reports only "expected union value"; the error of its one non-null branch says
 * what is really wrong ("expected string", "string length ..."), so report that one, at its own path.
 */
function explain(e: ValueError): { path: string; message: string } {
  const branches = e.errors.map((it) => it.First()).filter((b): b is ValueError => b !== undefined);
  const nonNull = branches.filter((b) => b.schema.type !== 'null');
  if (nonNull.length === 1) {
    const inner = explain(nonNull[0]!);
    return {
      path: inner.path,
      message: inner.message + (nonNull.length < branches.length && inner.path === e.path ? ' (or null)' : ''),
    };
  }
  if (e.message === 'Unexpected property') return { path: e.path, message: 'is not a known field' };
  if (e.type === ValueErrorType.StringFormat && e.schema.format === 'date-time') {
    return {
      path: e.path,
      message: `expected an ISO 8601 date-time with a time zone, ${DATE_RANGE_TEXT}, e.g. 2026-05-01T09:00:00Z`,
    };
  }
  return { path: e.path, message: e.message.charAt(0).toLowerCase() + e.message.slice(1) };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** `T` of a `T | null` union, the schema itself when it is no union, undefined for any other union. */
function nonNull(schema: TSchema | undefined): TSchema | undefined {
  const branches = (schema?.anyOf as TSchema[] | undefined)?.filter((b) => b.type !== 'null');
  if (!branches) return schema;
  return branches.length === 1 ? nonNull(branches[0]) : undefined;
}

/** The schema of `key` inside `schema` (an object's property, an array's items), through `T | null` unions. */
function childSchema(schema: TSchema | undefined, key: string | number): TSchema | undefined {
  const s = nonNull(schema);
  if (!s) return undefined;
  return typeof key === 'number'
    ? (s.items as TSchema | undefined)
    : (s.properties as Record<string, TSchema> | undefined)?.[key];
}

/**
 * PostgreSQL text cannot hold the NUL character, so a string with one is refused at its field (the database would
 * answer "invalid byte sequence for encoding UTF8: 0x00", naming no field). A lone UTF-16 surrogate (a string cut
 * inside an emoji) becomes U+FFFD, as the database driver already makes it in a text column; in a jsonb one
 * (Participants, Properties, settings) PostgreSQL would refuse the whole document instead. Fields of any value
 * (Type.Unknown: the server-owned fields a PUT may carry, which are ignored) are left alone. Mends in place and
 * collects the paths of the strings with NUL.
 */
function mendText(node: unknown, schema: TSchema | undefined, path: string, nulAt: string[]): unknown {
  if (schema?.[Kind] === 'Unknown') return node;
  if (typeof node === 'string') {
    if (node.includes('\u0000') && nulAt.length < MAX_REPORTED_ERRORS) nulAt.push(path);
    return ANY_SURROGATE.test(node) ? node.replace(LONE_SURROGATE, '\uFFFD') : node;
  }
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = mendText(node[i], childSchema(schema, i), `${path}/${i}`, nulAt);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record))
      record[key] = mendText(record[key], childSchema(schema, key), `${path}/${key}`, nulAt);
  }
  return node;
}

const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/** The numeric type a URL field's schema asks for (through `T | null` unions), if any. */
function numericType(schema: TSchema | undefined): 'integer' | 'number' | undefined {
  const type = nonNull(schema)?.type;
  return type === 'integer' || type === 'number' ? type : undefined;
}

/**
 * Value.Convert reads URL text loosely: "1e3", "1.5" and "true" become 1, "0x10" becomes 16. A numeric field of a
 * query string or path keeps its text unless it is written as plain digits, so the check then names it.
 */
function convertUrlPart(schema: TSchema, value: unknown): unknown {
  const props = schema.properties as Record<string, TSchema> | undefined;
  // Read before converting: Value.Convert may change the object in place.
  const loose: [string, string][] = [];
  if (props && value !== null && typeof value === 'object') {
    for (const [key, sub] of Object.entries(props)) {
      const kind = numericType(sub);
      const text = (value as Record<string, unknown>)[key];
      if (kind && typeof text === 'string' && !(kind === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(text))
        loose.push([key, text]);
    }
  }
  const converted = Value.Convert(schema, value);
  if (converted !== null && typeof converted === 'object')
    for (const [key, text] of loose) (converted as Record<string, unknown>)[key] = text;
  return converted;
}

/**
 * Validates with TypeBox's compiler. JSON bodies are checked as sent (a number is not silently turned into
 * a string, as Ajv's coerceTypes would do); query strings and path params are converted first, since
 * everything in a URL is text, and a number in a URL must be plain digits (convertUrlPart). Strings in bodies
 * and query strings are then checked for NUL and mended (mendText). buildServer sets it once for every route:
 * route plugins inherit it.
 */
export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  return (value: unknown) => {
    const converted = httpPart === 'body' ? value : convertUrlPart(schema, value);
    if (check.Check(converted)) {
      if (httpPart !== 'body' && httpPart !== 'querystring') return { value: converted };
      const nulAt: string[] = [];
      const mended = mendText(converted, schema, '', nulAt);
      if (nulAt.length === 0) return { value: mended };
      const message = 'must not contain the NUL character (\\u0000)';
      return {
        error: nulAt.map((instancePath) => ({
          message,
          instancePath,
          schemaPath: '',
          keyword: 'nul',
          params: {},
        })) as never,
      };
    }
    const seen = new Set<string>();
    const errors: {
      message: string;
      instancePath: string;
      schemaPath: string;
      keyword: string;
      params: Record<string, unknown>;
    }[] = [];
    for (const e of check.Errors(converted)) {
      // A union reports each branch; the path says enough once.
      if (seen.has(e.path)) continue;
      seen.add(e.path);
      const { path, message } = explain(e);
      errors.push({ message, instancePath: path, schemaPath: '', keyword: String(e.type), params: {} });
      if (errors.length >= MAX_REPORTED_ERRORS) break;
    }
    return { error: errors as never };
  };
};
