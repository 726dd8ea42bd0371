import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Probe and asset URLs: logged at debug, so a scrape every 15 s does not bury the real traffic. */
export const QUIET_URL_PATTERN = /^\/(healthz|readyz|metrics)(\?|$)|^\/admin\/queues\/static\//;

/**
 * The URL as it is logged: its path without the query string, whose values are what clients look for (a customer's
 * email address in GET /api/customers?email=, search words) and must not end up in log files. The route pattern,
 * logged beside it, still says which endpoint was asked.
 */
export function loggableUrl(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * pino serializer for a logged `req`, as Fastify's own log lines write it (`{ req: request }`): method, path without
 * the query string, route and client address. No headers, so API keys and basic-auth passwords stay out.
 */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: loggableUrl(request.url),
    route: request.routeOptions?.url ?? null,
    remoteAddress: request.ip,
  };
}

/**
 * Fastify 5's way to shape request logs (the top-level `disableRequestLogging` option is deprecated).
 * One line per request when it completes (method, path, route pattern, status, time) instead of two;
 * probes at debug level. Header values and query strings are never logged, so API keys, basic-auth passwords and
 * the customer addresses clients search for stay out.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: loggableUrl(request.url) }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // At LOG_LEVEL warn (production) only errors are written: the line is not even built for the others.
    if (!error && (reply.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') === false)
      return;
    const line = {
      method: request.method,
      url: loggableUrl(request.url),
      route: request.routeOptions.url ?? null,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (QUIET_URL_PATTERN.test(request.url)) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ method: request.method, url: loggableUrl(request.url) }, 'route not found');
  }
}
