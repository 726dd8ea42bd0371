import { UnrecoverableError } from 'bullmq';
import { AppError } from '../errors.js';

/**
 * Whether a job that failed with `err` should run again. An AppError says so itself (`retryable`: a database
 * that is down will answer later, a message that cannot be parsed never will); any other error (a dropped
 * connection, a timeout, a bug) is taken as passing and retried with the queue's backoff.
 */
export function isRetryable(err: unknown): boolean {
  return err instanceof AppError ? err.retryable : true;
}

/**
 * What a processor throws for `err`: `err` itself when it is retryable, else BullMQ's UnrecoverableError, which
 * fails the job at once without using its remaining attempts. The original error is its `cause`.
 */
export function jobError(err: unknown): unknown {
  if (isRetryable(err)) return err;
  return Object.assign(new UnrecoverableError((err as Error).message), { cause: err });
}
