import pg from 'pg';
import type { Logger } from '../logger.js';
import { backoffDelay, DEFAULT_LISTEN_RECONNECT_BACKOFF } from '../queue/backoff.js';

export interface ListenOptions {
  databaseUrl: string;
  /** NOTIFY channels (plain identifiers). */
  channels: readonly string[];
  /** Shown in pg_stat_activity, so an operator can tell the connection. */
  applicationName?: string;
  logger: Logger;
  /** What the warning says lost its connection, e.g. "outbox relay". */
  what: string;
  onNotification(channel: string, payload: string | undefined): void;
  /**
   * Called each time LISTEN is in place; `again` is true after a break, when notifications in between were missed
   * (read the state again).
   */
  onListening?(again: boolean): void;
}

export interface Listener {
  /** Resolves once LISTEN is in place (or the listener is closed). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One pg.Client LISTENing on the given channels: it reconnects with backoff (DEFAULT_LISTEN_RECONNECT_BACKOFF) when
 * PostgreSQL goes away or restarts, and says so through onListening(true). The outbox relay, the live events of the
 * staff inbox and the mailbox fleet each keep one.
 */
export function listen(options: ListenOptions): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let reconnects = 0;
  let everListening = false;
  let up = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let waiters: (() => void)[] = [];

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({
      connectionString: options.databaseUrl,
      connectionTimeoutMillis: 5_000,
      application_name: options.applicationName,
    });
    client = c;
    const retry = (err: unknown) => {
      if (closed || client !== c) return;
      up = false;
      const delay = backoffDelay(reconnects++, DEFAULT_LISTEN_RECONNECT_BACKOFF);
      options.logger.warn(
        { err: (err as Error)?.message, retryInMs: delay },
        `${options.what} lost its LISTEN connection`,
      );
      client = null;
      c.end().catch(() => undefined);
      reconnectTimer = setTimeout(() => void connect(), delay);
    };
    c.on('error', retry);
    c.on('end', () => retry(new Error('connection ended')));
    c.on('notification', (n) => options.onNotification(n.channel, n.payload));
    try {
      await c.connect();
      await c.query(options.channels.map((ch) => `LISTEN ${ch}`).join('; '));
      reconnects = 0;
      up = true;
      options.onListening?.(everListening);
      everListening = true;
      for (const w of waiters) w();
      waiters = [];
    } catch (err) {
      retry(err);
    }
  };

  void connect();
  return {
    ready: () => (up || closed ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const c = client;
      client = null;
      for (const w of waiters) w();
      waiters = [];
      await c?.end().catch(() => undefined);
    },
  };
}
