import { Type } from '@sinclair/typebox';

/** Every error the API sends: a stable code and a human-readable message (src/http/errors.ts). */
export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'Error class, e.g. ValidationError' }),
    code: Type.String({ description: 'Stable code, e.g. VALIDATION_FAILED, NOT_FOUND, CONFLICT, QUERY_TIMEOUT' }),
    message: Type.String({ description: 'What went wrong, for a human' }),
    statusCode: Type.Integer(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'Error' },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (wrong type, unknown field, unknown status/priority/tag, malformed JSON)',
  401: 'Missing, bad or revoked API key, or no session (or an ended one)',
  403: 'The API key or staff user lacks the claim this route needs, or a session request that changes state lacks its X-CSRF-Token',
  404: 'Not found (or soft-deleted)',
  409: 'Conflicts with the current state',
  413: 'The request body is over the limit: 25 MB on routes that take notes, attachments, cases, settings or raw mail (MAX_REQUEST_BODY_BYTES), 1 MB elsewhere (SMALL_REQUEST_BODY_BYTES)',
  429: 'Too many requests from this API key (RATE_LIMIT_PER_API_KEY) or, without a valid key, from this client address (RATE_LIMIT_PER_ADDRESS) in the window (RATE_LIMIT_WINDOW_MS); Retry-After says how many seconds to wait (code RATE_LIMITED)',
  503: 'The database is unreachable, or did not finish within the statement timeout (code QUERY_TIMEOUT; DATABASE_STATEMENT_TIMEOUT_MS): nothing was changed, retry later',
};

/** Error responses for a route's schema, so the OpenAPI document lists them (401, 429 and 503 on every route). */
export function errorResponses<C extends number>(...codes: C[]): Record<C | 401 | 429 | 503, typeof ErrorSchema> {
  return Object.fromEntries(
    [401, ...codes, 429, 503].map((c) => [c, { ...ErrorSchema, description: DESCRIPTIONS[c] ?? 'Error' }]),
  ) as Record<C | 401 | 429 | 503, typeof ErrorSchema>;
}
