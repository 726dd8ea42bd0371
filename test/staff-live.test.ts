import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createStaffUser } from '../src/auth/staff-users.js';
import { LIVE_APPLICATION_NAME } from '../src/live/live-hub.js';
import { createInboundContext, type InboundContext } from './helpers/inbound.js';
import { waitFor } from './helpers/wait.js';

let c: InboundContext;
const AGENT = { email: 'agnes@example.com', name: 'Agnes Agent', password: 'agent-password-1' };
const OTHER = { email: 'otto@example.com', name: 'Otto Other', password: 'other-password-1' };
const ADMIN = { email: 'ada@example.com', name: 'Ada Admin', password: 'admin-password-1' };
let agentId: string;
let otherId: string;

interface Session {
  cookie: string;
  csrf: string;
}
let agent: Session;
let other: Session;
let admin: Session;

async function signIn(who: { email: string; password: string }): Promise<Session> {
  const res = await c.t.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { Email: who.email, Password: who.password },
  });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((k) => k.name === 'intake_session')!;
  return { cookie: `intake_session=${cookie.value}`, csrf: res.json().CsrfToken };
}

/** A request with the session's cookie (and its CSRF token when it changes state). */
async function as(s: Session, method: string, url: string, body?: unknown) {
  const res = await c.t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      cookie: s.cookie,
      ...(method === 'GET' ? {} : { 'x-csrf-token': s.csrf }),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's JSON as documented
  try {
    json = res.body ? JSON.parse(res.body) : null;
  } catch {
    json = res.body;
  }
  return { status: res.statusCode, json, res };
}

const HOSTILE_BOUNDARY = 'b1';
const RELATED = 'r1';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** An HTML mail that tries everything: script, event handlers, javascript: links, a remote tracker, an inline image. */
function hostileMail(messageId: string): string {
  return [
    'From: Hilda Hostile <hilda@customer.example>',
    'To: Support <support@example.com>',
    'Cc: Carl Copy <carl@customer.example>',
    'Subject: My order is broken',
    `Message-ID: <${messageId}>`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${HOSTILE_BOUNDARY}"`,
    '',
    `--${HOSTILE_BOUNDARY}`,
    `Content-Type: multipart/related; boundary="${RELATED}"`,
    '',
    `--${RELATED}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p onclick="steal()">Please help<script>alert(document.cookie)</script></p>' +
      '<img src="https://tracker.example/pixel.gif" onerror="alert(1)">' +
      '<img src="cid:logo@customer.example" alt="logo">' +
      '<a href="javascript:alert(2)">click</a> <a href="https://shop.example/order">order</a></body></html>',
    `--${RELATED}`,
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <logo@customer.example>',
    'Content-Disposition: inline; filename="logo.png"',
    '',
    PNG.toString('base64'),
    `--${RELATED}--`,
    `--${HOSTILE_BOUNDARY}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Disposition: attachment; filename="Rechnung März.txt"',
    '',
    'invoice text',
    `--${HOSTILE_BOUNDARY}--`,
    '',
  ].join('\r\n');
}

beforeAll(async () => {
  c = await createInboundContext('stafflive');
  agentId = (await createStaffUser(c.t.ctx.db, { ...AGENT, role: 'agent' })).user.id;
  otherId = (await createStaffUser(c.t.ctx.db, { ...OTHER, role: 'agent' })).user.id;
  await createStaffUser(c.t.ctx.db, { ...ADMIN, role: 'admin' });
  [agent, other, admin] = [await signIn(AGENT), await signIn(OTHER), await signIn(ADMIN)];
}, 60_000);
afterAll(async () => {
  await c?.close();
});

async function newCase(subject: string, extra: Record<string, unknown> = {}) {
  const res = await as(agent, 'POST', '/api/cases', { Subject: subject, CustomerEmail: 'ann@example.com', ...extra });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { Id: string; CaseNumber: string };
}

describe('search filters of the staff inbox', () => {
  it('finds cases in several statuses at once, unassigned ones, and by changed date', async () => {
    const a = await newCase('filter a');
    const b = await newCase('filter b');
    const d = await newCase('filter d');
    expect((await as(agent, 'POST', `/api/cases/${b.Id}/changestatus?status=In%20Progress`)).status).toBe(200);
    expect((await as(agent, 'POST', `/api/cases/${d.Id}/changestatus?status=Closed`)).status).toBe(200);
    expect((await as(agent, 'POST', `/api/cases/${a.Id}/assignto?userId=${agentId}`)).status).toBe(200);
    const ids = async (body: Record<string, unknown>) => {
      const res = await as(agent, 'POST', '/api/cases/search', { SearchText: 'filter', Take: 100, ...body });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return (res.json.Items as { Id: string }[]).map((i) => i.Id).sort();
    };
    expect(await ids({ Statuses: ['New', 'In Progress'] })).toEqual([a.Id, b.Id].sort());
    expect(await ids({ Statuses: ['Closed'] })).toEqual([d.Id]);
    expect(await ids({ Status: 'New', Statuses: ['New', 'Closed'] })).toEqual([a.Id]);
    expect(await ids({ Unassigned: true })).toEqual([b.Id, d.Id].sort());
    expect(await ids({ Statuses: ['New', 'In Progress'], AssignedToUserId: agentId })).toEqual([a.Id]);
    expect(await ids({ ChangedFrom: '2000-01-01', ChangedTo: '2000-12-31' })).toEqual([]);
    expect((await ids({ ChangedFrom: new Date(Date.now() - 60_000).toISOString() })).length).toBe(3);
    const bad = await as(agent, 'POST', '/api/cases/search', { Statuses: ['Nope'] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/Nope/);
    const both = await as(agent, 'POST', '/api/cases/search', { Unassigned: true, AssignedToUserId: agentId });
    expect(both.status).toBe(400);
  });
});

describe('GET /api/cases/counts', () => {
  it('counts unassigned, waiting, mine and open cases for the signed-in user; 0 mine for an API key', async () => {
    const before = (await as(other, 'GET', '/api/cases/counts')).json;
    const mine = await newCase('counted');
    await as(other, 'POST', `/api/cases/${mine.Id}/assignto?userId=${otherId}`);
    const unassigned = await newCase('counted too');
    await as(other, 'POST', `/api/cases/${unassigned.Id}/changestatus?status=In%20Progress`);
    const after = await as(other, 'GET', '/api/cases/counts');
    expect(after.status).toBe(200);
    expect(after.json).toEqual({
      Unassigned: before.Unassigned + 1,
      Waiting: before.Waiting + 1,
      Mine: before.Mine + 1,
      Open: before.Open + 2,
      Estimated: false,
    });
    const byKey = await c.t.call('GET', '/api/cases/counts', undefined, c.t.readKey);
    expect(byKey.json.Mine).toBe(0);
    expect(byKey.json.Open).toBe(after.json.Open);
    expect((await as(admin, 'GET', '/api/cases/counts')).json.Mine).toBe(0);
  });
});

describe('the thread of a case made from a real email', () => {
  let caseId: string;
  let caseNumber: string;
  let messageId: string;

  beforeAll(async () => {
    const got = await c.receive(hostileMail('hostile-1@customer.example'));
    expect(got.status, got.error ?? '').toBe('processed');
    caseId = got.case_id!;
    messageId = got.id;
    caseNumber = (await c.caseJson(caseId)).CaseNumber;
  }, 30_000);

  it('lists the email, notes and status changes in time order, by case number too', async () => {
    await as(agent, 'POST', `/api/cases/${caseId}/notes`, { Comment: 'Checked the order', IsPublic: false });
    await as(agent, 'POST', `/api/cases/${caseId}/changestatus?status=Closed`);
    await as(agent, 'POST', `/api/cases/${caseId}/changestatus?status=Reopened`);
    const res = await as(agent, 'GET', `/api/cases/${caseNumber.toLowerCase()}/thread`);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const t = res.json;
    expect(t).toMatchObject({ CaseId: caseId, CaseNumber: caseNumber });
    expect(t.ThreadVersion).toMatch(/^[\w-]{10,}$/);
    const kinds = t.Items.map(
      (i: { Kind: string; Direction?: string }) => i.Kind + (i.Direction ? `:${i.Direction}` : ''),
    );
    // The New status and the email that caused it, the acknowledgement, the note, Closed, Reopened.
    expect(kinds.filter((k: string) => k !== 'email:out')).toEqual(['status', 'email:in', 'note', 'status', 'status']);
    const email = t.Items.find((i: { Kind: string; Direction?: string }) => i.Kind === 'email' && i.Direction === 'in');
    expect(email).toMatchObject({
      Id: messageId,
      From: 'Hilda Hostile <hilda@customer.example>',
      To: ['Support <support@example.com>'],
      Cc: ['Carl Copy <carl@customer.example>'],
      Subject: 'My order is broken',
      HasHtml: true,
      HtmlUrl: `/api/messages/${messageId}/html`,
      RawUrl: `/api/messages/${messageId}/raw`,
    });
    expect(email.ReplyText).toContain('Please help');
    expect(email.Attachments).toEqual([
      expect.objectContaining({ FileName: 'Rechnung März.txt', ContentType: 'text/plain', Url: expect.any(String) }),
    ]);
    const note = t.Items.find((i: { Kind: string }) => i.Kind === 'note');
    expect(note).toMatchObject({
      Public: false,
      Text: 'Checked the order',
      AuthorName: AGENT.name,
      AuthorUserId: agentId,
    });
    const statuses = t.Items.filter((i: { Kind: string }) => i.Kind === 'status');
    expect(
      statuses.map((s: { From: string | null; To: string; Reopened: boolean }) => [s.From, s.To, s.Reopened]),
    ).toEqual([
      [null, 'New', false],
      ['New', 'Closed', false],
      ['Closed', 'Reopened', true],
    ]);
    expect(statuses[1].ByName).toBe(AGENT.name);
    const at = t.Items.map((i: { At: string }) => i.At);
    expect([...at].sort()).toEqual(at);
  });

  it('serves the HTML sanitised, sandboxed by its CSP, with the cid: image served from the message', async () => {
    const res = await as(agent, 'GET', `/api/messages/${messageId}/html`);
    expect(res.status).toBe(200);
    const html = res.res.body;
    expect(html).toContain('Please help');
    expect(html).not.toMatch(/<script|onerror|onclick|javascript:|tracker\.example/i);
    expect(html).toContain(`src="/api/messages/${messageId}/parts/logo%40customer.example"`);
    expect(html).toContain('<a href="https://shop.example/order" target="_blank" rel="noopener noreferrer');
    const csp = String(res.res.headers['content-security-policy']);
    expect(csp).toMatch(/^sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src 'self'/);
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).not.toMatch(/https:|allow-scripts|allow-same-origin/);
    expect(res.res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.res.headers['x-blocked-remote-images']).toBe('1');

    const remote = await as(agent, 'GET', `/api/messages/${messageId}/html?remote=1`);
    expect(remote.res.body).toContain('https://tracker.example/pixel.gif');
    expect(remote.res.body).not.toMatch(/onerror/);
    expect(String(remote.res.headers['content-security-policy'])).toContain('https: http:');

    const part = await as(agent, 'GET', `/api/messages/${messageId}/parts/logo%40customer.example`);
    expect(part.status).toBe(200);
    expect(part.res.headers['content-type']).toBe('image/png');
    expect(part.res.headers['x-content-type-options']).toBe('nosniff');
    expect(part.res.rawPayload.equals(PNG)).toBe(true);
  });

  it('downloads attachments and the raw message as attachments; GETs need no CSRF token', async () => {
    const t = (await as(agent, 'GET', `/api/cases/${caseId}/thread`)).json;
    const email = t.Items.find((i: { Kind: string; Direction?: string }) => i.Kind === 'email' && i.Direction === 'in');
    const file = await as(agent, 'GET', email.Attachments[0].Url);
    expect(file.status).toBe(200);
    expect(file.res.headers['content-disposition']).toBe(
      `attachment; filename="Rechnung M_rz.txt"; filename*=UTF-8''Rechnung%20M%C3%A4rz.txt`,
    );
    expect(file.res.headers['x-content-type-options']).toBe('nosniff');
    expect(file.res.body).toBe('invoice text');
    const raw = await as(agent, 'GET', `/api/messages/${messageId}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.res.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(raw.res.headers['content-disposition']).toMatch(/^attachment; filename="message-\d+\.eml"/);
    expect(raw.res.body).toContain('Message-ID: <hostile-1@customer.example>');
    expect((await as(agent, 'GET', `/api/messages/999999/raw`)).status).toBe(404);
    expect((await as(agent, 'GET', `/api/messages/${messageId}/attachments/7`)).status).toBe(404);
    expect((await c.t.call('GET', `/api/messages/${messageId}/html`, undefined, null)).status).toBe(401);
  });
});

describe('a reply written on a stale view', () => {
  it('is refused with 409 STALE_THREAD and nothing saved; with the current version it is saved', async () => {
    const made = await newCase('stale reply');
    const version = (await as(agent, 'GET', `/api/cases/${made.Id}/thread`)).json.ThreadVersion;
    // Another agent adds a note meanwhile.
    expect((await as(other, 'POST', `/api/cases/${made.Id}/notes`, { Comment: 'I am on it' })).status).toBe(201);
    const stale = await as(agent, 'POST', `/api/cases/${made.Id}/notes`, {
      Comment: 'Sent on an old view',
      IsPublic: true,
      IfThreadVersion: version,
    });
    expect(stale.status).toBe(409);
    const now = (await as(agent, 'GET', `/api/cases/${made.Id}/thread`)).json;
    expect(stale.json).toMatchObject({ Code: 'STALE_THREAD', ThreadVersion: now.ThreadVersion });
    expect(stale.json.Message).toMatch(/changed/);
    expect(now.ThreadVersion).not.toBe(version);
    expect(now.Items.filter((i: { Kind: string }) => i.Kind === 'note').map((i: { Text: string }) => i.Text)).toEqual([
      'I am on it',
    ]);
    const fresh = await as(agent, 'POST', `/api/cases/${made.Id}/notes`, {
      Comment: 'Sent on the current view',
      IfThreadVersion: now.ThreadVersion,
    });
    expect(fresh.status, JSON.stringify(fresh.json)).toBe(201);
  });
});

describe('reply templates', () => {
  it('admins manage them; agents list them and render them for a case; unknown variables are refused', async () => {
    const body =
      'Hello {{customer.name}} ({{ customer.email }}),\nabout {{case.number}} "{{case.subject}}".\n{{agent.name}}';
    const created = await as(admin, 'POST', '/api/admin/reply-templates', { Name: 'Greeting', Body: body });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toEqual({ Id: expect.any(String), Name: 'Greeting', Body: body, Public: true });
    const id = created.json.Id;
    expect((await as(agent, 'POST', '/api/admin/reply-templates', { Name: 'Mine', Body: 'x' })).status).toBe(403);
    const bad = await as(admin, 'POST', '/api/admin/reply-templates', { Name: 'Bad', Body: 'Hi {{order.id}}' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/\{\{order\.id\}\}.*allowed: \{\{customer\.name\}\}/);
    expect((await as(admin, 'POST', '/api/admin/reply-templates', { Name: 'greeting', Body: 'x' })).status).toBe(409);
    const put = await as(admin, 'PUT', `/api/admin/reply-templates/${id}`, {
      Name: 'Greeting',
      Body: body,
      Public: false,
    });
    expect(put.json.Public).toBe(false);
    expect((await as(admin, 'GET', `/api/admin/reply-templates/${id}`)).json.Public).toBe(false);
    expect((await as(agent, 'GET', '/api/reply-templates')).json.map((t: { Name: string }) => t.Name)).toEqual([
      'Greeting',
    ]);
    const made = await newCase('Parcel lost', { CustomerName: 'Ann Able' });
    const rendered = await as(agent, 'POST', `/api/cases/${made.CaseNumber}/reply-templates/${id}/render`);
    expect(rendered.status, JSON.stringify(rendered.json)).toBe(200);
    expect(rendered.json.Body).toBe(
      `Hello Ann Able (ann@example.com),\nabout ${made.CaseNumber} "Parcel lost".\n${AGENT.name}`,
    );
    expect((await as(admin, 'DELETE', `/api/admin/reply-templates/${id}`)).status).toBe(204);
    expect((await as(admin, 'GET', `/api/admin/reply-templates/${id}`)).status).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('describes every staff inbox route', async () => {
    const doc = (await c.t.call('GET', '/swagger/json', undefined, null)).json;
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((p) =>
      Object.values(p).map((o) => o.operationId),
    );
    for (const id of [
      'getCaseCounts',
      'getCaseThread',
      'getMessageHtml',
      'getMessagePart',
      'getMessageAttachment',
      'getMessageRaw',
      'getEvents',
      'putCasePresence',
      'getCasePresence',
      'listReplyTemplates',
      'renderReplyTemplate',
      'createReplyTemplate',
      'updateReplyTemplate',
      'deleteReplyTemplate',
    ])
      expect(ops).toContain(id);
    expect(doc.paths['/api/cases/{id}/thread'].get.responses['200'].content['application/json'].schema).toBeTruthy();
  });
});

/** Reads Server-Sent Events from a real socket: each event as {event, data}. */
function openEvents(baseUrl: string, s: Session) {
  const events: { event: string; data: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- event JSON
  let text = '';
  let connected = false;
  let statusCode = 0;
  let headers: http.IncomingHttpHeaders = {};
  const req = http.get(`${baseUrl}/api/events`, { headers: { cookie: s.cookie } }, (res) => {
    statusCode = res.statusCode ?? 0;
    headers = res.headers;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        if (block.includes(': connected')) connected = true;
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => undefined);
  return {
    events,
    status: () => statusCode,
    headers: () => headers,
    connected: () => waitFor('the event stream to connect', async () => connected),
    close: () => req.destroy(),
  };
}

describe('live events over a real HTTP socket', () => {
  let baseUrl: string;
  beforeAll(async () => {
    await c.t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(c.t.app.server.address() as AddressInfo).port}`;
  });

  it('pushes created, updated and thread events, from the API and from the worker', async () => {
    const stream = openEvents(baseUrl, agent);
    await stream.connected();
    expect(stream.status()).toBe(200);
    expect(stream.headers()['content-type']).toMatch(/^text\/event-stream/);
    const made = await newCase('live one');
    await waitFor('a created event', async () =>
      stream.events.find((e) => e.event === 'case' && e.data.CaseId === made.Id && e.data.Change === 'created'),
    );
    await as(agent, 'POST', `/api/cases/${made.Id}/notes`, { Comment: 'note', IsPublic: false });
    await waitFor('a thread event', async () =>
      stream.events.find((e) => e.event === 'case' && e.data.CaseId === made.Id && e.data.Change === 'thread'),
    );
    expect(stream.events.find((e) => e.data.CaseId === made.Id)?.data.CaseNumber).toBe(made.CaseNumber);
    const got = await c.receive(
      'From: Wendy <wendy@customer.example>\r\nTo: support@example.com\r\nSubject: from the worker\r\n' +
        'Message-ID: <live-worker-1@customer.example>\r\n\r\nHello\r\n',
    );
    await waitFor('the worker-made case', async () =>
      stream.events.find((e) => e.event === 'case' && e.data.CaseId === got.case_id && e.data.Change === 'created'),
    );
    stream.close();
  });

  it('shows two agents on the same case to each other, live, until they leave', async () => {
    const made = await newCase('collision');
    const stream = openEvents(baseUrl, other);
    await stream.connected();
    const put = await as(agent, 'PUT', `/api/cases/${made.CaseNumber}/presence`, { Activity: 'viewing' });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.Users).toEqual([{ UserId: agentId, Name: AGENT.name, Activity: 'viewing' }]);
    await as(other, 'PUT', `/api/cases/${made.Id}/presence`, { Activity: 'replying' });
    const seen = await as(agent, 'GET', `/api/cases/${made.Id}/presence`);
    expect(seen.json).toEqual({
      CaseId: made.Id,
      Users: [
        { UserId: agentId, Name: AGENT.name, Activity: 'viewing' },
        { UserId: otherId, Name: OTHER.name, Activity: 'replying' },
      ],
    });
    // The other agent's stream hears the first agent arrive, and then leave.
    await waitFor('the presence event of the agent viewing', async () =>
      stream.events.find(
        (e) =>
          e.event === 'presence' &&
          e.data.CaseId === made.Id &&
          e.data.Users.some((u: { UserId: string }) => u.UserId === agentId),
      ),
    );
    await as(agent, 'PUT', `/api/cases/${made.Id}/presence`, { Activity: 'left' });
    await waitFor('the presence event of the agent leaving', async () =>
      stream.events.find(
        (e) =>
          e.event === 'presence' &&
          e.data.CaseId === made.Id &&
          e.data.Users.length === 1 &&
          e.data.Users[0].UserId === otherId,
      ),
    );
    // A repeated PUT of the same activity changes nothing and sends nothing.
    const count = stream.events.filter((e) => e.event === 'presence').length;
    await as(other, 'PUT', `/api/cases/${made.Id}/presence`, { Activity: 'replying' });
    await newCase('marker after presence');
    await waitFor('the marker event', async () =>
      stream.events.find(
        (e) => e.event === 'case' && e.data.Change === 'created' && e.data.CaseNumber !== made.CaseNumber,
      ),
    );
    expect(stream.events.filter((e) => e.event === 'presence').length).toBe(count);
    expect((await as(agent, 'PUT', `/api/cases/${made.Id}/presence`, { Activity: 'dancing' })).status).toBe(400);
    expect((await as(agent, 'PUT', `/api/cases/CS-999999/presence`, { Activity: 'viewing' })).status).toBe(404);
    stream.close();
  });

  it('survives the loss of its LISTEN connection: the stream says resync, and events flow again', async () => {
    const stream = openEvents(baseUrl, agent);
    await stream.connected();
    const killed = await sql<{ pid: number }>`
      SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
      WHERE application_name = ${LIVE_APPLICATION_NAME} AND datname = current_database()`.execute(c.t.ctx.db);
    expect(killed.rows.length).toBe(1);
    await waitFor('the resync event', async () => stream.events.find((e) => e.event === 'resync'), 20_000);
    const made = await newCase('after the reconnect');
    await waitFor('an event after the reconnect', async () =>
      stream.events.find((e) => e.event === 'case' && e.data.CaseId === made.Id),
    );
    stream.close();
  });

  it('lets go of a stream when its client disconnects', async () => {
    const open = async () => {
      const text = (await c.t.call('GET', '/metrics', undefined, null)).res.body;
      return Number(/^intake_live_event_streams (\d+)/m.exec(text)?.[1]);
    };
    const before = await open();
    const streams = [openEvents(baseUrl, agent), openEvents(baseUrl, other)];
    for (const s of streams) await s.connected();
    expect(await open()).toBe(before + 2);
    for (const s of streams) s.close();
    await waitFor('the streams to be let go', async () => (await open()) === before);
  });

  it('refuses the stream without a session', async () => {
    const stream = openEvents(baseUrl, { cookie: 'intake_session=nope', csrf: '' });
    await waitFor('an answer', async () => stream.status());
    expect(stream.status()).toBe(401);
    stream.close();
  });
});
