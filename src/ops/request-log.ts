import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Probe and asset URLs: logged at debug, so a scrape every 15 s does not bury the real traffic. */
export const QUIET_URL_PATTERN = /^\/(healthz|readyz|metrics)(\?|$)|^\/admin\/queues\/static\//;

/**
 * Fastify 5's way to shape request logs (the top-level `disableRequestLogging` option is deprecated).
 * One line per request when it completes (method, url, route pattern, status, time) instead of two;
 * probes at debug level. Header values are never logged, so API keys and basic-auth passwords stay out.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // At LOG_LEVEL warn (production) only errors are written: the line is not even built for the others.
    if (!error && (reply.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') === false)
      return;
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? null,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (QUIET_URL_PATTERN.test(request.url)) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}
