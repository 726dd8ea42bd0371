import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('ordersstore');
});
afterAll(async () => {
  await t?.close();
});

const order = (n: string, extra: Record<string, unknown> = {}) => ({
  OrderNumber: n,
  CustomerId: 'C-77',
  CustomerName: 'Ann Example',
  CustomerEmail: 'ann@example.com',
  MarketId: 'DE',
  Created: '2026-11-30T10:00:00Z',
  Status: 'Shipped',
  Currency: 'eur',
  Lines: [
    {
      LineNumber: 1,
      SkuId: 'SKU-1',
      ProductId: 'P-1',
      Name: 'Boots',
      Quantity: 2,
      UnitPrice: '79.90',
      LineStatus: 'Shipped',
    },
    { LineNumber: 2, SkuId: 'SKU-2', ProductId: 'P-2', Name: 'Socks', Quantity: '0.5', UnitPrice: 4.1 },
  ],
  ...extra,
});

describe('order store', () => {
  it('PUT /api/orders imports an order with its lines, quantities exact; GET returns it', async () => {
    const put = await t.call('PUT', '/api/orders', order('12345'));
    expect(put.status, JSON.stringify(put.json)).toBe(201);
    const got = await t.call('GET', '/api/orders/12345', undefined, t.readKey);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      OrderNumber: '12345',
      CustomerId: 'C-77',
      CustomerEmail: 'ann@example.com',
      Currency: 'EUR',
      Created: '2026-11-30T10:00:00.000Z',
    });
    expect(got.json.Lines).toEqual([
      {
        LineNumber: 1,
        SkuId: 'SKU-1',
        ProductId: 'P-1',
        Name: 'Boots',
        Quantity: '2',
        UnitPrice: '79.90',
        LineStatus: 'Shipped',
      },
      {
        LineNumber: 2,
        SkuId: 'SKU-2',
        ProductId: 'P-2',
        Name: 'Socks',
        Quantity: '0.5',
        UnitPrice: '4.1',
        LineStatus: null,
      },
    ]);
  });

  it('importing the same order again updates it: lines matched by line number, lines no longer listed removed', async () => {
    await t.call('PUT', '/api/orders', order('22222'));
    const again = await t.call(
      'PUT',
      '/api/orders',
      order('22222', {
        Status: 'Delivered',
        Lines: [
          { LineNumber: 2, SkuId: 'SKU-2', Name: 'Socks (pair)', Quantity: 3 },
          { LineNumber: 3, SkuId: 'SKU-3', Name: 'Laces', Quantity: 1 },
        ],
      }),
    );
    expect(again.status).toBe(200);
    expect(again.json.Status).toBe('Delivered');
    expect(
      again.json.Lines.map((l: { LineNumber: number; Name: string; Quantity: string }) => [
        l.LineNumber,
        l.Name,
        l.Quantity,
      ]),
    ).toEqual([
      [2, 'Socks (pair)', '3'],
      [3, 'Laces', '1'],
    ]);
  });

  it('bulk import of 10,000 orders in one request; search by customer, email and text', async () => {
    const orders = Array.from({ length: 10_000 }, (_, i) =>
      order(`B${100000 + i}`, {
        CustomerId: `BC-${i % 50}`,
        CustomerEmail: `bulk${i % 50}@example.com`,
        CustomerName: `Bulk Customer ${i % 50}`,
      }),
    );
    const started = Date.now();
    const r = await t.call('PUT', '/api/orders/bulk', { Orders: orders });
    expect(r.status, JSON.stringify(r.json).slice(0, 300)).toBe(200);
    expect(r.json).toEqual({ Imported: 10_000, Created: 10_000, Updated: 0 });
    expect(Date.now() - started).toBeLessThan(60_000);
    const byCustomer = await t.call('POST', '/api/orders/search', { CustomerId: 'BC-7', Take: 5 }, t.readKey);
    expect(byCustomer.status).toBe(200);
    expect(byCustomer.json.TotalHits).toBe(200);
    expect(byCustomer.json.Items).toHaveLength(5);
    const byEmail = await t.call('POST', '/api/orders/search', { Email: 'BULK7@example.com' }, t.readKey);
    expect(byEmail.json.TotalHits).toBe(200);
    const byText = await t.call('POST', '/api/orders/search', { Text: 'B100042' }, t.readKey);
    expect(byText.json.Items.map((o: { OrderNumber: string }) => o.OrderNumber)).toEqual(['B100042']);
    const again = await t.call('PUT', '/api/orders/bulk', { Orders: orders.slice(0, 10) });
    expect(again.json).toEqual({ Imported: 10, Created: 0, Updated: 10 });
  });

  it('bad input gets a 4xx with a message', async () => {
    const cases: [unknown, RegExp][] = [
      [order('X1', { Lines: [{ LineNumber: 1, Quantity: '1e3' }] }), /Quantity must be a decimal number/],
      [order('X2', { Lines: [{ LineNumber: 1, Quantity: -2 }] }), /must not be negative/],
      [
        order('X3', {
          Lines: [
            { LineNumber: 1, Quantity: 1 },
            { LineNumber: 1, Quantity: 2 },
          ],
        }),
        /LineNumber 1 is listed twice/,
      ],
      [order('X4', { Created: 'yesterday' }), /Created is not an ISO 8601/],
      [{ CustomerName: 'no number' }, /OrderNumber/],
    ];
    for (const [body, message] of cases) {
      const r = await t.call('PUT', '/api/orders', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message).toMatch(message);
    }
    const twice = await t.call('PUT', '/api/orders/bulk', { Orders: [order('D1'), order('D1')] });
    expect(twice.status).toBe(400);
    expect(twice.json.message).toMatch(/order D1 is listed twice/);
    const missing = await t.call('GET', '/api/orders/nope');
    expect(missing.status).toBe(404);
    const noFilter = await t.call('POST', '/api/orders/search', {});
    expect(noFilter.status).toBe(400);
    expect(noFilter.json.message).toMatch(/CustomerId, Email or Text/);
    const readOnly = await t.call('PUT', '/api/orders', order('R1'), t.readKey);
    expect(readOnly.status).toBe(403);
  });

  it('/swagger/json documents every order and order-case route with its scope, and the case schema has the lines', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/swagger/json' })).json();
    const expected: [string, string][] = [
      ['/api/orders', 'put'],
      ['/api/orders/bulk', 'put'],
      ['/api/orders/{orderNumber}', 'get'],
      ['/api/orders/search', 'post'],
      ['/api/orders/{orderNumber}/case', 'post'],
      ['/api/cases/{id}/submit', 'post'],
      ['/api/cases/{id}/cancel', 'post'],
      ['/api/cases/{id}/order', 'patch'],
      ['/api/cases/{id}/lines', 'post'],
      ['/api/cases/{id}/lines/{lineNumber}', 'patch'],
      ['/api/cases/{id}/lines/{lineNumber}', 'delete'],
      ['/api/cases/{id}/lines/{lineNumber}/assign', 'post'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.summary).toMatch(/Needs: (cases:read|cases|admin)/);
      expect(op.responses['400'] ?? op.responses['404'], `${method} ${path}`).toBeDefined();
    }
    const caseSchema = doc.paths['/api/cases/{id}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(caseSchema.properties)).toEqual(expect.arrayContaining(['CaseType', 'OrderCase', 'CaseLines']));
    const create = doc.paths['/api/cases'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(['CaseType', 'Scope', 'Orders', 'Lines']));
  });
});
