// The case list's filters and the search request they make (POST /api/cases/search).

/** Cases per page of the list. */
export const PAGE_SIZE = 25;

export interface Filters {
  text: string;
  statuses: string[];
  priority: string;
  assignee: string;
  tag: string;
  createdFrom: string;
  createdTo: string;
  changedFrom: string;
  changedTo: string;
  customer: string;
  order: string;
  mine: boolean;
  unassigned: boolean;
  sort: string;
  page: number;
}

export const EMPTY: Filters = {
  text: '',
  statuses: [],
  priority: '',
  assignee: '',
  tag: '',
  createdFrom: '',
  createdTo: '',
  changedFrom: '',
  changedTo: '',
  customer: '',
  order: '',
  mine: false,
  unassigned: false,
  sort: 'CreatedDescending',
  page: 0,
};

const FILTERS_KEY = 'intake.list.filters';

export function saveFilters(filters: Filters): void {
  sessionStorage.setItem(FILTERS_KEY, JSON.stringify(filters));
}

export function loadFilters(): Filters {
  try {
    return { ...EMPTY, ...(JSON.parse(sessionStorage.getItem(FILTERS_KEY) ?? '{}') as Partial<Filters>) };
  } catch {
    return EMPTY;
  }
}

/** The search request of the filters (POST /api/cases/search); the customer is found by email or by name. */
export function searchBody(f: Filters, userId: string): Record<string, unknown> {
  const text = [f.text.trim(), f.customer.trim()].filter(Boolean).join(' ');
  const body: Record<string, unknown> = { SortOrder: f.sort, Page: f.page, Take: PAGE_SIZE };
  if (text) body.SearchText = text;
  if (f.statuses.length === 1) body.Status = f.statuses[0];
  if (f.statuses.length > 1) body.Statuses = f.statuses;
  if (f.priority) body.Priority = f.priority;
  if (f.mine) body.AssignedToUserId = userId;
  else if (f.unassigned) body.Unassigned = true;
  else if (f.assignee) body.AssignedToUserId = f.assignee;
  if (f.tag) body.Tags = [f.tag];
  if (f.createdFrom) body.DateFrom = f.createdFrom;
  if (f.createdTo) body.DateTo = f.createdTo;
  if (f.changedFrom) body.ChangedFrom = f.changedFrom;
  if (f.changedTo) body.ChangedTo = f.changedTo;
  if (f.order.trim()) body.OrderId = f.order.trim();
  return body;
}
