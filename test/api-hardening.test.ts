import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/http/server.js';
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

describe('request logs', () => {
  it('leave the query string out: a customer address searched for never reaches the log', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const app = await buildServer({ ...t.ctx, logger }, { logger: true });
    try {
      const email = 'alice.secret@example.com';
      const found = await app.inject({
        method: 'GET',
        url: `/api/customers?email=${encodeURIComponent(email)}`,
        headers: { authorization: `Bearer ${t.readKey}` },
      });
      expect(found.statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/api/customers?email=${email}` })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: `/nowhere?email=${email}` })).statusCode).toBe(404);
      // What Fastify and plugins log as `req` goes through the same serializer.
      app.log.info({ req: { method: 'GET', url: `/api/customers?email=${email}`, ip: '192.0.2.1' } }, 'a plugin line');

      const text = JSON.stringify(lines);
      expect(text).not.toContain('alice.secret');
      expect(lines).toContainEqual(
        expect.objectContaining({ url: '/api/customers', route: '/api/customers', statusCode: 200 }),
      );
      expect(lines).toContainEqual(expect.objectContaining({ url: '/api/customers', statusCode: 401 }));
      expect(lines).toContainEqual(expect.objectContaining({ url: '/nowhere', statusCode: 404 }));
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'a plugin line', req: expect.objectContaining({ url: '/api/customers' }) }),
      );
    } finally {
      await app.close();
    }
  });
});

describe('attachments sent through the API', () => {
  const upload = (FileName: string, ContentType: string | undefined, text: string) => ({
    FileName,
    ...(ContentType === undefined ? {} : { ContentType }),
    ContentBase64: Buffer.from(text).toString('base64'),
  });

  it('have their names and types cleaned as attachments from mail are', async () => {
    const note = await t.call('POST', `/api/cases/${caseId}/notes`, {
      Comment: 'files',
      Attachments: [
        upload('../../etc/passwd\u0007.html', 'Text/HTML; charset=utf-8', '<p>hi</p>'),
        upload('..', 'image/svg+xml', '<svg/>'),
        upload('report.pdf', 'not a type at all', '%PDF'),
        upload('plain.txt', undefined, 'text'),
      ],
    });
    expect(note.status).toBe(201);
    expect(
      note.json.Attachments.map((a: { FileName: string; ContentType: string }) => [a.FileName, a.ContentType]),
    ).toEqual([
      ['.._.._etc_passwd_.html', 'text/html'],
      ['attachment-2.svg+xml', 'image/svg+xml'],
      ['report.pdf', 'application/octet-stream'],
      ['plain.txt', 'application/octet-stream'],
    ]);
  });

  it('download sandboxed: an HTML or SVG attachment can run no script and load nothing, even if a browser shows it', async () => {
    const note = await t.call('POST', `/api/cases/${caseId}/notes`, {
      Comment: 'active content',
      Attachments: [
        upload('page.html', 'text/html', '<script>alert(document.cookie)</script>'),
        upload('image.svg', 'image/svg+xml', '<svg onload="alert(1)"/>'),
      ],
    });
    for (const a of note.json.Attachments as { Url: string; ContentType: string }[]) {
      const res = await t.call('GET', a.Url, undefined, t.readKey);
      expect(res.status).toBe(200);
      expect(res.res.headers['content-type']).toBe(a.ContentType);
      expect(res.res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
      expect(res.res.headers['content-disposition']).toMatch(/^attachment;/);
      expect(res.res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
