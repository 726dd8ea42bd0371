import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { QUERY_CANCELED } from '../db/database.js';
import { appErrorResponse } from './error-status.js';
import { loggableUrl } from '../ops/request-log.js';

/**
 * Every error leaves as JSON with a human-readable message. Client mistakes (validation, malformed JSON,
 * unknown fields, bad ids) are 4xx; only real faults are 500, and those never show internals.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      const { statusCode, body } = appErrorResponse(err);
      if (statusCode >= 500) request.log.error({ err }, err.message);
      return reply.status(statusCode).send(body);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const message = `Invalid request: ${fe.message}`;
      return reply.status(400).send({ error: 'ValidationError', code: 'VALIDATION_FAILED', message, statusCode: 400 });
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const mb = Math.round(request.routeOptions.bodyLimit / (1024 * 1024));
      const message = `The request body is over the limit of ${mb} MB (attachments count base64-encoded, a third larger than the files)`;
      return reply.status(413).send({ error: 'PayloadTooLarge', code: fe.code, message, statusCode: 413 });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply
        .status(fe.statusCode)
        .send({ error: 'BadRequest', code: fe.code ?? 'BAD_REQUEST', message: fe.message, statusCode: fe.statusCode });
    }
    const pgCode = (err as { code?: string }).code;
    // The statement ran past DATABASE_STATEMENT_TIMEOUT_MS and PostgreSQL cancelled it: nothing was changed.
    if (pgCode === QUERY_CANCELED) {
      request.log.warn({ err, url: loggableUrl(request.url) }, 'statement cancelled by the statement timeout');
      return reply.status(503).send({
        error: 'ServiceUnavailable',
        code: 'QUERY_TIMEOUT',
        message:
          'The database did not finish this request within the statement timeout; narrow the request (for a search: filters, fewer words, another sort) or try again later',
        statusCode: 503,
      });
    }
    // PostgreSQL input errors a client can cause (bad uuid, out-of-range number): still the client's fault.
    if (pgCode && /^(22|23)/.test(pgCode)) {
      return reply
        .status(400)
        .send({ error: 'BadRequest', code: 'BAD_REQUEST', message: `Invalid value: ${err.message}`, statusCode: 400 });
    }
    request.log.error({ err }, 'unhandled error');
    return reply
      .status(500)
      .send({ error: 'InternalServerError', code: 'INTERNAL', message: 'Internal server error', statusCode: 500 });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: 'NotFound',
      code: 'NOT_FOUND',
      message: `Route ${request.method} ${request.url} does not exist`,
      statusCode: 404,
    }),
  );
}
