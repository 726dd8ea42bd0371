import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../src/auth/api-keys.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let caseId: string;
beforeAll(async () => {
  t = await createTestApp('authapi');
  caseId = (await t.call('POST', '/api/cases', { Subject: 'auth' })).json.Id;
});
afterAll(async () => {
  await t?.close();
});

describe('API keys', () => {
  it('no key → 401 with a message', async () => {
    const r = await t.call('GET', `/api/cases/${caseId}`, undefined, null);
    expect(r.status).toBe(401);
    expect(r.json.message).toContain('Bearer');
  });

  it('a percent-encoded /api path needs a key too → 401, and writes nothing', async () => {
    // The router decodes /%61pi/cases to /api/cases; the key check read the raw URL and let these through (200, 201).
    const read = await t.app.inject({ method: 'GET', url: `/%61pi/cases/${caseId}` });
    expect(read.statusCode).toBe(401);
    expect(read.json().message).toBe('An API key is required: send "Authorization: Bearer <key>"');
    const before = await t.database.db
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const write = await t.app.inject({
      method: 'POST',
      url: '/%61%70%69/cases',
      payload: { Subject: 'no key at all' },
    });
    expect(write.statusCode).toBe(401);
    const after = await t.database.db
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await t.app.inject({ method: 'GET', url: '/%61pi/admin/mailboxes' })).statusCode).toBe(401);
  });

  it('a bad key or a malformed header → 401', async () => {
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, 'ik_not-a-real-key')).status).toBe(401);
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, 'garbage')).status).toBe(401);
    const basic = await t.app.inject({
      method: 'GET',
      url: `/api/cases/${caseId}`,
      headers: { authorization: `Basic ${t.adminKey}` },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('a revoked key → 401', async () => {
    const k = await createApiKey(t.ctx.db, { name: 'soon-revoked', scope: 'admin' });
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(200);
    await revokeApiKey(t.ctx.db, k.id, t.ctx.apiKeys);
    const r = await t.call('GET', `/api/cases/${caseId}`, undefined, k.key);
    expect(r.status).toBe(401);
    expect(r.json.message).toContain('revoked');
  });

  it('a read key may GET (cases, settings, customers) → 200', async () => {
    for (const url of [`/api/cases/${caseId}`, '/api/cases/settings', '/api/customers']) {
      expect((await t.call('GET', url, undefined, t.readKey)).status, url).toBe(200);
    }
  });

  it('a read key on every write route → 403 with a message naming the claim it needs', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/api/cases', { Subject: 'x' }],
      ['PUT', '/api/cases', { Id: caseId, Subject: 'x' }],
      ['PATCH', '/api/cases', { Id: caseId, Subject: 'x' }],
      ['DELETE', `/api/cases/${caseId}`, undefined],
      ['POST', `/api/cases/${caseId}/assignto?userId=1`, undefined],
      ['POST', `/api/cases/${caseId}/changestatus?status=Closed`, undefined],
      ['POST', `/api/cases/${caseId}/notes`, { Comment: 'x' }],
      ['POST', '/api/customers', { Email: 'x@example.com' }],
    ];
    for (const [method, url, body] of writes) {
      const r = await t.call(method, url, body, t.readKey);
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.json.message).toMatch(/"read" scope; .* needs "(cases|admin)"/);
    }
    // Nothing was changed by the refused calls.
    const c = (await t.call('GET', `/api/cases/${caseId}`)).json;
    expect([c.Subject, c.Status, c.CommentCount]).toEqual(['auth', 'New', 0]);
  });
});

describe('OpenAPI', () => {
  it('/swagger serves the UI without a key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/swagger/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('swagger');
  });

  it('/swagger/json documents every cases route with tags, summaries, responses and bearer security', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/swagger/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.session).toEqual({ type: 'apiKey', in: 'cookie', name: 'intake_session' });
    expect(doc.security).toEqual([{ apiKey: [] }, { session: [] }]);
    const expected: [string, string][] = [
      ['/api/cases/{id}', 'get'],
      ['/api/cases', 'post'],
      ['/api/cases', 'put'],
      ['/api/cases', 'patch'],
      ['/api/cases/{id}', 'delete'],
      ['/api/cases/{id}/assignto', 'post'],
      ['/api/cases/{id}/changestatus', 'post'],
      ['/api/cases/{id}/notes', 'post'],
      ['/api/cases/{id}/attachments/{attachmentId}', 'get'],
      ['/api/cases/settings', 'get'],
      ['/api/cases/settings', 'put'],
      ['/api/customers', 'post'],
      ['/api/customers', 'get'],
      ['/api/customers/{id}', 'get'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.tags.length).toBeGreaterThan(0);
      expect(op.summary).toMatch(/Needs: (cases:read|cases|admin)$/);
      expect(op.responses['401']).toBeDefined();
    }
    const caseSchema = doc.paths['/api/cases/{id}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(caseSchema.properties)).toEqual(
      expect.arrayContaining(['CaseNumber', 'CaseStatusLog', 'NextSuggestedStatus', 'InternalNotes']),
    );
    const createBody = doc.paths['/api/cases'].post.requestBody.content['application/json'].schema;
    expect(createBody.additionalProperties).toBe(false);
    expect(createBody.properties.CaseNumber).toBeUndefined();
  });
});
