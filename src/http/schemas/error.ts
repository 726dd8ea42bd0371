import { Type } from '@sinclair/typebox';

/** Every error the API sends: a stable code and a human-readable message (src/http/errors.ts). */
export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'Error class, e.g. ValidationError' }),
    code: Type.String({ description: 'Stable code, e.g. VALIDATION_FAILED, NOT_FOUND, CONFLICT' }),
    message: Type.String({ description: 'What went wrong, for a human' }),
    statusCode: Type.Integer(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'Error' },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (wrong type, unknown field, unknown status/priority/tag, malformed JSON)',
  401: 'Missing, bad or revoked API key',
  403: 'The API key lacks the scope this route needs',
  404: 'Not found (or soft-deleted)',
  409: 'Conflicts with the current state',
};

/** Error responses for a route's schema, so the OpenAPI document lists them. */
export function errorResponses<C extends number>(...codes: C[]): Record<C | 401, typeof ErrorSchema> {
  return Object.fromEntries([401, ...codes].map((c) => [c, { ...ErrorSchema, description: DESCRIPTIONS[c] ?? 'Error' }])) as Record<
    C | 401,
    typeof ErrorSchema
  >;
}
