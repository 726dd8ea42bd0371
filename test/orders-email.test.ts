import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundContext, mail, type InboundContext } from './helpers/inbound.js';

/** How many new cases each call of the batch path carried (the hook is called once per batch). */
const batchSizes: number[] = [];
let c: InboundContext;
beforeAll(async () => {
  c = await createInboundContext('ordersemail', {
    env: { WORKER_BATCH_SIZE: '16' },
    concurrency: 32,
    hooks: { onNewCasesFromEmail: async (_trx, ctxs) => void batchSizes.push(ctxs.length) },
  });
  const r = await c.t.call('PUT', '/api/orders/bulk', {
    Orders: ['12345', '12346', '20001', '20002', '20003'].map((n) => ({
      OrderNumber: n,
      CustomerId: `C-${n}`,
      CustomerName: 'Carla Customer',
      CustomerEmail: 'carla@customer.example',
      Lines: [{ LineNumber: 1, SkuId: 'SKU-1', Name: 'Lamp', Quantity: 1 }],
    })),
  });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await c?.close();
});

describe('order cases from email', () => {
  it('a new email naming a known order becomes a submitted MultipleOrders order case; unknown orders stay RelatedOrders', async () => {
    const m = await c.receive(mail({ subject: 'Order #12345 arrived damaged (and #77777)' }));
    expect(m.status).toBe('processed');
    const k = await c.caseJson(m.case_id!);
    expect(k.CaseType).toBe('Order');
    expect(k.Status).toBe('New');
    expect(k.Source).toBe('Email');
    expect(k.RelatedOrders).toEqual(['12345', '77777']);
    expect(k.OrderCase).toMatchObject({
      Scope: 'MultipleOrders',
      State: 'Submitted',
      Account: { Id: 'C-12345', Name: 'Carla Customer', Email: 'carla@customer.example' },
    });
    expect(
      k.CaseLines.map((l: { LineNumber: number; OrderNumber: string; OrderLineNumber: null; State: string }) => [
        l.LineNumber,
        l.OrderNumber,
        l.OrderLineNumber,
        l.State,
      ]),
    ).toEqual([[1, '12345', null, 'New']]);
    expect(k.CaseNotes).toHaveLength(1);
  });

  it('an email naming only an unknown order gives a plain case as before', async () => {
    const m = await c.receive(mail({ subject: 'Where is #99999?' }));
    const k = await c.caseJson(m.case_id!);
    expect(k.CaseType).toBe('Standard');
    expect(k.RelatedOrders).toEqual(['99999']);
    expect(k.OrderCase).toBeNull();
    expect(k.CaseLines).toEqual([]);
  });

  it('a reply naming another known order adds it to RelatedOrders but no line item', async () => {
    const first = mail({ subject: 'Problem with #12346' });
    const messageId = /Message-ID: <([^>]+)>/.exec(first)![1]!;
    const m = await c.receive(first);
    const reply = await c.receive(mail({ subject: 'Re: Problem with #12346 and #12345', inReplyTo: messageId }));
    expect(reply.case_id).toBe(m.case_id);
    const k = await c.caseJson(m.case_id!);
    expect(k.RelatedOrders).toEqual(['12346', '12345']);
    expect(k.CaseLines.map((l: { OrderNumber: string }) => l.OrderNumber)).toEqual(['12346']);
  });

  it('a backlog takes the batch path: each mail naming known orders is an order case, the others plain', async () => {
    const subjects = ['#20001 late', 'no order here', '#20002 and #20003 wrong size', '#88888 unknown'];
    batchSizes.length = 0;
    const ids = await c.backlog(
      subjects.map((subject, i) => mail({ subject, from: `Buyer ${i} <buyer${i}@batch.example>` })),
    );
    const rows = await Promise.all(ids.map((id) => c.settled(id)));
    const cases = await Promise.all(rows.map((r) => c.caseJson(r.case_id!)));
    expect(cases.map((k) => k.CaseType)).toEqual(['Order', 'Standard', 'Order', 'Standard']);
    expect(
      cases[2].CaseLines.map((l: { LineNumber: number; OrderNumber: string }) => [l.LineNumber, l.OrderNumber]),
    ).toEqual([
      [1, '20002'],
      [2, '20003'],
    ]);
    expect(cases[0].OrderCase.State).toBe('Submitted');
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    // Searchable as order cases with New lines, like any other.
    const r = await c.t.call('POST', '/api/cases/search', { CaseType: 'Order', LineState: 'New', Take: 100 });
    const found = r.json.Items.map((i: { Id: string }) => i.Id);
    expect(found).toEqual(expect.arrayContaining([cases[0].Id, cases[2].Id]));
    expect(found).not.toContain(cases[1].Id);
  });
});
