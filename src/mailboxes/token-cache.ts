import { backoffDelay, type BackoffPolicy } from '../queue/backoff.js';
import { MailboxAuthError } from './auth-error.js';
import type { TokenResponse } from './oauth2.js';

/** A token is renewed this long before it expires... */
export const DEFAULT_REFRESH_EARLY_MS = 5 * 60_000;
/** ...but not before this share of its lifetime has passed (so a 10-minute token lives 9 minutes, not 5). */
export const DEFAULT_REFRESH_AT_SHARE = 0.9;
/**
 * Failed token requests are retried no faster than this (2 s doubling, at most 5 min, a little jitter): a wrong secret
 * must not hammer the provider, which throttles (and Entra may lock) clients that keep failing.
 */
export const DEFAULT_TOKEN_RETRY_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 2_000,
  capMs: 5 * 60_000,
  jitter: 0.2,
});

/** When a token obtained at `obtainedAt` with `lifetimeMs` is renewed: 5 min early, but not before 90 % of its life. */
export function refreshDueAt(
  obtainedAt: number,
  lifetimeMs: number,
  early = DEFAULT_REFRESH_EARLY_MS,
  share = DEFAULT_REFRESH_AT_SHARE,
): number {
  return obtainedAt + Math.max(lifetimeMs - early, lifetimeMs * share);
}

export interface TokenCacheOptions {
  /** Asks the provider for a new token (one call: the cache does the retrying and the spacing). */
  fetchToken: () => Promise<TokenResponse>;
  backoff?: BackoffPolicy;
  now?: () => number;
  random?: () => number;
}

/**
 * One mailbox's access token: cached until it is due for renewal, fetched by one request at a time however many
 * callers wait (single flight), and after a failure not asked for again before the backoff delay has passed: callers
 * in between get the same error at once (code `backing_off`). A token that is due for renewal but still valid keeps
 * being used while renewal fails, so a provider's short outage does not stop a mailbox.
 */
export class TokenCache {
  readonly #o: TokenCacheOptions;
  #token: { value: string; refreshAt: number; expiresAt: number } | undefined;
  #inflight: Promise<string> | undefined;
  #failures = 0;
  #lastError: MailboxAuthError | undefined;
  #retryAt = 0;
  /** Token requests made (successful or not): for tests and metrics. */
  requests = 0;

  constructor(options: TokenCacheOptions) {
    this.#o = options;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  async get(): Promise<string> {
    const now = this.#now();
    const t = this.#token;
    if (t && now < t.refreshAt) return t.value;
    if (this.#inflight) return this.#inflight;
    if (this.#lastError && now < this.#retryAt) {
      if (t && now < t.expiresAt) return t.value;
      throw new MailboxAuthError(this.#lastError.message, {
        code: 'backing_off',
        providerError: this.#lastError.providerError,
        retryAt: this.#retryAt,
        cause: this.#lastError,
      });
    }
    this.#inflight = this.#fetch().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #fetch(): Promise<string> {
    const started = this.#now();
    this.requests++;
    try {
      const res = await this.#o.fetchToken();
      this.#token = {
        value: res.accessToken,
        refreshAt: refreshDueAt(started, res.expiresInMs),
        expiresAt: started + res.expiresInMs,
      };
      this.#failures = 0;
      this.#lastError = undefined;
      return res.accessToken;
    } catch (err) {
      const error =
        err instanceof MailboxAuthError
          ? err
          : new MailboxAuthError(`token request failed: ${(err as Error).message}`, {
              code: 'token_unreachable',
              cause: err,
            });
      const delay = backoffDelay(this.#failures++, this.#o.backoff ?? DEFAULT_TOKEN_RETRY_BACKOFF, this.#o.random);
      this.#retryAt = this.#now() + delay;
      this.#lastError = error;
      const t = this.#token;
      if (t && this.#now() < t.expiresAt) return t.value;
      throw new MailboxAuthError(error.message, {
        code: error.code,
        providerError: error.providerError,
        retryAt: this.#retryAt,
        cause: error.cause,
      });
    }
  }

  /** The server refused the token: drop it, so the next get() asks for a new one (still no faster than the backoff). */
  invalidate(): void {
    this.#token = undefined;
  }

  /** The last failure, while it is unresolved. */
  get lastError(): MailboxAuthError | undefined {
    return this.#lastError;
  }
}
