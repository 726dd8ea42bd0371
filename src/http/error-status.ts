import type { AppError, AppErrorJson, ErrorCode } from '../errors.js';

/** The HTTP status of every error code: the one place where a domain error becomes an HTTP answer. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // Settings changed while the request ran; nothing was written and a retry reads the new ones.
  CASE_SETTINGS_STALE: 409,
  MESSAGE_UNPROCESSABLE: 422,
  CONFIG_INVALID: 500,
  // The mail server refused: the fault is upstream of intake, and not the client's.
  SEND_REJECTED: 502,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
});

/** An AppError as the API sends it: its JSON form with the HTTP status (ErrorSchema, src/http/schemas/error.ts). */
export function appErrorResponse(err: AppError): {
  statusCode: number;
  body: Omit<AppErrorJson, 'details'> & { statusCode: number; details?: Record<string, unknown> };
} {
  const statusCode = HTTP_STATUS_BY_CODE[err.code];
  const { details, ...json } = err.toJSON();
  return { statusCode, body: { ...json, statusCode, ...(details ? { details } : {}) } };
}
