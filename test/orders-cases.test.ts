import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('orderscases');
  const lines = [1, 2, 3].map((n) => ({ LineNumber: n, SkuId: `SKU-${n}`, Name: `Item ${n}`, Quantity: n + 0.5 }));
  const r = await t.call('PUT', '/api/orders/bulk', {
    Orders: ['12345', '12346', '12347'].map((n) => ({
      OrderNumber: n,
      CustomerId: 'C-1',
      CustomerName: 'Ann Example',
      CustomerEmail: 'ann@example.com',
      MarketId: 'DE',
      Lines: lines,
    })),
  });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

interface Line {
  LineNumber: number;
  OrderNumber: string;
  OrderLineNumber: number | null;
  State: string;
  StateLog: { State: string }[];
  [k: string]: unknown;
}
const lineSummary = (lines: Line[]) => lines.map((l) => [l.LineNumber, l.OrderNumber, l.OrderLineNumber, l.State]);

async function ok(method: string, url: string, body?: unknown, status = 200) {
  const r = await t.call(method, url, body);
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  return r.json;
}

describe('creating order cases', () => {
  it('from an order: a MultipleOrders draft with the order as line item, filled from the order', async () => {
    const c = await ok('POST', '/api/orders/12345/case', {}, 201);
    expect(c.CaseType).toBe('Order');
    expect(c.Subject).toBe('Order #12345');
    expect(c.CustomerEmail).toBe('ann@example.com');
    expect(c.MarketId).toBe('DE');
    expect(c.RelatedOrders).toEqual(['12345']);
    expect(c.OrderCase).toMatchObject({
      Scope: 'MultipleOrders',
      OrderNumber: null,
      State: 'Draft',
      Account: { Id: 'C-1', Name: 'Ann Example', Email: 'ann@example.com' },
    });
    expect(lineSummary(c.CaseLines)).toEqual([[1, '12345', null, 'Draft']]);
    const got = await ok('GET', `/api/cases/${c.CaseNumber}`);
    expect(got.CaseLines).toEqual(c.CaseLines);
  });

  it('from an order with Lines: a SpecificLineItems case with those lines, quantities exact', async () => {
    const c = await ok('POST', '/api/orders/12345/case', { Lines: [1, 3], RequestReasonCode: 'Damaged item' }, 201);
    expect(c.OrderCase).toMatchObject({
      Scope: 'SpecificLineItems',
      OrderNumber: '12345',
      RequestReasonCode: 'Damaged item',
    });
    expect(lineSummary(c.CaseLines)).toEqual([
      [1, '12345', 1, 'Draft'],
      [2, '12345', 3, 'Draft'],
    ]);
    expect(c.CaseLines.map((l: Line) => [l.SkuId, l.OrderedQuantity])).toEqual([
      ['SKU-1', '1.5'],
      ['SKU-3', '3.5'],
    ]);
  });

  it('from scratch with POST /api/cases, both scopes, Service from the settings list', async () => {
    const multi = await ok(
      'POST',
      '/api/cases',
      { CaseType: 'Order', Subject: 'Two orders late', Orders: ['12345', '12346'], Service: 'Sales Order Dispute' },
      201,
    );
    expect(multi.OrderCase.Scope).toBe('MultipleOrders');
    expect(multi.OrderCase.Service).toBe('Sales Order Dispute');
    expect(lineSummary(multi.CaseLines)).toEqual([
      [1, '12345', null, 'Draft'],
      [2, '12346', null, 'Draft'],
    ]);
    const specific = await ok('POST', '/api/cases', { CaseType: 'Order', OrderNumber: '12346', Lines: [2] }, 201);
    expect(specific.OrderCase.Scope).toBe('SpecificLineItems');
    expect(lineSummary(specific.CaseLines)).toEqual([[1, '12346', 2, 'Draft']]);
    const plain = await ok('POST', '/api/cases', { Subject: 'plain' }, 201);
    expect(plain.CaseType).toBe('Standard');
    expect(plain.OrderCase).toBeNull();
    expect(plain.CaseLines).toEqual([]);
  });

  it('bad input: unknown orders and lines, codes not in the settings, order fields on a plain case', async () => {
    const bad: [string, string, unknown, RegExp][] = [
      ['POST', '/api/orders/99999/case', {}, /99999 is not known to intake's order store/],
      ['POST', '/api/orders/12345/case', { Lines: [9] }, /Order 12345 has no line 9/],
      ['POST', '/api/cases', { CaseType: 'Order', Orders: ['12345'], Service: 'Nope' }, /Unknown Service "Nope"/],
      ['POST', '/api/cases', { CaseType: 'Order', Lines: [1] }, /SpecificLineItems case needs its OrderNumber/],
      ['POST', '/api/cases', { Subject: 'x', Orders: ['12345'] }, /Orders belongs to order cases/],
      [
        'POST',
        '/api/cases',
        { CaseType: 'Order', Scope: 'MultipleOrders', Orders: ['12345'], Lines: [1] },
        /holds whole orders/,
      ],
    ];
    for (const [method, url, body, message] of bad) {
      const r = await t.call(method, url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message).toMatch(message);
    }
  });
});

describe('adding and removing line items', () => {
  it('a SpecificLineItems case takes lines of its own order only; a line of another order is a 400 saying why', async () => {
    const c = await ok('POST', '/api/orders/12345/case', { Lines: [1] }, 201);
    const added = await ok('POST', `/api/cases/${c.Id}/lines`, { Lines: [2] });
    expect(lineSummary(added.CaseLines)).toEqual([
      [1, '12345', 1, 'Draft'],
      [2, '12345', 2, 'Draft'],
    ]);
    const other = await t.call('POST', `/api/cases/${c.Id}/lines`, { OrderNumber: '12346', Lines: [1] });
    expect(other.status).toBe(400);
    expect(other.json.message).toMatch(/Order 12346 is not this case's order 12345/);
    const otherOrder = await t.call('POST', `/api/cases/${c.Id}/lines`, { Orders: ['12346'] });
    expect(otherOrder.status).toBe(400);
    expect(otherOrder.json.message).toMatch(/holds lines of one order/);
    const twice = await t.call('POST', `/api/cases/${c.Id}/lines`, { Lines: [1] });
    expect(twice.status).toBe(400);
    expect(twice.json.message).toMatch(/Already a line item/);
    const removed = await ok('DELETE', `/api/cases/${c.Id}/lines/1`);
    expect(lineSummary(removed.CaseLines)).toEqual([[2, '12345', 2, 'Draft']]);
  });

  it('a MultipleOrders case takes whole orders (which join RelatedOrders), not lines', async () => {
    const c = await ok('POST', '/api/orders/12345/case', {}, 201);
    const added = await ok('POST', `/api/cases/${c.Id}/lines`, { Orders: ['12347'] });
    expect(lineSummary(added.CaseLines)).toEqual([
      [1, '12345', null, 'Draft'],
      [2, '12347', null, 'Draft'],
    ]);
    expect(added.RelatedOrders).toEqual(['12345', '12347']);
    const lines = await t.call('POST', `/api/cases/${c.Id}/lines`, { Lines: [1] });
    expect(lines.status).toBe(400);
    expect(lines.json.message).toMatch(/holds whole orders/);
    const unknown = await t.call('POST', `/api/cases/${c.Id}/lines`, { Orders: ['55555'] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toMatch(/55555 is not known/);
  });

  it('a plain case has no lines: 409', async () => {
    const plain = await ok('POST', '/api/cases', { Subject: 'plain' }, 201);
    const r = await t.call('POST', `/api/cases/${plain.Id}/lines`, { Orders: ['12345'] });
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/not an order case/);
  });
});

describe('draft, submit, cancel, close', () => {
  it('submit moves the case to Status New and every Draft line to New; a second submit changes nothing and says so', async () => {
    const c = await ok('POST', '/api/cases', { CaseType: 'Order', Orders: ['12345', '12346'] }, 201);
    const first = await ok('POST', `/api/cases/${c.CaseNumber}/submit`);
    expect(first.Changed).toBe(true);
    expect(first.Case.Status).toBe('New');
    expect(first.Case.OrderCase.State).toBe('Submitted');
    expect(first.Case.CaseLines.map((l: Line) => l.State)).toEqual(['New', 'New']);
    expect(first.Case.CaseLines[0].StateLog.map((e: { State: string }) => e.State)).toEqual(['Draft', 'New']);
    const second = await ok('POST', `/api/cases/${c.Id}/submit`);
    expect(second.Changed).toBe(false);
    expect(second.Message).toMatch(/already submitted/);
    expect(second.Case.CaseLines[0].StateLog).toHaveLength(2);
  });

  it('two submits at the same moment: one submits, the other finds it submitted; lines logged once', async () => {
    const c = await ok('POST', '/api/orders/12346/case', { Lines: [1, 2, 3] }, 201);
    const both = await Promise.all([1, 2].map(() => t.call('POST', `/api/cases/${c.Id}/submit`)));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both.map((r) => r.json.Changed).sort()).toEqual([false, true]);
    const got = await ok('GET', `/api/cases/${c.Id}`);
    for (const l of got.CaseLines as Line[]) expect(l.StateLog.map((e) => e.State)).toEqual(['Draft', 'New']);
  });

  it('submit is atomic: a case without lines is refused and stays a draft', async () => {
    const c = await ok('POST', '/api/cases', { CaseType: 'Order' }, 201);
    const r = await t.call('POST', `/api/cases/${c.Id}/submit`);
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/no line items/);
    expect((await ok('GET', `/api/cases/${c.Id}`)).OrderCase.State).toBe('Draft');
  });

  it('a draft can be cancelled (lines Cancelled, case closed); a submitted case cannot', async () => {
    const draft = await ok('POST', '/api/orders/12347/case', {}, 201);
    const cancelled = await ok('POST', `/api/cases/${draft.Id}/cancel`);
    expect(cancelled.Changed).toBe(true);
    expect(cancelled.Case.Status).toBe('Closed');
    expect(cancelled.Case.OrderCase.State).toBe('Cancelled');
    expect(cancelled.Case.CaseLines.map((l: Line) => l.State)).toEqual(['Cancelled']);
    const submitCancelled = await t.call('POST', `/api/cases/${draft.Id}/submit`);
    expect(submitCancelled.status).toBe(409);

    const submitted = await ok('POST', '/api/orders/12347/case', {}, 201);
    await ok('POST', `/api/cases/${submitted.Id}/submit`);
    const refused = await t.call('POST', `/api/cases/${submitted.Id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.json.message).toMatch(/submitted and cannot be cancelled/);
    const removeAfterSubmit = await t.call('DELETE', `/api/cases/${submitted.Id}/lines/1`);
    expect(removeAfterSubmit.status).toBe(409);
  });

  it('close is refused while lines are open (409 naming them), allowed once every line is terminal', async () => {
    const c = await ok('POST', '/api/orders/12345/case', { Lines: [1, 2, 3] }, 201);
    await ok('POST', `/api/cases/${c.Id}/submit`);
    await ok('PATCH', `/api/cases/${c.Id}/lines/1`, {
      State: 'ResolvedAccepted',
      ApprovedQuantity: '1.5',
      CloseNotes: 'refunded',
    });
    await ok('PATCH', `/api/cases/${c.Id}/lines/2`, { State: 'WorkInProgress' });
    const refused = await t.call('POST', `/api/cases/${c.Id}/changestatus?status=Closed`);
    expect(refused.status).toBe(409);
    expect(refused.json.message).toMatch(/lines 2 \(WorkInProgress\), 3 \(New\) are open/);
    expect(refused.json.details.openLines).toEqual([
      { LineNumber: 2, State: 'WorkInProgress' },
      { LineNumber: 3, State: 'New' },
    ]);
    const patchRefused = await t.call('PATCH', '/api/cases', { Id: c.Id, Status: 'Closed' });
    expect(patchRefused.status).toBe(409);
    await ok('PATCH', `/api/cases/${c.Id}/lines/2`, { State: 'ResolvedDenied' });
    await ok('PATCH', `/api/cases/${c.Id}/lines/3`, { State: 'Cancelled' });
    const closed = await ok('POST', `/api/cases/${c.Id}/changestatus?status=Closed`);
    expect(closed.Status).toBe('Closed');
    const frozen = await t.call('PATCH', `/api/cases/${c.Id}/lines/1`, { WorkNotes: 'late' });
    expect(frozen.status).toBe(409);
  });
});

describe('working a line', () => {
  it('"assign to me" moves a New line to WorkInProgress, logged; edits keep quantities exact', async () => {
    const c = await ok('POST', '/api/orders/12345/case', { Lines: [2] }, 201);
    const draftAssign = await ok('POST', `/api/cases/${c.Id}/lines/1/assign`, {
      AssignedToUserId: 'u-1',
      AssignedToName: 'Kim',
    });
    expect(draftAssign.CaseLines[0]).toMatchObject({ AssignedToUserId: 'u-1', State: 'Draft' });
    const draftState = await t.call('PATCH', `/api/cases/${c.Id}/lines/1`, { State: 'WorkInProgress' });
    expect(draftState.status).toBe(409);
    expect(draftState.json.message).toMatch(/is a draft/);
    await ok('POST', `/api/cases/${c.Id}/submit`);
    const assigned = await ok('POST', `/api/cases/${c.Id}/lines/1/assign`, {
      AssignedToUserId: 'u-2',
      AssignedToName: 'Lee',
    });
    const line = assigned.CaseLines[0];
    expect(line).toMatchObject({ AssignedToUserId: 'u-2', AssignedToName: 'Lee', State: 'WorkInProgress' });
    expect(line.StateLog.map((e: { State: string }) => e.State)).toEqual(['Draft', 'New', 'WorkInProgress']);
    expect(line.StateLog[2].DurationSincePreviousMs).toBeGreaterThanOrEqual(0);
    const edited = await ok('PATCH', `/api/cases/${c.Id}/lines/1`, {
      RequestedQuantity: '0.333333',
      ApprovedQuantity: 0.1,
      RequestedDate: '2026-12-24',
      RequestedShippingAddress: {
        Name: 'Ann',
        Line1: 'Main St 1',
        City: 'Berlin',
        PostalCode: '10115',
        CountryCode: 'DE',
      },
      WorkNotes: 'waiting for photos',
      State: 'AwaitingInfo',
    });
    expect(edited.CaseLines[0]).toMatchObject({
      RequestedQuantity: '0.333333',
      ApprovedQuantity: '0.1',
      RequestedDate: '2026-12-24',
      RequestedShippingAddress: { City: 'Berlin', CountryCode: 'DE' },
      WorkNotes: 'waiting for photos',
      State: 'AwaitingInfo',
    });
    for (const [body, message] of [
      [{ RequestedQuantity: -1 }, /must not be negative/],
      [{ RequestedDate: '24.12.2026' }, /RequestedDate must be a date/],
      [{ State: 'Draft' }, /cannot be set/],
      [{ State: 'Done' }, /State/],
    ] as const) {
      const r = await t.call('PATCH', `/api/cases/${c.Id}/lines/1`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message).toMatch(message);
    }
    const missing = await t.call('PATCH', `/api/cases/${c.Id}/lines/9`, { WorkNotes: 'x' });
    expect(missing.status).toBe(404);
  });
});

describe('search', () => {
  it('filters by CaseType and line state; OrderId finds order cases by their orders', async () => {
    const c = await ok('POST', '/api/orders/12347/case', { Lines: [1] }, 201);
    await ok('POST', `/api/cases/${c.Id}/submit`);
    await ok('PATCH', `/api/cases/${c.Id}/lines/1`, { State: 'AwaitingInfo' });
    const awaiting = await ok('POST', '/api/cases/search', { LineState: 'AwaitingInfo', Take: 100 });
    const ids = awaiting.Items.map((i: { Id: string }) => i.Id);
    expect(ids).toContain(c.Id);
    for (const item of awaiting.Items) expect(item.CaseType).toBe('Order');
    const orders = await ok('POST', '/api/cases/search', { CaseType: 'Order', OrderId: '12347', Take: 100 });
    expect(orders.Items.map((i: { Id: string }) => i.Id)).toContain(c.Id);
    const standard = await ok('POST', '/api/cases/search', { CaseType: 'Standard', Take: 100 });
    expect(standard.Items.length).toBeGreaterThan(0);
    for (const item of standard.Items) expect(item.CaseType).toBe('Standard');
    const withText = await ok('POST', '/api/cases/search', {
      SearchText: 'order',
      LineState: 'AwaitingInfo',
      Take: 100,
    });
    expect(withText.Items.map((i: { Id: string }) => i.Id)).toContain(c.Id);
    const bad = await t.call('POST', '/api/cases/search', { LineState: 'Done' });
    expect(bad.status).toBe(400);
  });
});

describe('case settings', () => {
  it('the Services and code lists are configurable; a PUT without OrderCases keeps them; bad lists are a 400', async () => {
    const current = await ok('GET', '/api/cases/settings');
    expect(current.OrderCases.Services).toEqual(['Sales Order Change Request', 'Sales Order Dispute']);
    const { NextNumber: _next, ...doc } = current;
    const changed = {
      ...doc,
      OrderCases: { ...doc.OrderCases, Services: [...doc.OrderCases.Services, 'Warranty'], DefaultService: 'Warranty' },
    };
    await ok('PUT', '/api/cases/settings', changed);
    const { OrderCases: _o, ...withoutOrderCases } = changed;
    const kept = await ok('PUT', '/api/cases/settings', withoutOrderCases);
    expect(kept.OrderCases.DefaultService).toBe('Warranty');
    const c = await ok('POST', '/api/orders/12345/case', {}, 201);
    expect(c.OrderCase.Service).toBe('Warranty');
    const bad = await t.call('PUT', '/api/cases/settings', {
      ...doc,
      OrderCases: { ...doc.OrderCases, DefaultService: 'Nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/DefaultService "Nope" is not one of OrderCases.Services/);
    await ok('PUT', '/api/cases/settings', doc);
  });
});
