/**
 * Every code an AppError carries: stable, for clients, logs and scripts. Nothing here knows HTTP: the API maps
 * each code to its status in one place (src/http/error-status.ts), so the mail, queue and case code stay
 * free of transport concerns.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'CASE_SETTINGS_STALE'
  | 'SERVICE_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'MESSAGE_UNPROCESSABLE'
  | 'SEND_REJECTED';

/** The JSON form of an AppError (the API adds the HTTP status: src/http/error-status.ts). */
export interface AppErrorJson {
  error: string;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Errors with a stable `code`, a `name` and a JSON form.
 * `retryable` tells a passing fault (a job runs again with backoff) from one that will fail the same way every
 * time (bad input: the job fails at once, src/queue/job-errors.ts). Default false.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): AppErrorJson {
    return {
      error: this.name,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', message, { details });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} was not found`, { details: { id } });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, { details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'An API key is required: send "Authorization: Bearer <key>"') {
    super('UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('SERVICE_UNAVAILABLE', message, { retryable: true, cause });
  }
}

/** The SMTP server refused a mail for good (a 5xx answer): sending it again would be refused the same way. */
export class PermanentSendError extends AppError {
  constructor(
    message: string,
    readonly responseCode: number | undefined,
  ) {
    super('SEND_REJECTED', message, { retryable: false, details: { responseCode } });
  }
}

/** Start-up configuration is missing or malformed. The message is one line meant for the operator. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** A message that can never be processed as it is (bad MIME, too large): keep it as failed, do not retry. */
export class UnprocessableMessageError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('MESSAGE_UNPROCESSABLE', message, { retryable: false, cause });
  }
}

/**
 * Case settings read earlier (a cache) are no longer the stored ones, or refuse a case that fresh ones might allow:
 * nothing was written; the caller rolls its transaction back and runs it again with fresh settings.
 */
export class StaleCaseSettingsError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('CASE_SETTINGS_STALE', message, { retryable: true, cause });
  }
}
