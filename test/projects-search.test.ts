import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from './helpers/app.js';
import { PROJECT_SORT_KEYS } from '../src/projects/project-search.js';

interface P {
  id: number;
  projectTypeName: string;
  customer: { name: string | null; email: string | null } | null;
  partner: { name: string | null } | null;
  deadline: string | null;
  projectValue: string | null;
  storeContact: string | null;
  workflowStep: { index: number } | null;
  created: string;
  modified: string;
}

let t: TestApp;
let all: P[];
const types: Record<string, number> = {};

const search = async (body: Record<string, unknown>, key?: string) => {
  const r = await t.call('POST', '/api/Projects/SearchProjects', body, key ?? t.readKey);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as { result: P[]; totalHits: number; totalHitsExact: boolean; page: number; take: number };
};
const ids = (r: { result: P[] }) => r.result.map((p) => p.id);

beforeAll(async () => {
  t = await createTestApp('projectssearch');
  for (const [name, steps] of [
    ['beta', ['one', 'two', 'three']],
    ['alpha', ['first', 'second']],
    ['gamma', []],
  ] as const) {
    const r = await t.call('POST', '/api/Projects/ProjectTypes', {
      projectTypeName: name,
      workflowSteps: steps.map((s) => ({ id: s, name: s })),
      canHaveMultiplePartners: true,
    });
    types[name] = r.json.projectTypeId;
  }
  // Ties and empty values in every sort key.
  const specs: Record<string, unknown>[] = [
    {
      type: types.beta,
      name: 'Broken lamp',
      customer: { id: 'c1', name: 'carl' },
      partner: { id: 'p1', name: 'delta' },
      deadline: '2027-03-01T00:00:00Z',
      projectValue: '10.5',
      storeContact: 'maria',
      tags: ['vip'],
      storeId: 's1',
      relatedOrders: ['O-1'],
    },
    {
      type: types.alpha,
      name: 'Broken sofa',
      customer: { id: 'c2', name: 'anna' },
      partner: { id: 'p2', name: 'bravo' },
      deadline: '2027-01-01T00:00:00Z',
      projectValue: '10.5',
      storeContact: 'maria',
      partners: [{ id: 'p9', name: 'zulu' }],
    },
    {
      type: types.gamma,
      name: 'Missing chair',
      customer: { id: 'c3', email: 'bo@example.com' },
      deadline: null,
      projectValue: null,
      storeContact: null,
      tags: ['vip'],
      status: 'OnHold',
    },
    {
      type: types.beta,
      name: 'Missing table',
      customer: null,
      partner: { id: 'p3', name: 'bravo' },
      deadline: '2027-01-01T00:00:00Z',
      projectValue: '9.99',
      storeContact: 'ian',
      storeId: 's1',
    },
    {
      type: types.alpha,
      name: 'Scratched table',
      customer: { id: 'c1', name: 'carl' },
      partner: null,
      deadline: '2027-02-01T00:00:00Z',
      projectValue: '100',
      storeContact: '',
    },
    {
      type: types.beta,
      name: 'Returned desk',
      customer: { id: 'c4', name: 'Anna' },
      partner: { id: 'p4', name: 'Alpha' },
      deadline: null,
      projectValue: '-1',
      storeContact: 'Ian',
      relatedOrders: ['O-1', 'O-2'],
    },
    {
      type: types.gamma,
      name: 'Wrong colour',
      customer: { id: 'c5', name: 'zed' },
      partner: { id: 'p5', name: 'echo' },
      deadline: '2026-12-24T00:00:00Z',
      projectValue: '0',
      storeContact: 'olga',
    },
  ];
  for (const s of specs) {
    const r = await t.call('POST', '/api/Projects', s);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
  }
  // Move two projects on in their workflows (ProjectCurrentWorkflowStep), and give Created and Modified ties.
  const made = (await search({ take: 100 })).result;
  await t.call('POST', `/api/Projects/${made[0]!.id}/GoToWorkflowStep?stepId=three`);
  await t.call('POST', `/api/Projects/${made[3]!.id}/GoToWorkflowStep?stepId=two`);
  await sql`UPDATE projects SET created = '2026-06-01T00:00:00Z', modified = '2026-06-02T00:00:00Z' WHERE id IN (${made[1]!.id}, ${made[4]!.id}, ${made[6]!.id})`.execute(
    t.database.db,
  );
  await sql`UPDATE projects SET created = '2026-05-01T00:00:00Z' WHERE id = ${made[5]!.id}`.execute(t.database.db);
  all = (await search({ take: 100 })).result;
});
afterAll(async () => {
  await t?.close();
});

/** The sort key docs/projects.md describes, as a test computes it: text without letter case, null when empty. */
function keyOf(p: P, key: (typeof PROJECT_SORT_KEYS)[number]): string | number | null {
  const lower = (s: string | null | undefined) => (s ? s.toLowerCase() : null);
  switch (key) {
    case 'Created':
      return p.created;
    case 'Modified':
      return p.modified;
    case 'ProjectTypeName':
      return lower(p.projectTypeName);
    case 'Customer':
      return lower(p.customer?.name ?? p.customer?.email);
    case 'Partner':
      return lower(p.partner?.name);
    case 'ProjectDeadline':
      return p.deadline;
    case 'ProjectValue':
      return p.projectValue === null ? null : Number(p.projectValue);
    case 'ProjectStoreContact':
      return lower(p.storeContact);
    case 'ProjectCurrentWorkflowStep':
      return p.workflowStep?.index ?? null;
  }
}

function expectedOrder(key: (typeof PROJECT_SORT_KEYS)[number], descending: boolean): number[] {
  return [...all]
    .sort((a, b) => {
      const x = keyOf(a, key);
      const y = keyOf(b, key);
      if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
      const c = x < y ? -1 : x > y ? 1 : 0;
      return (descending ? -c : c) || a.id - b.id;
    })
    .map((p) => p.id);
}

describe('SearchProjects sort orders', () => {
  it('without a sort order, projects come in id order', async () => {
    expect(ids(await search({}))).toEqual([...all.map((p) => p.id)].sort((a, b) => a - b));
  });

  for (const key of PROJECT_SORT_KEYS) {
    for (const direction of ['Ascending', 'Descending'] as const) {
      it(`${key}${direction}: empty values last, ties by id ascending`, async () => {
        const expected = expectedOrder(key, direction === 'Descending');
        // The data must exercise the rule: at least one tie or one empty value for this key.
        const values = all.map((p) => keyOf(p, key));
        expect(values.includes(null) || new Set(values).size < values.length, `${key} has ties or empties`).toBe(true);
        expect(ids(await search({ sortOrder: `${key}${direction}`, take: 100 }))).toEqual(expected);
        // Pages of 3 give the same order without overlap.
        const paged: number[] = [];
        for (let page = 1; page <= 3; page++)
          paged.push(...ids(await search({ sortOrder: `${key}${direction}`, take: 3, page })));
        expect(paged).toEqual(expected);
      });
    }
  }
});

describe('SearchProjects filters and text', () => {
  it('free text matches every word as a prefix, stemmed, and a project number exactly', async () => {
    expect(ids(await search({ query: 'broken' })).length).toBe(2);
    expect(ids(await search({ query: 'BROK sofa' }))).toEqual([all[1]!.id]);
    expect(ids(await search({ query: 'tables' })).length).toBe(2);
    expect(ids(await search({ query: 'bo@example.com' }))).toEqual([all[2]!.id]);
    const number = (await t.call('GET', `/api/Projects/${all[4]!.id}`)).json.projectNumber;
    expect(ids(await search({ query: number }))).toEqual([all[4]!.id]);
    expect((await search({ query: 'nothingmatchesthis' })).totalHits).toBe(0);
    expect(ids(await search({ query: "'&|!:* ()" })).length).toBe(all.length);
  });

  it('text sorted by deadline (read from the narrow search table) keeps the sort rules, and follows edits', async () => {
    const broken = all.filter((p) => /broken|table/i.test((p as unknown as { name: string }).name)).map((p) => p.id);
    for (const direction of ['Ascending', 'Descending'] as const) {
      const expected = expectedOrder('ProjectDeadline', direction === 'Descending').filter((id) => broken.includes(id));
      const words = await search({ query: 'broken', sortOrder: `ProjectDeadline${direction}` });
      const tables = await search({ query: 'table', sortOrder: `ProjectDeadline${direction}` });
      expect([...ids(words), ...ids(tables)].sort()).toEqual([...expected].sort());
      expect(ids(words)).toEqual(expected.filter((id) => ids(words).includes(id)));
      expect(ids(tables)).toEqual(expected.filter((id) => ids(tables).includes(id)));
    }
    const p = await t.call('POST', '/api/Projects', { type: types.gamma, name: 'Unicycle wobble' });
    expect(ids(await search({ query: 'unicycle', sortOrder: 'ProjectDeadlineAscending' }))).toEqual([p.json.id]);
    await t.call('PATCH', '/api/Projects', { id: p.json.id, name: 'Tricycle wobble' });
    expect(ids(await search({ query: 'unicycle', sortOrder: 'ProjectDeadlineAscending' }))).toEqual([]);
    expect(ids(await search({ query: 'tricycle', sortOrder: 'ProjectDeadlineDescending' }))).toEqual([p.json.id]);
    await t.call('DELETE', `/api/Projects/${p.json.id}`);
    expect(ids(await search({ query: 'tricycle', sortOrder: 'ProjectDeadlineAscending' }))).toEqual([]);
  });

  it('a common word sorted by deadline: pages in order, totalHits exact up to 100 and then marked inexact', async () => {
    // 130 projects that all mention "walker", inserted in one statement (the trigger copies them to project_search).
    await sql`
      INSERT INTO projects (number, project_number, name, project_type_id, project_type_name, status, deadline)
      SELECT 900000 + g, 'PR-' || (900000 + g), 'Walker ' || g, ${types.gamma}, 'gamma', 'Active',
        CASE WHEN g % 10 = 0 THEN NULL ELSE timestamptz '2027-01-01' + (g % 7) * interval '1 day' END
      FROM generate_series(1, 130) g`.execute(t.database.db);
    const { rows } = await sql<{ id: string }>`
      SELECT id FROM projects WHERE name LIKE 'Walker %'
      ORDER BY deadline ASC NULLS LAST, id ASC`.execute(t.database.db);
    const expected = rows.map((r) => Number(r.id));
    const first = await search({ query: 'walker', sortOrder: 'ProjectDeadlineAscending', take: 50 });
    expect(first).toMatchObject({ totalHits: 100, totalHitsExact: false });
    const pages = [...ids(first)];
    for (const page of [2, 3]) {
      pages.push(...ids(await search({ query: 'walker', sortOrder: 'ProjectDeadlineAscending', take: 50, page })));
    }
    expect(pages).toEqual(expected);
    const few = await search({ query: 'walker 7', sortOrder: 'ProjectDeadlineAscending', take: 100 });
    expect(few).toMatchObject({ totalHitsExact: true });
    expect(ids(few).length).toBe(few.totalHits);
    await sql`DELETE FROM projects WHERE name LIKE 'Walker %'`.execute(t.database.db);
    expect((await search({ query: 'walker', sortOrder: 'ProjectDeadlineAscending' })).totalHits).toBe(0);
  });

  it('filters by type, status, workflow step, customer, partner, store, tag and related order', async () => {
    expect(ids(await search({ type: types.alpha }))).toEqual([all[1]!.id, all[4]!.id]);
    expect(ids(await search({ status: 'OnHold' }))).toEqual([all[2]!.id]);
    expect(ids(await search({ workflowStepId: 'three' }))).toEqual([all[0]!.id]);
    expect(ids(await search({ customerId: 'c1' }))).toEqual([all[0]!.id, all[4]!.id]);
    expect(ids(await search({ partnerId: 'p9' }))).toEqual([all[1]!.id]);
    expect(ids(await search({ storeId: 's1' }))).toEqual([all[0]!.id, all[3]!.id]);
    expect(ids(await search({ tag: 'vip' }))).toEqual([all[0]!.id, all[2]!.id]);
    expect(ids(await search({ relatedOrder: 'O-1' }))).toEqual([all[0]!.id, all[5]!.id]);
    expect(ids(await search({ tag: 'vip', storeId: 's1', query: 'lamp' }))).toEqual([all[0]!.id]);
  });

  it('reports totalHits, page and take', async () => {
    const r = await search({ take: 2, page: 2 });
    expect(r).toMatchObject({ totalHits: all.length, totalHitsExact: true, page: 2, take: 2 });
    expect(r.result.length).toBe(2);
    const last = await search({ take: 5, page: 2 });
    expect(last.totalHits).toBe(all.length);
    expect((await search({ take: 5, page: 9 })).result).toEqual([]);
  });

  it('refuses bad input with a 400 and a message', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ take: 101 }, /take must be at most 100/],
      [{ take: 0 }, /take/],
      [{ page: 0 }, /page/],
      [{ take: 100, page: 101 }, /10,000th hit/],
      [{ sortOrder: 'NameAscending' }, /sortOrder/],
      [{ query: 5 }, /query/],
      [{ color: 'red' }, /color.*not a known field/],
    ];
    for (const [body, message] of bad) {
      const r = await t.call('POST', '/api/Projects/SearchProjects', body, t.readKey);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message, JSON.stringify(body)).toMatch(message);
    }
  });
});
