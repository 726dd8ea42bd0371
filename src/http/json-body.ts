import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';

/**
 * Largest request body of the routes that take long text or files: a note with its base64 attachments, a case with a
 * 1,000,000-character Description (or the whole case as GET returned it, for GET-modify-PUT), the settings, a raw
 * message to preview. More is a 413 naming the limit.
 */
export const MAX_REQUEST_BODY_BYTES = 25 * 1024 * 1024;
/** Largest request body of every other route (searches, customers): none needs more, and a read key can send these. */
export const SMALL_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of arrays and objects a JSON body may have. Our deepest schema is a few levels (a case's
 * Participants, a note's Attachments); 64 leaves room for any client and keeps a body of brackets alone (24 MB of
 * `[` is 12 million levels) from being parsed into millions of objects and walked by the validator.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the JSON text nests arrays and objects deeper than `max`. One pass without building anything, which stops
 * at the first bracket past `max`; strings are skipped with indexOf, so long base64 attachments cost little. Text that
 * is not JSON gets an answer too, and JSON.parse then says what is wrong with it.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // To the closing quote: one that follows an even run of backslashes.
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end === -1) return false;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
        i = end;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && depth > 0) {
      // Never below zero: stray closing brackets must not buy room for deeper nesting after them.
      depth--;
    }
  }
  return false;
}

/**
 * JSON bodies go through Fastify's own parser (secure-json-parse: refuses __proto__ and constructor.prototype keys)
 * after a depth check, so a deeply nested body is a 400 before anything is built from it.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string; // parseAs: 'string'
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(new ValidationError(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`));
      return;
    }
    parse(request, text, done);
  });
}
