import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import { runChecks, type HealthCheck } from './health.js';
import { metricsAllowed, scrapeMetrics } from './scrape.js';

export interface ProcessServerOptions {
  /** Port to listen on; 0 turns the server off (startProcessServer then returns null). */
  port: number;
  /**
   * Address to listen on: the process's HOST (config.host), as the web process does, so a deployment that keeps
   * intake on loopback or a private interface keeps its probes and metrics there too.
   */
  host: string;
  logger: Logger;
  /** What /readyz checks, e.g. `{ database, redis }` for the worker, plus `imap:<mailbox>` for the poller. */
  checks: Record<string, HealthCheck>;
  /** Queues whose depth /metrics reports (usually none here: the web process reports them). */
  queues?: readonly Queue[];
  metricsToken?: string;
}

export interface ProcessServer {
  /** The address the server is bound to, as the operating system reports it. */
  host: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * A tiny HTTP server for the worker and poller: /healthz (alive), /readyz (dependencies answer; 503 with
 * a JSON body naming what failed) and /metrics (this process's counters: each process has its own
 * registry, so Prometheus scrapes web, worker and poller separately). Plain node:http: no framework for
 * three routes. A port in use is logged and the process runs on without probes, since a second worker on
 * the same host should not die for want of a health port.
 */
export async function startProcessServer(options: ProcessServerOptions): Promise<ProcessServer | null> {
  if (options.port === 0) {
    options.logger.info('health server off (port 0)');
    return null;
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'application/json', JSON.stringify({ message: 'GET only' }));
    if (path === '/healthz') {
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
      );
    }
    if (path === '/readyz') {
      void runChecks(options.checks).then((result) => {
        if (result.ok)
          return send(res, 200, 'application/json', JSON.stringify({ status: 'ok', checks: result.checks }));
        const failed = Object.entries(result.checks).filter(([, r]) => !r.ok);
        const message = `not ready: ${failed.map(([name, r]) => `${name} (${r.error})`).join(', ')}`;
        send(
          res,
          503,
          'application/json',
          JSON.stringify({
            error: 'ServiceUnavailableError',
            code: 'NOT_READY',
            message,
            statusCode: 503,
            checks: result.checks,
          }),
        );
      });
      return;
    }
    if (path === '/metrics') {
      if (!metricsAllowed(req.headers.authorization, options.metricsToken)) {
        return send(
          res,
          401,
          'application/json',
          JSON.stringify({ message: 'The metrics need "Authorization: Bearer <METRICS_TOKEN>"' }),
        );
      }
      void scrapeMetrics(options.queues, { logger: options.logger })
        .then(({ contentType, body }) => send(res, 200, contentType, body))
        .catch((err) => send(res, 500, 'application/json', JSON.stringify({ message: (err as Error).message })));
      return;
    }
    send(res, 404, 'application/json', JSON.stringify({ message: `Route ${req.method} ${path} does not exist` }));
  });
  // Probes must not keep the process alive during shutdown.
  server.keepAliveTimeout = 1_000;
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (err) => {
      options.logger.error(
        { err: err.message, host: options.host, port: options.port },
        'health server could not listen; running without /healthz and /metrics',
      );
      resolve(false);
    });
    server.listen(options.port, options.host, () => resolve(true));
  });
  if (!listening) return null;
  const { address: host, port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.logger.info({ host, port }, `health server listening on ${url} (/healthz, /readyz, /metrics)`);
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
