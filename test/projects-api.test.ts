import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let typeId: number;
let finishingTypeId: number;

beforeAll(async () => {
  t = await createTestApp('projectsapi');
  const type = await t.call('POST', '/api/Projects/ProjectTypes', {
    projectTypeName: 'Claim',
    workflowSteps: [
      { id: 'registered', name: 'Registered' },
      { id: 'inspected', name: 'Inspected', hiddenFromCustomer: true },
      { id: 'settled', name: 'Settled' },
    ],
    referenceTypes: ['Damaged', 'Missing'],
    canHaveMultiplePartners: true,
    finishOnLastStep: true,
    defaultOrderType: 'Replacement',
  });
  expect(type.status, JSON.stringify(type.json)).toBe(201);
  typeId = type.json.projectTypeId;
  const other = await t.call('POST', '/api/Projects/ProjectTypes', {
    projectTypeName: 'Return',
    workflowSteps: [{ name: 'Open' }, { name: 'Closed' }],
  });
  finishingTypeId = other.json.projectTypeId;
});
afterAll(async () => {
  await t?.close();
});

const create = async (body: Record<string, unknown> = {}) => {
  const r = await t.call('POST', '/api/Projects', { type: typeId, name: 'Damaged sofa', ...body });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
};

describe('project types', () => {
  it('are created with ordered steps, listed, read and replaced; a renamed type renames it on its projects', async () => {
    const got = await t.call('GET', `/api/Projects/ProjectTypes/${typeId}`, undefined, t.readKey);
    expect(got.status).toBe(200);
    expect(got.json.workflowSteps.map((s: { id: string; index: number }) => [s.id, s.index])).toEqual([
      ['registered', 0],
      ['inspected', 1],
      ['settled', 2],
    ]);
    expect(got.json.workflowSteps[1].hiddenFromCustomer).toBe(true);
    const list = await t.call('GET', '/api/Projects/ProjectTypes', undefined, t.readKey);
    expect(list.json.map((x: { projectTypeId: number }) => x.projectTypeId)).toEqual([typeId, finishingTypeId]);

    const tmp = await t.call('POST', '/api/Projects/ProjectTypes', { projectTypeName: 'Temp' });
    const p = await create({ type: tmp.json.projectTypeId });
    const put = await t.call('PUT', '/api/Projects/ProjectTypes', {
      projectTypeId: tmp.json.projectTypeId,
      projectTypeName: 'Renamed',
      workflowSteps: [
        { name: 'B', index: 2 },
        { name: 'A', index: 1 },
      ],
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.workflowSteps.map((s: { name: string }) => s.name)).toEqual(['A', 'B']);
    expect((await t.call('GET', `/api/Projects/${p.id}`)).json.projectTypeName).toBe('Renamed');
  });

  it('refuse bad input with a 4xx and a message; an unknown type is a 404; writing needs admin', async () => {
    const dup = await t.call('POST', '/api/Projects/ProjectTypes', {
      projectTypeName: 'X',
      workflowSteps: [
        { id: 'a', name: 'A' },
        { id: 'a', name: 'B' },
      ],
    });
    expect(dup.status).toBe(400);
    expect(dup.json.message).toMatch(/"a" is used twice/);
    const unknownField = await t.call('POST', '/api/Projects/ProjectTypes', { projectTypeName: 'X', colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.message).toMatch(/colour/);
    expect((await t.call('GET', '/api/Projects/ProjectTypes/999999')).status).toBe(404);
    expect((await t.call('GET', '/api/Projects/ProjectTypes/abc')).status).toBe(404);
    const put = await t.call('PUT', '/api/Projects/ProjectTypes', { projectTypeId: 999999, projectTypeName: 'X' });
    expect(put.status).toBe(404);
    const ro = await t.call('POST', '/api/Projects/ProjectTypes', { projectTypeName: 'X' }, t.readKey);
    expect(ro.status).toBe(403);
  });
});

describe('projects: create, get, PUT, PATCH, delete', () => {
  it('creates a project with a number, its type workflow at the first step and exact decimal quantities', async () => {
    const p = await create({
      customer: { id: 'c-1', name: 'Ann Example', email: 'ann@example.com' },
      partner: { id: 'pt-1', name: 'Fix-It Ltd', email: 'fix@example.com', phone: '+46 8 123', role: 'Repairer' },
      storeId: 'store-1',
      storeContact: 'Bo',
      deadline: '2027-01-31T12:00:00Z',
      projectValue: 0.1,
      projectBudgetValue: '1234567890123456.123456',
      tags: ['vip', 'vip', ' claims '],
      comments: 'For the partner',
      customerComments: 'For the customer',
      properties: [{ key: 'channel', value: 'web' }],
      relatedOrders: ['O-1'],
      products: [
        { skuId: 'SKU-1', name: 'Sofa', productId: 'P-1', quantity: 0.1, referenceType: 'Damaged' },
        { skuId: 'SKU-2', quantity: '2.500', orderType: 'Refund', orderId: 'O-1' },
      ],
    });
    expect(p.projectNumber).toMatch(/^PR-\d+$/);
    expect(p.type).toBe(typeId);
    expect(p.projectTypeName).toBe('Claim');
    expect(p.status).toBe('Active');
    expect(p.workflowStep).toMatchObject({ id: 'registered', current: true, dateCompleted: null });
    expect(p.workflowStep.startDate).toBe(p.created);
    expect(p.workflowSteps.map((s: { current: boolean }) => s.current)).toEqual([true, false, false]);
    expect(p.customer).toEqual({ id: 'c-1', name: 'Ann Example', email: 'ann@example.com' });
    expect(p.partners).toEqual([p.partner]);
    expect(p.projectValue).toBe('0.1');
    expect(p.projectBudgetValue).toBe('1234567890123456.123456');
    expect(p.tags).toEqual(['vip', 'claims']);
    expect(p.products).toEqual([
      {
        name: 'Sofa',
        skuId: 'SKU-1',
        productId: 'P-1',
        quantity: '0.1',
        status: 'Active',
        cancellationCode: null,
        cancellationReason: null,
        properties: [],
        referenceType: 'Damaged',
        orderType: 'Replacement',
        orderId: null,
      },
      expect.objectContaining({ skuId: 'SKU-2', quantity: '2.5', orderType: 'Refund', orderId: 'O-1' }),
    ]);
    const got = await t.call('GET', `/api/Projects/${p.id}`, undefined, t.readKey);
    expect(got.json).toEqual(p);
    expect((await t.call('GET', `/api/Projects/${p.projectNumber.toLowerCase()}`)).json.id).toBe(p.id);
  });

  it('refuses bad input with a 400 naming the problem', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: 999999 }, /no project type 999999/],
      [{ type: 'one' }, /type/],
      [{ colour: 'red' }, /colour.*not a known field/],
      [{ products: [{ skuId: 'A', quantity: 1, extra: 1 }] }, /extra/],
      [{ products: [{ skuId: 'A', quantity: 'lots' }] }, /quantity/],
      [{ products: [{ skuId: 'A', quantity: -1 }] }, /must not be negative/],
      [{ products: [{ skuId: 'A', quantity: '1.1234567' }] }, /6 after it/],
      [
        {
          products: [
            { skuId: 'A', quantity: 1 },
            { skuId: 'A', quantity: 2 },
          ],
        },
        /"A" is listed twice/,
      ],
      [{ products: [{ skuId: 'A', quantity: 1, referenceType: 'Lost' }] }, /"Lost" is not one of/],
      [{ deadline: '2027-02-30T00:00:00Z' }, /deadline/],
      [{ projectNumber: 'PR-1' }, /projectNumber/],
    ];
    for (const [body, message] of cases) {
      const r = await t.call('POST', '/api/Projects', { type: typeId, ...body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message, JSON.stringify(body)).toMatch(message);
    }
    const one = await t.call('POST', '/api/Projects', {
      type: finishingTypeId,
      partners: [{ id: 'a' }, { id: 'b' }],
    });
    expect(one.status).toBe(400);
    expect(one.json.message).toMatch(/allows one partner/);
    expect((await t.call('POST', '/api/Projects', { type: typeId }, t.readKey)).status).toBe(403);
    expect((await t.call('GET', '/api/Projects/999999')).status).toBe(404);
    expect((await t.call('GET', '/api/Projects/not-a-project')).status).toBe(404);
  });

  it('PUT replaces every editable field (absent ones cleared, products too) and ignores server-owned ones', async () => {
    const p = await create({ storeId: 's', tags: ['a'], products: [{ skuId: 'A', quantity: 1 }] });
    const r = await t.call('PUT', '/api/Projects', {
      ...p,
      name: 'Renamed',
      storeId: undefined,
      tags: undefined,
      products: undefined,
      relatedCases: ['x'],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      name: 'Renamed',
      storeId: null,
      tags: [],
      products: [],
      relatedCases: [],
      status: 'Active',
    });
    expect(r.json.projectNumber).toBe(p.projectNumber);
    expect(Date.parse(r.json.modified)).toBeGreaterThanOrEqual(Date.parse(p.modified));
  });

  it('PATCH applies only non-null fields, and a products list replaces the whole list', async () => {
    const p = await create({
      storeId: 's-1',
      products: [
        { skuId: 'A', quantity: 1 },
        { skuId: 'B', quantity: 2 },
      ],
    });
    const keep = await t.call('PATCH', '/api/Projects', { id: p.id, storeContact: 'Cy', storeId: null });
    expect(keep.json).toMatchObject({ storeId: 's-1', storeContact: 'Cy' });
    expect(keep.json.products.map((x: { skuId: string }) => x.skuId)).toEqual(['A', 'B']);
    const replaced = await t.call('PATCH', '/api/Projects', {
      id: p.id,
      products: [{ skuId: 'C', quantity: '0.3' }],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json.products).toEqual([expect.objectContaining({ skuId: 'C', quantity: '0.3' })]);
    const emptied = await t.call('PATCH', '/api/Projects', { id: p.id, products: [] });
    expect(emptied.json.products).toEqual([]);
    expect((await t.call('PATCH', '/api/Projects', { id: 999999, name: 'x' })).status).toBe(404);
  });

  it('a new type restarts the workflow at its first step, logged', async () => {
    const p = await create();
    const r = await t.call('PATCH', '/api/Projects', { id: p.id, type: finishingTypeId });
    expect(r.json.projectTypeName).toBe('Return');
    expect(r.json.workflowStep.name).toBe('Open');
    expect(r.json.workflowLog).toEqual([expect.objectContaining({ action: 'TypeChanged', fromStepId: 'registered' })]);
  });

  it('soft delete: GET answers 404, search finds it only with includeDeleted, a second delete is 404', async () => {
    const p = await create({ name: 'Deleted zeppelin' });
    expect((await t.call('DELETE', `/api/Projects/${p.id}`, undefined, t.readKey)).status).toBe(403);
    expect((await t.call('DELETE', `/api/Projects/${p.id}`)).status).toBe(204);
    expect((await t.call('GET', `/api/Projects/${p.id}`)).status).toBe(404);
    expect((await t.call('DELETE', `/api/Projects/${p.id}`)).status).toBe(404);
    const live = await t.call('POST', '/api/Projects/SearchProjects', { query: 'zeppelin' }, t.readKey);
    expect(live.json.totalHits).toBe(0);
    const all = await t.call('POST', '/api/Projects/SearchProjects', { query: 'zeppelin', includeDeleted: true });
    expect(all.json.result.map((x: { id: number }) => x.id)).toEqual([p.id]);
    expect(all.json.result[0].deleted).not.toBeNull();
  });
});

describe('UpdateProjectProductStatus', () => {
  const products = [
    { skuId: 'A', quantity: 1 },
    { skuId: 'B', quantity: 2 },
    { skuId: 'C', quantity: 3 },
  ];

  it('sets statuses by skuId and returns the project', async () => {
    const p = await create({ products });
    const r = await t.call('POST', '/api/Projects/UpdateProjectProductStatus', {
      projectId: p.id,
      productStatusUpdates: [{ skuId: 'B', status: 'Cancelled', cancellationCode: 'X1', cancellationReason: 'Gone' }],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.products.map((x: { status: string }) => x.status)).toEqual(['Active', 'Cancelled', 'Active']);
    expect(r.json.products[1]).toMatchObject({ cancellationCode: 'X1', cancellationReason: 'Gone', quantity: '2' });
  });

  it('an unknown skuId is a 400 naming it and nothing changes; an unknown project is a 404', async () => {
    const p = await create({ products });
    const r = await t.call('POST', '/api/Projects/UpdateProjectProductStatus', {
      projectId: p.id,
      productStatusUpdates: [
        { skuId: 'A', status: 'Cancelled' },
        { skuId: 'NOPE', status: 'Cancelled' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/"NOPE"/);
    expect(r.json.details).toEqual({ skuIds: ['NOPE'] });
    const after = await t.call('GET', `/api/Projects/${p.id}`);
    expect(after.json.products.map((x: { status: string }) => x.status)).toEqual(['Active', 'Active', 'Active']);
    const missing = await t.call('POST', '/api/Projects/UpdateProjectProductStatus', {
      projectId: 999999,
      productStatusUpdates: [{ skuId: 'A', status: 'Cancelled' }],
    });
    expect(missing.status).toBe(404);
    const ro = await t.call(
      'POST',
      '/api/Projects/UpdateProjectProductStatus',
      { projectId: p.id, productStatusUpdates: [{ skuId: 'A', status: 'X' }] },
      t.readKey,
    );
    expect(ro.status).toBe(403);
  });

  it('concurrent updates of different SKUs of one project all survive', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ skuId: `S${i}`, quantity: i }));
    const p = await create({ products: many });
    const results = await Promise.all(
      many.map((m) =>
        t.call('POST', '/api/Projects/UpdateProjectProductStatus', {
          projectId: p.id,
          productStatusUpdates: [{ skuId: m.skuId, status: `Done-${m.skuId}` }],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const after = await t.call('GET', `/api/Projects/${p.id}`);
    expect(after.json.products.map((x: { status: string }) => x.status)).toEqual(many.map((m) => `Done-${m.skuId}`));
  });
});

describe('workflow', () => {
  it('GoToWorkflowStep moves to any step, completes the ones before, and the last step finishes the project (logged)', async () => {
    const p = await create();
    const r = await t.call('POST', `/api/Projects/${p.id}/GoToWorkflowStep?stepId=inspected&reason=photos`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.workflowStep.id).toBe('inspected');
    expect(r.json.workflowSteps[0].dateCompleted).not.toBeNull();
    expect(r.json.workflowSteps[2].startDate).toBeNull();
    expect(r.json.workflowLog).toEqual([
      expect.objectContaining({
        action: 'GoToWorkflowStep',
        fromStepId: 'registered',
        toStepId: 'inspected',
        reason: 'photos',
        createdBy: 'test-admin',
      }),
    ]);
    const last = await t.call('POST', `/api/Projects/${p.id}/GoToWorkflowStep?stepId=settled`);
    expect(last.json.status).toBe('Finished');
    expect(last.json.workflowStep.dateCompleted).not.toBeNull();
    const back = await t.call('POST', `/api/Projects/${p.id}/GoToWorkflowStep?stepId=registered`);
    expect(back.json.status).toBe('Active');
    expect(back.json.workflowSteps.map((s: { dateCompleted: string | null }) => s.dateCompleted)).toEqual([
      null,
      null,
      null,
    ]);
    const bad = await t.call('POST', `/api/Projects/${p.id}/GoToWorkflowStep?stepId=nowhere`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/"nowhere" is not a step/);
    expect((await t.call('POST', `/api/Projects/999999/GoToWorkflowStep?stepId=x`)).status).toBe(404);
  });

  it('Accept moves to the next step; Decline logs and stays; a type without finishOnLastStep does not finish', async () => {
    const p = await create({ type: finishingTypeId });
    const declined = await t.call('POST', `/api/Projects/${p.id}/Decline?reason=too%20expensive`);
    expect(declined.json.workflowStep.name).toBe('Open');
    const accepted = await t.call('POST', `/api/Projects/${p.id}/Accept`);
    expect(accepted.json.workflowStep.name).toBe('Closed');
    expect(accepted.json.status).toBe('Active');
    const lastAccept = await t.call('POST', `/api/Projects/${p.id}/Accept`);
    expect(lastAccept.json.workflowStep.dateCompleted).not.toBeNull();
    expect(lastAccept.json.status).toBe('Active');
    expect(
      lastAccept.json.workflowLog.map((l: { action: string; reason: string | null }) => [l.action, l.reason]),
    ).toEqual([
      ['Decline', 'too expensive'],
      ['Accept', null],
      ['Accept', null],
    ]);
    expect((await t.call('POST', `/api/Projects/${p.id}/Accept`)).status).toBe(409);
  });

  it('Accept on the last step of a finishOnLastStep type finishes the project', async () => {
    const p = await create();
    await t.call('POST', `/api/Projects/${p.id}/Accept`);
    const r = await t.call('POST', `/api/Projects/${p.id}/Accept`);
    expect(r.json.workflowStep.id).toBe('settled');
    expect(r.json.status).toBe('Finished');
  });
});

describe('parts, change orders and transactions', () => {
  it('adds, updates and removes project parts', async () => {
    const p = await create();
    const added = await t.call('POST', `/api/Projects/${p.id}/ProjectParts`, {
      title: 'New legs',
      cartIds: ['K-1'],
      properties: [{ key: 'k', value: 'v' }],
    });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    const part = added.json.projectParts[0];
    expect(part).toMatchObject({ title: 'New legs', status: 'Sent', cartIds: ['K-1'] });
    const updated = await t.call('PUT', `/api/Projects/${p.id}/ProjectParts/${part.id}`, {
      title: 'Legs',
      status: 'Rejected',
    });
    expect(updated.json.projectParts[0]).toMatchObject({ id: part.id, title: 'Legs', status: 'Rejected', cartIds: [] });
    const bad = await t.call('PUT', `/api/Projects/${p.id}/ProjectParts/${part.id}`, {
      title: 'Legs',
      status: 'Maybe',
    });
    expect(bad.status).toBe(400);
    expect((await t.call('DELETE', `/api/Projects/${p.id}/ProjectParts/${part.id}`)).json.projectParts).toEqual([]);
    expect((await t.call('DELETE', `/api/Projects/${p.id}/ProjectParts/${part.id}`)).status).toBe(404);
  });

  it('a change order records when and by whom it was approved', async () => {
    const p = await create();
    const added = await t.call('POST', `/api/Projects/${p.id}/ChangeOrders`, { title: 'Extra cushion' });
    const co = added.json.changeOrders[0];
    expect(co).toMatchObject({ status: 'Sent', approved: null, approvedBy: null });
    const approved = await t.call('PUT', `/api/Projects/${p.id}/ChangeOrders/${co.id}`, {
      title: 'Extra cushion',
      status: 'Approved',
    });
    expect(approved.json.changeOrders[0].approvedBy).toBe('test-admin');
    expect(approved.json.changeOrders[0].approved).not.toBeNull();
    // A change order is not a project part.
    expect((await t.call('DELETE', `/api/Projects/${p.id}/ProjectParts/${co.id}`)).status).toBe(404);
  });

  it('computes transactionSummary exactly from the transactions', async () => {
    const p = await create();
    expect(p.transactionSummary).toMatchObject({ totalCost: '0', costDeviationPercent: null });
    await t.call('POST', `/api/Projects/${p.id}/Transactions`, {
      description: 'a',
      cost: 0.1,
      revenue: '100',
      budgetCost: 0.2,
      budgetRevenue: 80,
    });
    const second = await t.call('POST', `/api/Projects/${p.id}/Transactions`, { cost: 0.2, budgetCost: '0.1' });
    expect(second.status).toBe(201);
    expect(second.json.transactionSummary).toEqual({
      totalCost: '0.3',
      totalRevenue: '100',
      totalBudgetCost: '0.3',
      totalBudgetRevenue: '80',
      result: '99.7',
      budgetResult: '79.7',
      costDeviationPercent: '0',
      revenueDeviationPercent: '25',
      resultDeviationPercent: '25.09',
    });
    const tx = second.json.transactions[1];
    const upd = await t.call('PUT', `/api/Projects/${p.id}/Transactions/${tx.id}`, { cost: 0.5 });
    expect(upd.json.transactionSummary.totalCost).toBe('0.6');
    expect(upd.json.transactionSummary.costDeviationPercent).toBe('200');
    const del = await t.call('DELETE', `/api/Projects/${p.id}/Transactions/${tx.id}`);
    expect(del.json.transactionSummary.totalCost).toBe('0.1');
    const sent = await t.call('POST', `/api/Projects/${p.id}/Transactions`, { cost: 1, transactionSummary: {} });
    expect(sent.status).toBe(400);
  });
});

describe('cases and projects', () => {
  it('POST /api/cases/{id}/projects creates a project linked both ways with the case customer and orders', async () => {
    const c = (
      await t.call('POST', '/api/cases', {
        Subject: 'Sofa arrived broken',
        CustomerName: 'Ann',
        CustomerEmail: 'ann@example.com',
        RelatedOrders: ['O-9'],
      })
    ).json;
    const r = await t.call('POST', `/api/cases/${c.CaseNumber}/projects`, { projectTypeId: typeId });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json).toMatchObject({
      name: 'Sofa arrived broken',
      relatedCases: [c.Id],
      relatedOrders: ['O-9'],
      customer: { id: null, name: 'Ann', email: 'ann@example.com' },
    });
    const after = (await t.call('GET', `/api/cases/${c.Id}`)).json;
    expect(after.RelatedProjects).toEqual([String(r.json.id)]);
    const unknownType = await t.call('POST', `/api/cases/${c.Id}/projects`, { projectTypeId: 999999 });
    expect(unknownType.status).toBe(400);
    expect((await t.call('GET', `/api/cases/${c.Id}`)).json.RelatedProjects).toEqual([String(r.json.id)]);
    expect((await t.call('POST', `/api/cases/CS-999999/projects`, { projectTypeId: typeId })).status).toBe(404);
  });

  it('link and unlink keep both sides in step and are idempotent', async () => {
    const c = (await t.call('POST', '/api/cases', { Subject: 'Link me' })).json;
    const p = await create();
    const linked = await t.call('POST', `/api/cases/${c.Id}/projects/${p.id}`);
    expect(linked.status).toBe(200);
    expect(linked.json.relatedCases).toEqual([c.Id]);
    await t.call('POST', `/api/cases/${c.Id}/projects/${p.projectNumber}`);
    expect((await t.call('GET', `/api/cases/${c.Id}`)).json.RelatedProjects).toEqual([String(p.id)]);
    const byCase = await t.call('POST', '/api/Projects/SearchProjects', { relatedCase: c.Id });
    expect(byCase.json.result.map((x: { id: number }) => x.id)).toEqual([p.id]);
    const unlinked = await t.call('DELETE', `/api/cases/${c.Id}/projects/${p.id}`);
    expect(unlinked.json.relatedCases).toEqual([]);
    expect((await t.call('GET', `/api/cases/${c.Id}`)).json.RelatedProjects).toEqual([]);
    expect((await t.call('DELETE', `/api/cases/${c.Id}/projects/${p.id}`)).status).toBe(200);
    expect((await t.call('POST', `/api/cases/${c.Id}/projects/999999`)).status).toBe(404);
    expect((await t.call('POST', `/api/cases/${c.Id}/projects/${p.id}`, undefined, t.readKey)).status).toBe(403);
  });
});

describe('OpenAPI', () => {
  it('/swagger/json lists every projects endpoint with the claim it needs', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/swagger/json' })).json();
    const expected: [string, string][] = [
      ['get', '/api/Projects/ProjectTypes'],
      ['post', '/api/Projects/ProjectTypes'],
      ['put', '/api/Projects/ProjectTypes'],
      ['get', '/api/Projects/ProjectTypes/{id}'],
      ['get', '/api/Projects/{id}'],
      ['post', '/api/Projects'],
      ['put', '/api/Projects'],
      ['patch', '/api/Projects'],
      ['delete', '/api/Projects/{id}'],
      ['post', '/api/Projects/UpdateProjectProductStatus'],
      ['post', '/api/Projects/SearchProjects'],
      ['post', '/api/Projects/{id}/GoToWorkflowStep'],
      ['post', '/api/Projects/{id}/Accept'],
      ['post', '/api/Projects/{id}/Decline'],
      ['post', '/api/Projects/{id}/ProjectParts'],
      ['put', '/api/Projects/{id}/ProjectParts/{itemId}'],
      ['delete', '/api/Projects/{id}/ProjectParts/{itemId}'],
      ['post', '/api/Projects/{id}/ChangeOrders'],
      ['put', '/api/Projects/{id}/ChangeOrders/{itemId}'],
      ['delete', '/api/Projects/{id}/ChangeOrders/{itemId}'],
      ['post', '/api/Projects/{id}/Transactions'],
      ['put', '/api/Projects/{id}/Transactions/{itemId}'],
      ['delete', '/api/Projects/{id}/Transactions/{itemId}'],
      ['post', '/api/cases/{id}/projects'],
      ['post', '/api/cases/{id}/projects/{projectId}'],
      ['delete', '/api/cases/{id}/projects/{projectId}'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.summary, `${method} ${path}`).toMatch(/Needs: (cases:read|admin)$/);
      expect(op.tags).toContain('Projects');
    }
  });
});
