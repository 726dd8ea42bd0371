import type { CaseSettings } from '../settings/case-settings.js';

/** The status-derived fields of a case, as stored. */
export interface StatusFields {
  status: string;
  status_changed_at: Date;
  closed_date: Date | null;
  resolved_date: Date | null;
}

export interface StatusLogEntry {
  status: string;
  timestamp: Date;
  duration_since_previous_ms: number | null;
  /** Who changed it (case.service.ts fills these in); absent: the server's own change. */
  changed_by?: string | null;
  changed_by_user_id?: string | null;
}

export interface StatusTransition {
  fields: StatusFields;
  log: StatusLogEntry;
}

/**
 * The one rule for every status change, whatever endpoint or worker asks for it:
 * - the log gets an entry with the milliseconds spent in the previous status;
 * - entering *Status Closed* sets ClosedDate, leaving it clears ClosedDate (the log keeps the history);
 * - entering *Status Resolved* sets ResolvedDate; moving back below Resolved's level (a reopen) clears it,
 *   while going on from Resolved to Closed keeps it.
 * Returns null when the status does not change (no log entry for a no-op).
 */
export function transitionStatus(
  settings: CaseSettings,
  current: StatusFields,
  next: string,
  now: Date,
): StatusTransition | null {
  if (current.status === next) return null;
  const resolvedLevel =
    settings.Statuses.find((s) => s.Name === settings.StatusResolved)?.Level ?? Number.POSITIVE_INFINITY;
  const nextLevel = settings.Statuses.find((s) => s.Name === next)?.Level ?? 0;
  let resolved = current.resolved_date;
  if (next === settings.StatusResolved) resolved = now;
  else if (nextLevel < resolvedLevel) resolved = null;
  const fields: StatusFields = {
    status: next,
    status_changed_at: now,
    closed_date: next === settings.StatusClosed ? now : null,
    resolved_date: resolved,
  };
  return {
    fields,
    log: {
      status: next,
      timestamp: now,
      duration_since_previous_ms: Math.max(0, now.getTime() - current.status_changed_at.getTime()),
    },
  };
}

/** The first log entry of a new case: no previous status, so no duration. */
export function initialStatus(status: string, now: Date): StatusTransition {
  return {
    fields: { status, status_changed_at: now, closed_date: null, resolved_date: null },
    log: { status, timestamp: now, duration_since_previous_ms: null },
  };
}
