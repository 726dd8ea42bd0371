import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  PermanentSendError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors.js';
import { appErrorResponse } from './error-status.js';

describe('appErrorResponse', () => {
  it('answers each error with the status of its code and the documented JSON body', () => {
    expect(appErrorResponse(new ValidationError('Unknown tag "gold"', { allowed: ['vip'] }))).toEqual({
      statusCode: 400,
      body: {
        error: 'ValidationError',
        code: 'VALIDATION_FAILED',
        message: 'Unknown tag "gold"',
        statusCode: 400,
        details: { allowed: ['vip'] },
      },
    });
    expect(appErrorResponse(new NotFoundError('Case', 'x')).statusCode).toBe(404);
    expect(appErrorResponse(new ConflictError('busy')).statusCode).toBe(409);
    expect(appErrorResponse(new ServiceUnavailableError('down')).body).toEqual({
      error: 'ServiceUnavailableError',
      code: 'SERVICE_UNAVAILABLE',
      message: 'down',
      statusCode: 503,
    });
  });

  it('gives a refused outbound mail a stable code, name and JSON form like every other error', () => {
    const err = new PermanentSendError('550 5.1.1 no such user', 550);
    expect(err.toJSON()).toEqual({
      error: 'PermanentSendError',
      code: 'SEND_REJECTED',
      message: '550 5.1.1 no such user',
      details: { responseCode: 550 },
    });
    expect(appErrorResponse(err).statusCode).toBe(502);
  });
});
