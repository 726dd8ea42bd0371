import { describe, expect, it } from 'vitest';
import { DEFAULT_CASE_SETTINGS, nextSuggestedStatus } from '../settings/case-settings.js';
import { initialStatus, transitionStatus } from './status.js';

const settings = structuredClone(DEFAULT_CASE_SETTINGS);
const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:00:05Z');

describe('status transitions', () => {
  it('the first entry of a new case has no duration', () => {
    expect(initialStatus('New', t0).log).toEqual({ status: 'New', timestamp: t0, duration_since_previous_ms: null });
  });

  it('a change logs the milliseconds since the previous change', () => {
    const t = transitionStatus(
      settings,
      { status: 'New', status_changed_at: t0, closed_date: null, resolved_date: null },
      'In Progress',
      t1,
    );
    expect(t?.log.duration_since_previous_ms).toBe(5000);
    expect(t?.fields.status_changed_at).toEqual(t1);
  });

  it('entering Closed sets ClosedDate and leaving it clears ClosedDate', () => {
    const closed = transitionStatus(
      settings,
      { status: 'Resolved', status_changed_at: t0, closed_date: null, resolved_date: t0 },
      'Closed',
      t1,
    )!;
    expect(closed.fields.closed_date).toEqual(t1);
    expect(closed.fields.resolved_date).toEqual(t0);
    const reopened = transitionStatus(settings, closed.fields, 'Reopened', new Date(t1.getTime() + 1000))!;
    expect(reopened.fields.closed_date).toBeNull();
    expect(reopened.fields.resolved_date).toBeNull();
    expect(reopened.log.duration_since_previous_ms).toBe(1000);
  });

  it('entering Resolved sets ResolvedDate', () => {
    const t = transitionStatus(
      settings,
      { status: 'In Progress', status_changed_at: t0, closed_date: null, resolved_date: null },
      'Resolved',
      t1,
    )!;
    expect(t.fields.resolved_date).toEqual(t1);
  });

  it('setting the same status is not a change', () => {
    expect(
      transitionStatus(
        settings,
        { status: 'New', status_changed_at: t0, closed_date: null, resolved_date: null },
        'New',
        t1,
      ),
    ).toBeNull();
  });

  it('suggests the status at the next level', () => {
    expect(nextSuggestedStatus(settings, 'New')).toBe('In Progress');
    expect(nextSuggestedStatus(settings, 'Reopened')).toBe('Resolved');
    expect(nextSuggestedStatus(settings, 'Closed')).toBeNull();
    expect(nextSuggestedStatus(settings, 'Gone')).toBeNull();
  });
});
