import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { PermanentSendError, ServiceUnavailableError, UnprocessableMessageError, ValidationError } from '../errors.js';
import { isRetryable, jobError } from './job-errors.js';

describe('jobError', () => {
  it('fails the job at once for an error that will fail the same way again (bad input, a refused mail)', () => {
    for (const err of [
      new UnprocessableMessageError('The message is empty (0 bytes)'),
      new ValidationError('Comment must not be empty'),
      new PermanentSendError('550 5.1.1 no such user', 550),
    ]) {
      const thrown = jobError(err);
      expect(thrown).toBeInstanceOf(UnrecoverableError);
      expect(thrown).toMatchObject({ message: err.message, cause: err });
      expect(isRetryable(err)).toBe(false);
    }
  });

  it('lets BullMQ retry a passing fault: a retryable AppError, or any other error', () => {
    const down = new ServiceUnavailableError('PostgreSQL is not reachable');
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(jobError(down)).toBe(down);
    expect(jobError(reset)).toBe(reset);
    expect([isRetryable(down), isRetryable(reset)]).toEqual([true, true]);
  });
});
