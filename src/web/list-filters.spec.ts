import { describe, expect, it } from 'vitest';
import { EMPTY, PAGE_SIZE, searchBody } from './list-filters.js';

describe('the search request of the list filters', () => {
  it('with no filter asks for the first page in the chosen order only', () => {
    expect(searchBody(EMPTY, 'me')).toEqual({ SortOrder: 'CreatedDescending', Page: 0, Take: PAGE_SIZE });
  });

  it('one status is Status, several are Statuses', () => {
    expect(searchBody({ ...EMPTY, statuses: ['New'] }, 'me')).toMatchObject({ Status: 'New' });
    const several = searchBody({ ...EMPTY, statuses: ['New', 'Reopened'] }, 'me');
    expect(several).toMatchObject({ Statuses: ['New', 'Reopened'] });
    expect(several).not.toHaveProperty('Status');
  });

  it('My cases wins over Unassigned only, which wins over a chosen assignee', () => {
    const all = { ...EMPTY, mine: true, unassigned: true, assignee: 'u2' };
    expect(searchBody(all, 'me')).toMatchObject({ AssignedToUserId: 'me' });
    expect(searchBody({ ...all, mine: false }, 'me')).toMatchObject({ Unassigned: true });
    expect(searchBody({ ...all, mine: false }, 'me')).not.toHaveProperty('AssignedToUserId');
    expect(searchBody({ ...all, mine: false, unassigned: false }, 'me')).toMatchObject({ AssignedToUserId: 'u2' });
  });

  it('text and customer are searched together; dates, tag and order map to their fields', () => {
    const body = searchBody(
      {
        ...EMPTY,
        text: ' refund ',
        customer: 'ann@example.com',
        tag: 'vip',
        createdFrom: '2026-01-01',
        createdTo: '2026-01-31',
        changedFrom: '2026-02-01',
        changedTo: '2026-02-28',
        order: ' 12345 ',
        page: 2,
      },
      'me',
    );
    expect(body).toEqual({
      SortOrder: 'CreatedDescending',
      Page: 2,
      Take: PAGE_SIZE,
      SearchText: 'refund ann@example.com',
      Tags: ['vip'],
      DateFrom: '2026-01-01',
      DateTo: '2026-01-31',
      ChangedFrom: '2026-02-01',
      ChangedTo: '2026-02-28',
      OrderId: '12345',
    });
  });
});
