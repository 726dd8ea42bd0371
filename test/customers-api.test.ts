import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('customersapi');
});
afterAll(async () => {
  await t?.close();
});

describe('customers', () => {
  it('creates a customer and reads it by id and by email in any case', async () => {
    const r = await t.call('POST', '/api/customers', { Name: ' Dora Doe ', Email: 'Dora.Doe@Example.com' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ Name: 'Dora Doe', Email: 'Dora.Doe@Example.com' });
    expect(r.json.Id).toMatch(/^[0-9a-f-]{36}$/);

    const byId = await t.call('GET', `/api/customers/${r.json.Id}`, undefined, t.readKey);
    expect(byId.status).toBe(200);
    expect(byId.json).toEqual(r.json);

    const byEmail = await t.call(
      'GET',
      `/api/customers?email=${encodeURIComponent('DORA.doe@example.COM')}`,
      undefined,
      t.readKey,
    );
    expect(byEmail.status).toBe(200);
    expect(byEmail.json).toEqual([r.json]);
    expect((await t.call('GET', '/api/customers?email=nobody@example.com')).json).toEqual([]);
  });

  it('lists the newest customers without an email filter', async () => {
    await t.call('POST', '/api/customers', { Email: 'eve@example.com' });
    const r = await t.call('GET', '/api/customers');
    expect(r.status).toBe(200);
    expect(r.json.map((c: { Email: string }) => c.Email)).toContain('eve@example.com');
    expect(r.json.find((c: { Email: string }) => c.Email === 'eve@example.com').Name).toBe('');
  });

  it('refuses a second customer with the same email in another case (409)', async () => {
    await t.call('POST', '/api/customers', { Name: 'Finn', Email: 'finn@example.com' });
    const r = await t.call('POST', '/api/customers', { Name: 'Finn 2', Email: 'FINN@example.com' });
    expect(r.status).toBe(409);
    expect(r.json.message).toContain('already exists');
  });

  it('answers 404 for a missing or malformed id and 400 for bad input', async () => {
    expect((await t.call('GET', '/api/customers/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await t.call('GET', '/api/customers/not-a-uuid')).status).toBe(404);
    for (const body of [
      { Name: 'x' },
      { Email: 'not-an-email' },
      { Email: 'a@b.co', Phone: '1' },
      { Email: 42 },
      { Email: `${'a'.repeat(400)}@b.co` },
    ]) {
      const r = await t.call('POST', '/api/customers', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message).toMatch(/Invalid request/);
    }
    expect((await t.call('GET', '/api/customers?mail=x')).status).toBe(400);
  });

  it('a read key cannot create customers', async () => {
    expect((await t.call('POST', '/api/customers', { Email: 'gus@example.com' }, t.readKey)).status).toBe(403);
  });
});
