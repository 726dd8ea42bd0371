import { ValidationError } from '../errors.js';

export interface StatusSetting {
  Name: string;
  /** Order of progression: the next suggested status is the one at the next higher level. */
  Level: number;
}

export interface PrioritySetting {
  Name: string;
  /** Higher is more severe; sorts by priority use it. */
  Severity: number;
}

export interface AcknowledgementSetting {
  Enabled: boolean;
  /** Placeholders: {{CaseNumber}}, {{Subject}}, {{CustomerName}}. The case number is always added as [CS-1001]. */
  Subject: string;
  Body: string;
}

/** The configurable lists of order cases (docs/order-cases.md). */
export interface OrderCaseSettings {
  /** Whether a new email naming orders the order store knows becomes an order case. */
  FromEmail: boolean;
  /** The Service of an order case: one of these. */
  Services: string[];
  /** Service of order cases made from email and of those created without one; null: none. */
  DefaultService: string | null;
  RequestReasonCodes: string[];
  ResolutionCodes: string[];
}

/** The case settings document, in the API's shape. */
export interface CaseSettings {
  Enabled: boolean;
  Statuses: StatusSetting[];
  StatusNew: string;
  StatusClosed: string;
  StatusReopen: string;
  StatusResolved: string;
  Priorities: PrioritySetting[];
  DefaultPriority: string;
  Tags: string[];
  Sources: string[];
  NumberPrefix: string;
  Acknowledgement: AcknowledgementSetting;
  OrderCases: OrderCaseSettings;
}

export const DEFAULT_CASE_SETTINGS: Readonly<CaseSettings> = Object.freeze({
  Enabled: true,
  Statuses: [
    { Name: 'New', Level: 1 },
    { Name: 'In Progress', Level: 2 },
    { Name: 'Reopened', Level: 2 },
    { Name: 'Resolved', Level: 3 },
    { Name: 'Closed', Level: 4 },
  ],
  StatusNew: 'New',
  StatusClosed: 'Closed',
  StatusReopen: 'Reopened',
  StatusResolved: 'Resolved',
  Priorities: [
    { Name: 'Low', Severity: 1 },
    { Name: 'Medium', Severity: 2 },
    { Name: 'High', Severity: 3 },
    { Name: 'Critical', Severity: 4 },
  ],
  DefaultPriority: 'Medium',
  Tags: [],
  Sources: ['Email', 'Phone', 'Web'],
  NumberPrefix: 'CS-',
  Acknowledgement: {
    Enabled: true,
    Subject: 'We received your request: {{Subject}}',
    Body:
      'Hello {{CustomerName}},\n\nThank you for contacting us. Your request has been received and has the case number {{CaseNumber}}.\n' +
      'Reply to this email to add information to your case.\n\nKind regards,\nSupport',
  },
  OrderCases: {
    FromEmail: true,
    Services: ['Sales Order Change Request', 'Sales Order Dispute'],
    DefaultService: null,
    RequestReasonCodes: [
      'Damaged item',
      'Wrong item',
      'Missing item',
      'Change quantity',
      'Change shipping address',
      'Change delivery date',
      'Cancel order line',
      'Other',
    ],
    ResolutionCodes: ['Refund', 'Replacement', 'Credit note', 'Change applied', 'No action needed', 'Denied'],
  },
});

export const NUMBER_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,9}-$/;

function names<T extends { Name: string }>(list: T[]): string[] {
  return list.map((s) => s.Name);
}

/** Checks a settings document for internal consistency (pure; usage by existing cases is checked by the service). */
export function validateCaseSettings(s: CaseSettings): void {
  const problems: string[] = [];
  const statusNames = names(s.Statuses);
  if (s.Statuses.length === 0) problems.push('Statuses must not be empty');
  const dupStatus = statusNames.filter(
    (n, i) => statusNames.findIndex((m) => m.toLowerCase() === n.toLowerCase()) !== i,
  );
  if (dupStatus.length) problems.push(`Statuses are listed twice: ${dupStatus.join(', ')}`);
  for (const [field, value] of [
    ['StatusNew', s.StatusNew],
    ['StatusClosed', s.StatusClosed],
    ['StatusReopen', s.StatusReopen],
    ['StatusResolved', s.StatusResolved],
  ] as const) {
    if (!statusNames.includes(value))
      problems.push(`${field} "${value}" is not one of the Statuses (${statusNames.join(', ')})`);
  }
  const priorityNames = names(s.Priorities);
  if (s.Priorities.length === 0) problems.push('Priorities must not be empty');
  const dupPriority = priorityNames.filter((n, i) => priorityNames.indexOf(n) !== i);
  if (dupPriority.length) problems.push(`Priorities are listed twice: ${dupPriority.join(', ')}`);
  if (!priorityNames.includes(s.DefaultPriority)) {
    problems.push(`DefaultPriority "${s.DefaultPriority}" is not one of the Priorities (${priorityNames.join(', ')})`);
  }
  if (new Set(s.Tags).size !== s.Tags.length) problems.push('Tags are listed twice');
  const o = s.OrderCases;
  for (const [field, list] of [
    ['Services', o.Services],
    ['RequestReasonCodes', o.RequestReasonCodes],
    ['ResolutionCodes', o.ResolutionCodes],
  ] as const) {
    if (new Set(list).size !== list.length) problems.push(`OrderCases.${field} lists a value twice`);
  }
  if (o.DefaultService !== null && !o.Services.includes(o.DefaultService))
    problems.push(`OrderCases.DefaultService "${o.DefaultService}" is not one of OrderCases.Services`);
  if (!NUMBER_PREFIX_PATTERN.test(s.NumberPrefix)) {
    problems.push(
      `NumberPrefix "${s.NumberPrefix}" must be a letter, up to 9 letters or digits, then "-" (like "CS-")`,
    );
  }
  if (problems.length) throw new ValidationError(problems.join('; '), { problems });
}

export function statusByName(s: CaseSettings, name: string): StatusSetting | undefined {
  return s.Statuses.find((st) => st.Name === name);
}

/** Unknown status: a 400 that lists the allowed ones. */
export function assertStatus(s: CaseSettings, name: string): void {
  if (!statusByName(s, name)) {
    throw new ValidationError(`Unknown status "${name}"; allowed: ${names(s.Statuses).join(', ')}`, {
      allowed: names(s.Statuses),
    });
  }
}

export function assertPriority(s: CaseSettings, name: string): void {
  if (!s.Priorities.some((p) => p.Name === name)) {
    throw new ValidationError(`Unknown priority "${name}"; allowed: ${names(s.Priorities).join(', ')}`, {
      allowed: names(s.Priorities),
    });
  }
}

/** Unknown tags named in a 400 at most; a request with 1,000 long ones would otherwise get a 300 KB message. */
export const MAX_NAMED_UNKNOWN_TAGS = 10;

export function assertTags(s: CaseSettings, tags: readonly string[]): void {
  const unknown = [...new Set(tags.filter((t) => !s.Tags.includes(t)))];
  if (unknown.length) {
    const named = unknown
      .slice(0, MAX_NAMED_UNKNOWN_TAGS)
      .map((t) => `"${t}"`)
      .join(', ');
    const more = unknown.length > MAX_NAMED_UNKNOWN_TAGS ? ` and ${unknown.length - MAX_NAMED_UNKNOWN_TAGS} more` : '';
    throw new ValidationError(
      `Unknown tag${unknown.length > 1 ? 's' : ''} ${named}${more}; allowed: ${s.Tags.join(', ') || '(none configured)'}`,
      { allowed: s.Tags },
    );
  }
}

const suggestions = new WeakMap<CaseSettings, Map<string, string | null>>();

/**
 * The next suggested status: the lowest level above the current one (ties broken by list order).
 * Null at the last level, or for a status no longer configured.
 */
export function nextSuggestedStatus(s: CaseSettings, current: string): string | null {
  // Every case in a response asks: answered once per settings object (they are shared and never changed).
  let known = suggestions.get(s);
  if (!known) suggestions.set(s, (known = new Map()));
  let next = known.get(current);
  if (next === undefined) {
    const cur = statusByName(s, current);
    const higher = cur ? s.Statuses.filter((st) => st.Level > cur.Level).sort((a, b) => a.Level - b.Level) : [];
    next = higher[0]?.Name ?? null;
    if (known.size < s.Statuses.length + 16) known.set(current, next);
  }
  return next;
}

/** A value of one of the order-case lists (Services, RequestReasonCodes, ResolutionCodes), or a 400 listing them. */
export function assertOrderCaseValue(
  s: CaseSettings,
  field: 'Service' | 'RequestReasonCode' | 'ResolutionCode',
  value: string,
): void {
  const list =
    field === 'Service'
      ? s.OrderCases.Services
      : field === 'RequestReasonCode'
        ? s.OrderCases.RequestReasonCodes
        : s.OrderCases.ResolutionCodes;
  if (!list.includes(value)) {
    throw new ValidationError(
      `Unknown ${field} "${value}"; allowed (case settings OrderCases): ${list.join(', ') || '(none configured)'}`,
      { allowed: list },
    );
  }
}
