import { listen, type Listener } from '../db/listen.js';
import type { Logger } from '../logger.js';

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
 * The hub: one LISTEN connection (src/db/listen.ts) on both channels, fanning each notification out to the
 * subscribers. It connects on the first subscription, reconnects with backoff when PostgreSQL goes away or restarts,
 * and then tells subscribers to resync.
 */
export function createLiveHub(deps: { databaseUrl: string; logger: Logger }): LiveHub {
  const listeners = new Set<(event: LiveEvent) => void>();
  let listener: Listener | null = null;
  let closed = false;

  const emit = (event: LiveEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'live event listener failed');
      }
    }
  };

  const start = (): Listener | null => {
    if (closed) return null;
    listener ??= listen({
      databaseUrl: deps.databaseUrl,
      channels: [CASE_EVENTS_CHANNEL, PRESENCE_CHANNEL],
      applicationName: LIVE_APPLICATION_NAME,
      logger: deps.logger,
      what: 'live events',
      onNotification: (channel, payload) => {
        const event = parseEvent(channel, payload);
        if (event) emit(event);
      },
      onListening: (again) => {
        if (again) emit({ type: 'resync', data: {} });
      },
    });
    return listener;
  };

  return {
    subscribe(subscriber) {
      listeners.add(subscriber);
      start();
      return () => listeners.delete(subscriber);
    },
    ready: () => start()?.ready() ?? Promise.resolve(),
    size: () => listeners.size,
    async close() {
      closed = true;
      listeners.clear();
      await listener?.close();
    },
  };
}
