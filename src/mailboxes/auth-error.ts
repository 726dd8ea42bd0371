/**
 * Why a login could not be had, as a stable code:
 * - `token_refused`: the token endpoint answered with an OAuth2 error (wrong secret, revoked consent, unknown client);
 *   the provider's own `error` and `error_description` are in `message` (`invalid_client: AADSTS7000215: ...`).
 * - `token_unreachable`: no usable answer from the token endpoint (network, timeout, not JSON, 5xx).
 * - `backing_off`: an earlier failure is still within its retry delay; `message` repeats that failure.
 * - `not_configured`: the mailbox's auth settings are incomplete.
 */
export type MailboxAuthErrorCode = 'token_refused' | 'token_unreachable' | 'backing_off' | 'not_configured';

/** A login could not be obtained (token endpoint refused, unreachable); `message` carries the provider's text. */
export class MailboxAuthError extends Error {
  override name = 'MailboxAuthError';
  readonly code: MailboxAuthErrorCode;
  /** The provider's `error` field (`invalid_grant`, `invalid_client`, ...), when it sent one. */
  readonly providerError: string | undefined;
  /** When the token endpoint will be asked again (epoch ms), for failures that back off. */
  readonly retryAt: number | undefined;

  constructor(
    message: string,
    options: { code?: MailboxAuthErrorCode; providerError?: string; retryAt?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'token_refused';
    this.providerError = options.providerError;
    this.retryAt = options.retryAt;
  }

  toJSON(): { name: string; code: MailboxAuthErrorCode; message: string; providerError?: string } {
    return { name: this.name, code: this.code, message: this.message, providerError: this.providerError };
  }
}
