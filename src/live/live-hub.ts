import pg from 'pg';
import type { Logger } from '../logger.js';
import { backoffDelay, DEFAULT_LISTEN_RECONNECT_BACKOFF } from '../queue/backoff.js';

// One LISTEN connection per web process, shared by every browser connected to /api/events.

/** NOTIFY channel of case changes: the triggers of migration 20261203110000 write it, whoever changes a case. */
export const CASE_EVENTS_CHANNEL = 'intake_case_events';
/** NOTIFY channel of presence changes (src/live/presence.ts), so every web process hears every other one's. */
export const PRESENCE_CHANNEL = 'intake_presence';

/** The LISTEN connection's application_name, so an operator can tell it in pg_stat_activity. */
export const LIVE_APPLICATION_NAME = 'intake-live-events';

export interface CaseEvent {
  CaseId: string;
  CaseNumber: string;
  Change: 'created' | 'updated' | 'thread';
}
export interface PresenceUserJson {
  UserId: string;
  Name: string;
  Activity: 'viewing' | 'replying';
}
export interface PresenceEvent {
  CaseId: string;
  Users: PresenceUserJson[];
}
export type LiveEvent =
  | { type: 'case'; data: CaseEvent }
  | { type: 'presence'; data: PresenceEvent }
  /** The LISTEN connection came back after a break: events in between were missed, reload what is shown. */
  | { type: 'resync'; data: Record<string, never> };

export interface LiveHub {
  /** Calls `listener` with every event until the returned function is called. Starts listening on first use. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /** Resolves once the LISTEN connection is up (tests; the first subscription starts it). */
  ready(): Promise<void>;
  /** Number of current subscribers. */
  size(): number;
  close(): Promise<void>;
}

function parseEvent(channel: string, payload: string | undefined): LiveEvent | null {
  try {
    const data = JSON.parse(payload ?? '') as Record<string, unknown>;
    if (channel === CASE_EVENTS_CHANNEL && typeof data.CaseId === 'string')
      return { type: 'case', data: data as unknown as CaseEvent };
    if (channel === PRESENCE_CHANNEL && typeof data.CaseId === 'string' && Array.isArray(data.Users))
      return { type: 'presence', data: data as unknown as PresenceEvent };
  } catch {
    // Not ours (someone else's NOTIFY on the channel): ignored.
  }
  return null;
}

/**
 * The hub: one pg.Client that LISTENs on both channels and fans each notification out to the subscribers.
 * It connects on the first subscription, reconnects with backoff (DEFAULT_LISTEN_RECONNECT_BACKOFF) when PostgreSQL
 * goes away or restarts, and then tells subscribers to resync.
 */
export function createLiveHub(deps: { databaseUrl: string; logger: Logger }): LiveHub {
  const listeners = new Set<(event: LiveEvent) => void>();
  let client: pg.Client | null = null;
  let started = false;
  let closed = false;
  let reconnects = 0;
  let everConnected = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let waiters: (() => void)[] = [];
  let up = false;

  const emit = (event: LiveEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'live event listener failed');
      }
    }
  };

  const listen = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({
      connectionString: deps.databaseUrl,
      connectionTimeoutMillis: 5_000,
      application_name: LIVE_APPLICATION_NAME,
    });
    client = c;
    const retry = (err: unknown) => {
      if (closed || client !== c) return;
      up = false;
      const delay = backoffDelay(reconnects++, DEFAULT_LISTEN_RECONNECT_BACKOFF);
      deps.logger.warn({ err: (err as Error)?.message, retryInMs: delay }, 'live events lost their LISTEN connection');
      client = null;
      c.end().catch(() => undefined);
      reconnectTimer = setTimeout(() => void listen(), delay);
    };
    c.on('error', retry);
    c.on('end', () => retry(new Error('connection ended')));
    c.on('notification', (n) => {
      const event = parseEvent(n.channel, n.payload);
      if (event) emit(event);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CASE_EVENTS_CHANNEL}; LISTEN ${PRESENCE_CHANNEL}`);
      reconnects = 0;
      up = true;
      if (everConnected) emit({ type: 'resync', data: {} });
      everConnected = true;
      for (const w of waiters) w();
      waiters = [];
    } catch (err) {
      retry(err);
    }
  };

  const start = () => {
    if (started || closed) return;
    started = true;
    void listen();
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => listeners.delete(listener);
    },
    ready() {
      start();
      return up ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
    size: () => listeners.size,
    async close() {
      closed = true;
      listeners.clear();
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const c = client;
      client = null;
      for (const w of waiters) w();
      waiters = [];
      await c?.end().catch(() => undefined);
    },
  };
}
