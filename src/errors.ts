/**
 * Errors with a stable `code`, an HTTP status and a JSON form.
 * Workers use `retryable` to tell a passing fault (retry with backoff) from bad input (keep as failed).
 */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    statusCode = 500,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): { error: string; code: string; message: string; statusCode: number; details?: Record<string, unknown> } {
    return {
      error: this.name,
      code: this.code,
      message: this.message,
      statusCode: this.statusCode,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', message, 400, { details });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} was not found`, 404, { details: { id } });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, 409, { details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'An API key is required: send "Authorization: Bearer <key>"') {
    super('UNAUTHORIZED', message, 401);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message, 403);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('SERVICE_UNAVAILABLE', message, 503, { retryable: true, cause });
  }
}

/** Start-up configuration is missing or malformed. The message is one line meant for the operator. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('CONFIG_INVALID', message, 500);
  }
}

/** A message that can never be processed as it is (bad MIME, too large): keep it as failed, do not retry. */
export class UnprocessableMessageError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('MESSAGE_UNPROCESSABLE', message, 422, { retryable: false, cause });
  }
}

/**
 * Case settings read earlier (a cache) are no longer the stored ones, or refuse a case that fresh ones might allow:
 * nothing was written; the caller rolls its transaction back and runs it again with fresh settings.
 */
export class StaleCaseSettingsError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('CASE_SETTINGS_STALE', message, 409, { retryable: true, cause });
  }
}
