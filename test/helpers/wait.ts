/** How long waitFor waits by default, and how often it asks. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
export const DEFAULT_WAIT_EVERY_MS = 50;

/**
 * Asks `fn` every `everyMs` until it returns something truthy and returns that, or throws
 * "timed out waiting for <what>" after `timeoutMs`. `what` may be a function, for a message that
 * reports the state at the moment of the time-out.
 */
export async function waitFor<T>(
  what: string | (() => string | Promise<string>),
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  everyMs = DEFAULT_WAIT_EVERY_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : await what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
