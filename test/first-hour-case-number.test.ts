import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

// Staff and scripts know a case by its number (CS-1004), not its uuid.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('casenumber');
});
afterAll(async () => {
  await t?.close();
});

describe('GET /api/cases/{id} with a case number', () => {
  it('answers the same case for its number, in any letter case, as for its id', async () => {
    const created = await t.call('POST', '/api/cases', { Subject: 'Where is #12345?' });
    expect(created.status).toBe(201);
    const byNumber = await t.call('GET', `/api/cases/${created.json.CaseNumber}`);
    expect(byNumber.status).toBe(200);
    expect(byNumber.json.Id).toBe(created.json.Id);
    expect(byNumber.json.Subject).toBe('Where is #12345?');
    const lower = await t.call('GET', `/api/cases/${String(created.json.CaseNumber).toLowerCase()}`);
    expect(lower.json.Id).toBe(created.json.Id);
  });

  it('is a 404 naming the number for a number no case has, and for a soft-deleted case', async () => {
    const missing = await t.call('GET', '/api/cases/CS-999999');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toContain('CS-999999');
    const c = (await t.call('POST', '/api/cases', { Subject: 'Gone soon' })).json;
    expect((await t.call('DELETE', `/api/cases/${c.Id}`)).status).toBeLessThan(300);
    expect((await t.call('GET', `/api/cases/${c.CaseNumber}`)).status).toBe(404);
  });
});

describe('the OpenAPI document a newcomer reads', () => {
  it('shows the Authorization header whole in Swagger UI: <key> sits in a code span, not as a bare HTML tag', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/swagger/json' });
    const description = JSON.parse(res.body).info.description as string;
    expect(description).toContain('`Authorization: Bearer <key>`');
    expect(description.replace(/`[^`]*`/g, '')).not.toMatch(/<[a-z]+>/i);
  });
});
