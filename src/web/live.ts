import { get } from './api.js';

// Server-sent events from GET /api/events (fed by the database's notifications): case changes and presence.
// One EventSource for the whole app; components subscribe. A server without the route gets no live updates,
// and the app says so instead of polling.

export interface CaseEvent {
  CaseId: string;
  CaseNumber: string;
  Change: string;
}

export interface PresenceEvent {
  CaseId: string;
  Users: { UserId: string; Name: string; Activity: 'viewing' | 'replying' }[];
}

type Listener<T> = (event: T) => void;

/** How long to wait before opening the stream again after the server refused it (not a mere drop). */
const REOPEN_AFTER_MS = 5_000;

const caseListeners = new Set<Listener<CaseEvent>>();
const presenceListeners = new Set<Listener<PresenceEvent>>();
const stateListeners = new Set<Listener<boolean>>();
let source: EventSource | undefined;
let connected = false;

function setConnected(value: boolean) {
  connected = value;
  for (const l of stateListeners) l(value);
}

function parse<T>(data: string): T | undefined {
  try {
    return JSON.parse(data) as T;
  } catch {
    return undefined;
  }
}

/** Opens the stream once; EventSource reconnects by itself after a drop (the server's `retry`). */
export function startLive(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/events', { withCredentials: true });
  source.onopen = () => setConnected(true);
  source.onerror = () => {
    setConnected(false);
    // A drop is retried by EventSource itself; a refusal (401 after the session ended, a 5xx) closes it for good.
    if (source?.readyState !== EventSource.CLOSED) return;
    source = undefined;
    // GET /api/session sends a signed-out browser to the sign-in page (api.ts); otherwise try again later.
    get('/api/session')
      .then(() => setTimeout(startLive, REOPEN_AFTER_MS))
      .catch(() => setTimeout(startLive, REOPEN_AFTER_MS));
  };
  source.addEventListener('case', (e) => {
    const event = parse<CaseEvent>((e as MessageEvent<string>).data);
    if (event) for (const l of caseListeners) l(event);
  });
  // The server lost its database notifications for a while: whatever is shown may be stale, so reload it.
  source.addEventListener('resync', () => {
    for (const l of caseListeners) l({ CaseId: '', CaseNumber: '', Change: 'resync' });
  });
  source.addEventListener('presence', (e) => {
    const event = parse<PresenceEvent>((e as MessageEvent<string>).data);
    if (event) for (const l of presenceListeners) l(event);
  });
}

export function onCaseEvent(listener: Listener<CaseEvent>): () => void {
  caseListeners.add(listener);
  return () => caseListeners.delete(listener);
}

export function onPresence(listener: Listener<PresenceEvent>): () => void {
  presenceListeners.add(listener);
  return () => presenceListeners.delete(listener);
}

export function onLiveState(listener: Listener<boolean>): () => void {
  stateListeners.add(listener);
  listener(connected);
  return () => stateListeners.delete(listener);
}
