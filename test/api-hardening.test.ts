import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/http/json-body.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let caseId: string;
beforeAll(async () => {
  t = await createTestApp('hardening');
  caseId = (await t.call('POST', '/api/cases', { Subject: 'hardening' })).json.Id;
});
afterAll(async () => {
  await t?.close();
});

describe('JSON bodies: depth and size', () => {
  it('a body of 12 million nested arrays (24 MB, under the 25 MB limit) is a 400 saying so, and the API goes on', async () => {
    const levels = 12_000_000;
    const body = '['.repeat(levels) + ']'.repeat(levels);
    const r = await t.call('PUT', '/api/cases', body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'VALIDATION_FAILED',
      statusCode: 400,
      message: `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    });
    expect((await t.call('GET', `/api/cases/${caseId}`)).status).toBe(200);
  });

  it('nesting at the limit still reaches the validator, which names the field', async () => {
    const deep = '['.repeat(MAX_JSON_DEPTH - 1) + ']'.repeat(MAX_JSON_DEPTH - 1);
    const r = await t.call('POST', '/api/cases', `{"Subject":"x","Tags":${deep}}`);
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('/Tags/0');
  });

  it('a search (which a read key may send) takes at most 1 MB: more is a 413 naming the limit', async () => {
    const r = await t.call('POST', '/api/cases/search', { SearchText: 'x'.repeat(1024 * 1024) }, t.readKey);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: 'PayloadTooLarge', statusCode: 413 });
    expect(r.json.message).toContain('limit of 1 MB');
    expect((await t.call('POST', '/api/cases/search', { SearchText: 'hardening' }, t.readKey)).json.TotalHits).toBe(1);
  });

  it('a case may still carry a Description of 1,000,000 characters (over 1 MB of JSON)', async () => {
    const r = await t.call('POST', '/api/cases', { Subject: 'long', Description: 'é'.repeat(1_000_000) });
    expect(r.status).toBe(201);
    expect(r.json.Description).toHaveLength(1_000_000);
  });

  it('a __proto__ key is still refused as malformed JSON', async () => {
    const r = await t.call('POST', '/api/cases', '{"Subject":"x","__proto__":{"admin":true}}');
    expect(r.status).toBe(400);
  });
});
