import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { addNote } from '../src/cases/case.service.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('casesapi');
});
afterAll(async () => {
  await t?.close();
});

const create = async (body: Record<string, unknown> = {}) => {
  const r = await t.call('POST', '/api/cases', { Subject: 'Parcel never arrived', ...body });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
};
const get = async (id: string) => (await t.call('GET', `/api/cases/${id}`)).json;

/** Each log entry's duration is the time since the entry before it; the first has none. */
function expectConsistentLog(log: { Status: string; Timestamp: string; DurationSincePreviousMs: number | null }[]) {
  expect(log[0]!.DurationSincePreviousMs).toBeNull();
  for (let i = 1; i < log.length; i++) {
    expect(log[i]!.DurationSincePreviousMs).toBe(Date.parse(log[i]!.Timestamp) - Date.parse(log[i - 1]!.Timestamp));
  }
}

describe('POST /api/cases', () => {
  it('creates a case in Status New with the default priority, a number and a first log entry', async () => {
    const c = await create({ Description: 'Ordered on Monday', Tags: [], RelatedOrders: ['PO-1', 'PO-1', ' PO-2 '] });
    expect(c.CaseNumber).toMatch(/^CS-\d+$/);
    expect(c.Status).toBe('New');
    expect(c.Priority).toBe('Medium');
    expect(c.Source).toBe('Web');
    expect(c.RelatedOrders).toEqual(['PO-1', 'PO-2']);
    expect(c.NextSuggestedStatus).toBe('In Progress');
    expect(c.CaseStatusLog).toEqual([
      // Created with the admin key: the key's name is who created it.
      {
        Status: 'New',
        Timestamp: c.Created,
        DurationSincePreviousMs: null,
        ChangedBy: 'test-admin',
        ChangedByUserId: null,
      },
    ]);
    expect(c.CommentCount).toBe(0);
    expect(c.Deleted).toBeNull();
  });

  it('keeps every editable field it is given', async () => {
    const body = {
      Subject: 'Wrong size',
      Description: 'Shoes are 42, I ordered 43',
      Priority: 'High',
      Source: 'Phone',
      AssignedToUserId: 'u-7',
      AssignedToName: 'Kim',
      CustomerName: 'Ann Example',
      CustomerEmail: 'ann.unknown@example.com',
      RelatedOrders: ['O-1'],
      RelatedCustomers: ['C-1'],
      RelatedProjects: ['P-1'],
      RelatedCarts: ['K-1'],
      RelatedSkuIds: ['S-1'],
      RelatedProductIds: ['PR-1'],
      Participants: [{ Name: 'Ann', Email: 'ann.unknown@example.com', CustomerId: null, Role: 'Customer' }],
      Properties: [{ Key: 'channel', Value: 'shop-de' }],
      FollowUpDate: '2030-01-02T03:04:05.000Z',
      MarketId: 'DE',
      MarketGroupId: 'EU',
    };
    const c = await create(body);
    for (const [k, v] of Object.entries(body)) expect(c[k], k).toEqual(v);
    expect(c.CustomerId).toBeNull();
  });

  it('50 parallel creations get 50 distinct case numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.call('POST', '/api/cases', { Subject: `parallel ${i}` })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const numbers = results.map((r) => Number(r.json.CaseNumber.slice(3)));
    expect(new Set(numbers).size).toBe(50);
    // One sequence hands them out: with no failures they are consecutive.
    const sorted = [...numbers].sort((a, b) => a - b);
    expect(sorted[49]! - sorted[0]!).toBe(49);
  });

  it('refuses server-owned fields and Status with a message naming them', async () => {
    for (const field of ['Id', 'CaseNumber', 'Created', 'CaseStatusLog', 'CommentCount', 'ClosedDate', 'Status']) {
      const r = await t.call('POST', '/api/cases', { Subject: 'x', [field]: field === 'CommentCount' ? 5 : 'X' });
      expect(r.status, field).toBe(400);
      expect(r.json.message).toContain(field);
    }
  });

  it('links a case to a known customer by email, whatever the case, and fills an empty CustomerName', async () => {
    const cust = await t.call('POST', '/api/customers', { Name: 'Bea Buyer', Email: 'Bea@Example.com' });
    const c = await create({ CustomerEmail: 'bea@EXAMPLE.com' });
    expect(c.CustomerId).toBe(cust.json.Id);
    expect(c.CustomerName).toBe('Bea Buyer');
    const named = await create({ CustomerEmail: 'BEA@example.com', CustomerName: 'B. Buyer' });
    expect(named.CustomerId).toBe(cust.json.Id);
    expect(named.CustomerName).toBe('B. Buyer');
    const byId = await create({ CustomerId: cust.json.Id });
    expect(byId.CustomerEmail).toBe('Bea@Example.com');
    expect((await t.call('POST', '/api/cases', { Subject: 'x', CustomerId: 'nope' })).status).toBe(400);
  });

  it('rejects an unknown priority or tag with the allowed values', async () => {
    const p = await t.call('POST', '/api/cases', { Subject: 'x', Priority: 'Urgent' });
    expect(p.status).toBe(400);
    expect(p.json.message).toBe('Unknown priority "Urgent"; allowed: Low, Medium, High, Critical');
    const tag = await t.call('POST', '/api/cases', { Subject: 'x', Tags: ['vip'] });
    expect(tag.status).toBe(400);
    expect(tag.json.message).toContain('Unknown tag "vip"');
  });
});

describe('bad input gets a 4xx with a message, never a 500', () => {
  const cases: [string, string, string, unknown][] = [
    ['wrong type for a string', 'POST', '/api/cases', { Subject: 123 }],
    ['wrong type for a list', 'POST', '/api/cases', { Subject: 'x', Tags: 'vip' }],
    ['object for a string', 'POST', '/api/cases', { Subject: { a: 1 } }],
    ['unknown field', 'POST', '/api/cases', { Subject: 'x', Colour: 'red' }],
    [
      'unknown participant field',
      'POST',
      '/api/cases',
      { Subject: 'x', Participants: [{ Name: 'a', Email: null, CustomerId: null, Role: null, Age: 3 }] },
    ],
    ['malformed JSON', 'POST', '/api/cases', '{"Subject": '],
    ['a JSON array body', 'POST', '/api/cases', '[1,2]'],
    ['bad email', 'POST', '/api/cases', { Subject: 'x', CustomerEmail: 'not-an-email' }],
    ['bad date', 'POST', '/api/cases', { Subject: 'x', FollowUpDate: 'tomorrow' }],
    ['huge subject', 'POST', '/api/cases', { Subject: 'x'.repeat(5_000) }],
    ['huge description', 'POST', '/api/cases', { Subject: 'x', Description: 'y'.repeat(1_000_001) }],
    ['PUT without Id', 'PUT', '/api/cases', { Subject: 'x' }],
    ['PATCH with unknown field', 'PATCH', '/api/cases', { Id: '00000000-0000-0000-0000-000000000000', Foo: 1 }],
    ['note without comment', 'POST', '/api/cases/00000000-0000-0000-0000-000000000000/notes', { IsPublic: true }],
    [
      'note with a string for IsPublic',
      'POST',
      '/api/cases/00000000-0000-0000-0000-000000000000/notes',
      { Comment: 'x', IsPublic: 'yes' },
    ],
    ['changestatus without status', 'POST', '/api/cases/00000000-0000-0000-0000-000000000000/changestatus', undefined],
  ];
  for (const [name, method, url, body] of cases) {
    it(`${name} → 400`, async () => {
      const r = await t.call(method, url, body);
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(typeof r.json.message).toBe('string');
      expect(r.json.message.length).toBeGreaterThan(5);
    });
  }

  it('names the unknown field in the message', async () => {
    const r = await t.call('POST', '/api/cases', { Subject: 'x', Colour: 'red' });
    expect(r.json.message).toContain('Colour');
  });

  it('a FollowUpDate outside years 0001-9999 or on a day that does not exist is a 400 naming the range, and no case is made', async () => {
    // The offset moves these instants into year 0 and year 10000, whose ISO form the Case schema cannot send back.
    for (const FollowUpDate of ['0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00', '2025-02-29T09:00:00Z']) {
      const before = await t.database.db
        .selectFrom('cases')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const r = await t.call('POST', '/api/cases', { Subject: 'x', FollowUpDate });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.message).toBe(
        'Invalid request: body/FollowUpDate expected an ISO 8601 date-time with a time zone, from 0001-01-01 to 9999-12-31 (UTC), e.g. 2026-05-01T09:00:00Z (or null)',
      );
      const after = await t.database.db
        .selectFrom('cases')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    }
    const c = await create();
    const r = await t.call('PATCH', '/api/cases', { Id: c.Id, FollowUpDate: '9999-12-31T23:59:59-14:00' });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json.message).toContain('from 0001-01-01 to 9999-12-31');
    const edge = await t.call('PATCH', '/api/cases', { Id: c.Id, FollowUpDate: '9999-12-31T23:59:59Z' });
    expect(edge.status, JSON.stringify(edge.json)).toBe(200);
    expect(edge.json.FollowUpDate).toBe('9999-12-31T23:59:59.000Z');
  });

  it('a case stored with a FollowUpDate in year 10000 (before dates were bounded) can still be changed: 200, not 500', async () => {
    const c = await create();
    await sql`UPDATE cases SET follow_up_date = '10000-01-01T13:59:59Z' WHERE id = ${c.Id}`.execute(t.database.db);
    for (const [method, url, body] of [
      ['PATCH', '/api/cases', { Id: c.Id, Subject: 'Still here' }],
      ['POST', `/api/cases/${c.Id}/assignto?userId=u-1`, undefined],
      ['POST', `/api/cases/${c.Id}/changestatus?status=In%20Progress`, undefined],
    ] as const) {
      const r = await t.call(method, url, body);
      expect(r.status, `${method} ${url}: ${JSON.stringify(r.json)}`).toBe(200);
      expect(r.json.FollowUpDate).toBe('+010000-01-01T13:59:59.000Z');
    }
    const fixed = await t.call('PATCH', '/api/cases', { Id: c.Id, FollowUpDate: '2026-05-01T09:00:00Z' });
    expect(fixed.json.FollowUpDate).toBe('2026-05-01T09:00:00.000Z');
  });

  it('a NUL character in a string is a 400 naming its field, in the body and in the query string', async () => {
    // PostgreSQL refused these with "invalid byte sequence for encoding UTF8: 0x00" (text) or
    // "unsupported Unicode escape sequence" (jsonb), naming no field.
    const participant = { Name: 'Ann\u0000', Email: null, CustomerId: null, Role: null };
    const body = await t.call('POST', '/api/cases', { Subject: 'a\u0000b', Participants: [participant] });
    expect(body.status, JSON.stringify(body.json)).toBe(400);
    expect(body.json.message).toBe(
      'Invalid request: body/Subject must not contain the NUL character (\\u0000), body/Participants/0/Name must not contain the NUL character (\\u0000)',
    );
    const c = await create();
    const query = await t.call('POST', `/api/cases/${c.Id}/assignto?userId=u%00`);
    expect(query.status, JSON.stringify(query.json)).toBe(400);
    expect(query.json.message).toBe('Invalid request: querystring/userId must not contain the NUL character (\\u0000)');
    expect((await get(c.Id)).AssignedToUserId).toBeNull();
  });

  it('a lone UTF-16 surrogate (a string cut inside an emoji) is kept as U+FFFD, in jsonb fields as in text ones', async () => {
    // Participants and Properties were a 400 "invalid input syntax for type json"; Subject already became U+FFFD.
    const c = await create({
      Subject: 'Parcel \ud83d',
      Participants: [{ Name: 'Ann \udc00', Email: null, CustomerId: null, Role: null }],
      Properties: [{ Key: 'mood', Value: '\ud83d\ude00 \ud83d' }],
    });
    expect(c.Subject).toBe('Parcel \ufffd');
    expect((await get(c.Id)).Participants[0].Name).toBe('Ann \ufffd');
    expect((await get(c.Id)).Properties).toEqual([{ Key: 'mood', Value: '\ud83d\ude00 \ufffd' }]);
  });

  it('a number in a query string is plain digits: Limit=1e3 or 1.5 is a 400, not a page of 1', async () => {
    for (const limit of ['1e3', '1.5', 'true']) {
      const r = await t.call('GET', `/api/inbound/messages?Limit=${limit}`);
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.message).toBe('Invalid request: querystring/Limit expected integer');
    }
    expect((await t.call('GET', '/api/inbound/messages?Limit=5')).status).toBe(200);
  });

  it('a malformed or unknown id → 404', async () => {
    for (const id of ['not-a-uuid', '00000000-0000-0000-0000-000000000000', "1' OR 1=1 --"]) {
      const r = await t.call('GET', `/api/cases/${encodeURIComponent(id)}`);
      expect(r.status).toBe(404);
      expect(r.json.message).toContain('not found');
    }
    expect((await t.call('PATCH', '/api/cases', { Id: 'nope', Subject: 'x' })).status).toBe(404);
    expect((await t.call('DELETE', '/api/cases/nope')).status).toBe(404);
  });
});

describe('PUT /api/cases', () => {
  it('replaces editable fields, clears omitted ones, and keeps Status and Priority when omitted', async () => {
    const c = await create({
      Description: 'd',
      Priority: 'High',
      Tags: [],
      RelatedOrders: ['O-9'],
      AssignedToName: 'Kim',
      MarketId: 'DE',
    });
    const r = await t.call('PUT', '/api/cases', { Id: c.Id, Subject: 'New subject' });
    expect(r.status).toBe(200);
    expect(r.json.Subject).toBe('New subject');
    expect(r.json.Description).toBe('');
    expect(r.json.RelatedOrders).toEqual([]);
    expect(r.json.AssignedToName).toBeNull();
    expect(r.json.MarketId).toBeNull();
    expect(r.json.Priority).toBe('High');
    expect(r.json.Status).toBe('New');
    expect(Date.parse(r.json.Changed)).toBeGreaterThanOrEqual(Date.parse(c.Changed));
  });

  it('GET-modify-PUT works and ignores server-owned fields', async () => {
    const c = await create();
    const body = {
      ...c,
      Subject: 'Edited',
      CaseNumber: 'HACK-1',
      Created: '2000-01-01T00:00:00.000Z',
      CommentCount: 99,
      ClosedDate: '2000-01-01T00:00:00.000Z',
      ResolvedDate: '2000-01-01T00:00:00.000Z',
      CaseStatusLog: [],
      LastCommenterName: 'Mallory',
    };
    const r = await t.call('PUT', '/api/cases', body);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.Subject).toBe('Edited');
    expect(r.json.CaseNumber).toBe(c.CaseNumber);
    expect(r.json.Created).toBe(c.Created);
    expect(r.json.CommentCount).toBe(0);
    expect(r.json.ClosedDate).toBeNull();
    expect(r.json.ResolvedDate).toBeNull();
    expect(r.json.LastCommenterName).toBeNull();
    expect(r.json.CaseStatusLog).toHaveLength(1);
  });

  it('a status change through PUT is logged and sets ClosedDate', async () => {
    const c = await create();
    const r = await t.call('PUT', '/api/cases', { ...c, Status: 'Closed' });
    expect(r.json.Status).toBe('Closed');
    expect(r.json.ClosedDate).not.toBeNull();
    expect(r.json.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['New', 'Closed']);
    expectConsistentLog(r.json.CaseStatusLog);
    const unknown = await t.call('PUT', '/api/cases', { ...c, Status: 'Gone' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('Unknown status "Gone"; allowed: New, In Progress, Reopened, Resolved, Closed');
  });
});

describe('PATCH /api/cases', () => {
  it('applies only the fields given and not null, leaving the rest alone', async () => {
    const c = await create({
      Description: 'keep me',
      Priority: 'Low',
      RelatedOrders: ['O-1'],
      AssignedToName: 'Kim',
      MarketId: 'DE',
    });
    const r = await t.call('PATCH', '/api/cases', {
      Id: c.Id,
      Subject: 'Patched',
      Description: null,
      RelatedOrders: null,
    });
    expect(r.status).toBe(200);
    expect(r.json.Subject).toBe('Patched');
    expect(r.json.Description).toBe('keep me');
    expect(r.json.Priority).toBe('Low');
    expect(r.json.RelatedOrders).toEqual(['O-1']);
    expect(r.json.AssignedToName).toBe('Kim');
    expect(r.json.MarketId).toBe('DE');
    expect(r.json.Status).toBe('New');
  });

  it('ignores server-owned fields', async () => {
    const c = await create();
    const r = await t.call('PATCH', '/api/cases', {
      Id: c.Id,
      CaseNumber: 'X-1',
      CommentCount: 7,
      Created: '2000-01-01T00:00:00Z',
    });
    expect(r.status).toBe(200);
    expect(r.json.CaseNumber).toBe(c.CaseNumber);
    expect(r.json.CommentCount).toBe(0);
    expect(r.json.Created).toBe(c.Created);
  });

  it('resolving sets ResolvedDate, closing sets ClosedDate, reopening clears both and the log keeps the history', async () => {
    const c = await create();
    const resolved = (await t.call('PATCH', '/api/cases', { Id: c.Id, Status: 'Resolved' })).json;
    expect(resolved.ResolvedDate).not.toBeNull();
    expect(resolved.NextSuggestedStatus).toBe('Closed');
    const closed = (await t.call('PATCH', '/api/cases', { Id: c.Id, Status: 'Closed' })).json;
    expect(closed.ClosedDate).not.toBeNull();
    expect(closed.ResolvedDate).toBe(resolved.ResolvedDate);
    expect(closed.NextSuggestedStatus).toBeNull();
    const reopened = (await t.call('PATCH', '/api/cases', { Id: c.Id, Status: 'Reopened' })).json;
    expect(reopened.ClosedDate).toBeNull();
    expect(reopened.ResolvedDate).toBeNull();
    expect(reopened.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual([
      'New',
      'Resolved',
      'Closed',
      'Reopened',
    ]);
    expectConsistentLog(reopened.CaseStatusLog);
  });

  it('a known customer email set by PATCH fills CustomerId and an empty CustomerName', async () => {
    const cust = await t.call('POST', '/api/customers', { Name: 'Carl Client', Email: 'carl@example.com' });
    const c = await create();
    const r = await t.call('PATCH', '/api/cases', { Id: c.Id, CustomerEmail: 'CARL@example.com' });
    expect(r.json.CustomerId).toBe(cust.json.Id);
    expect(r.json.CustomerName).toBe('Carl Client');
  });
});

describe('POST /api/cases/{id}/changestatus and /assignto', () => {
  it('changes status with a logged duration, and refuses an unknown status listing the allowed ones', async () => {
    const c = await create();
    const r = await t.call('POST', `/api/cases/${c.Id}/changestatus?status=${encodeURIComponent('In Progress')}`);
    expect(r.status).toBe(200);
    expect(r.json.Status).toBe('In Progress');
    expect(r.json.NextSuggestedStatus).toBe('Resolved');
    const closed = (await t.call('POST', `/api/cases/${c.Id}/changestatus?status=Closed`)).json;
    expect(closed.ClosedDate).not.toBeNull();
    expectConsistentLog(closed.CaseStatusLog);
    expect(closed.CaseStatusLog).toHaveLength(3);
    const same = (await t.call('POST', `/api/cases/${c.Id}/changestatus?status=Closed`)).json;
    expect(same.CaseStatusLog).toHaveLength(3);
    const bad = await t.call('POST', `/api/cases/${c.Id}/changestatus?status=Done`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('allowed: New, In Progress');
    expect(
      (await t.call('POST', '/api/cases/00000000-0000-0000-0000-000000000000/changestatus?status=Closed')).status,
    ).toBe(404);
  });

  it('assigns and unassigns', async () => {
    const c = await create();
    const r = await t.call(
      'POST',
      `/api/cases/${c.Id}/assignto?userId=u-42&userName=${encodeURIComponent('Dana Desk')}`,
    );
    expect(r.status).toBe(200);
    expect([r.json.AssignedToUserId, r.json.AssignedToName]).toEqual(['u-42', 'Dana Desk']);
    const un = await t.call('POST', `/api/cases/${c.Id}/assignto`);
    expect([un.json.AssignedToUserId, un.json.AssignedToName]).toEqual([null, null]);
    expect((await t.call('POST', `/api/cases/${c.Id}/assignto?userId=1&bogus=1`)).status).toBe(400);
  });
});

describe('POST /api/cases/{id}/notes', () => {
  it('adds public and internal notes and updates the comment fields of the case', async () => {
    const c = await create();
    const pub = await t.call('POST', `/api/cases/${c.Id}/notes`, {
      Comment: 'We shipped a replacement',
      IsPublic: true,
      CreatedBy: 'Kim',
      SendEmailNotification: true,
      To: ['ann@example.com'],
      Cc: ['boss@example.com'],
      Bcc: ['audit@example.com'],
    });
    expect(pub.status).toBe(201);
    expect(pub.json).toMatchObject({
      Comment: 'We shipped a replacement',
      IsPublic: true,
      CreatedBy: 'Kim',
      SendEmailNotification: true,
      Attachments: [],
    });
    const internal = await t.call('POST', `/api/cases/${c.Id}/notes`, { Comment: 'Customer is a reseller' });
    expect(internal.json.IsPublic).toBe(false);
    expect(internal.json.CreatedBy).toBe('test-admin');

    const after = await get(c.Id);
    expect(after.CommentCount).toBe(2);
    expect(after.LastCommenterName).toBe('test-admin');
    expect(after.LastCommentDate).toBe(internal.json.Created);
    expect(after.Changed).toBe(internal.json.Created);
    expect(after.CaseNotes.map((n: { Id: string }) => n.Id)).toEqual([pub.json.Id]);
    expect(after.InternalNotes.map((n: { Id: string }) => n.Id)).toEqual([internal.json.Id]);

    const row = await t.ctx.db
      .selectFrom('case_notes')
      .select(['email_to', 'email_cc', 'email_bcc'])
      .where('id', '=', pub.json.Id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      email_to: ['ann@example.com'],
      email_cc: ['boss@example.com'],
      email_bcc: ['audit@example.com'],
    });
  });

  it('refuses to email an internal note, an empty comment, bad recipients, and a missing case', async () => {
    const c = await create();
    const r = await t.call('POST', `/api/cases/${c.Id}/notes`, { Comment: 'secret', SendEmailNotification: true });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('IsPublic');
    expect((await t.call('POST', `/api/cases/${c.Id}/notes`, { Comment: '   ' })).status).toBe(400);
    expect((await t.call('POST', `/api/cases/${c.Id}/notes`, { Comment: 'x', To: ['nobody'] })).status).toBe(400);
    expect(
      (await t.call('POST', '/api/cases/00000000-0000-0000-0000-000000000000/notes', { Comment: 'x' })).status,
    ).toBe(404);
    expect((await get(c.Id)).CommentCount).toBe(0);
  });
});

describe('GET /api/cases/{id}/attachments/{attachmentId}', () => {
  it('downloads the bytes with Content-Type and Content-Disposition, with a read key', async () => {
    const c = await create();
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10]);
    const { attachments } = await addNote(t.ctx.db, c.Id, {
      comment: 'see attached',
      is_public: true,
      created_by: 'Ann',
      attachments: [{ fileName: 'Rechnung März.pdf', contentType: 'application/pdf', content: bytes }],
    });
    const json = await get(c.Id);
    const a = json.CaseNotes[0].Attachments[0];
    expect(a).toMatchObject({
      Id: attachments[0]!.id,
      FileName: 'Rechnung März.pdf',
      ContentType: 'application/pdf',
      Size: 7,
    });
    const res = await t.app.inject({ method: 'GET', url: a.Url, headers: { authorization: `Bearer ${t.readKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`,
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.rawPayload.equals(bytes)).toBe(true);

    const other = await create();
    expect((await t.call('GET', `/api/cases/${other.Id}/attachments/${a.Id}`)).status).toBe(404);
    expect((await t.call('GET', `/api/cases/${c.Id}/attachments/not-a-uuid`)).status).toBe(404);
  });
});

describe('DELETE /api/cases/{id}', () => {
  it('soft-deletes: 204, then GET, PATCH, notes and a second DELETE answer 404, while the row stays', async () => {
    const c = await create();
    const del = await t.call('DELETE', `/api/cases/${c.Id}`);
    expect(del.status).toBe(204);
    expect(del.res.body).toBe('');
    expect((await t.call('GET', `/api/cases/${c.Id}`)).status).toBe(404);
    expect((await t.call('PATCH', '/api/cases', { Id: c.Id, Subject: 'x' })).status).toBe(404);
    expect((await t.call('POST', `/api/cases/${c.Id}/notes`, { Comment: 'x' })).status).toBe(404);
    expect((await t.call('DELETE', `/api/cases/${c.Id}`)).status).toBe(404);
    const row = await t.ctx.db
      .selectFrom('cases')
      .select(['deleted_at'])
      .where('id', '=', c.Id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).toBeInstanceOf(Date);
  });
});

describe('note attachments uploaded through the API', () => {
  it('keeps a base64 file on the note and serves the same bytes back', async () => {
    const t = await createTestApp('noteupload');
    try {
      const created = await t.call('POST', '/api/cases', { Subject: 'Invoice please' });
      const pdf = Buffer.from('%PDF-1.4 fake invoice bytes');
      const note = await t.call('POST', `/api/cases/${created.json.Id}/notes`, {
        Comment: 'Here is your invoice',
        IsPublic: true,
        Attachments: [
          { FileName: 'invoice.pdf', ContentType: 'application/pdf', ContentBase64: pdf.toString('base64') },
        ],
      });
      expect(note.status).toBe(201);
      expect(note.json.Attachments).toHaveLength(1);
      expect(note.json.Attachments[0]).toMatchObject({
        FileName: 'invoice.pdf',
        ContentType: 'application/pdf',
        Size: pdf.length,
      });
      const download = await t.call('GET', note.json.Attachments[0].Url);
      expect(download.status).toBe(200);
      expect(download.res.rawPayload.equals(pdf)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('refuses an attachment that is not base64 with a 400', async () => {
    const t = await createTestApp('noteupload2');
    try {
      const created = await t.call('POST', '/api/cases', { Subject: 'x' });
      const bad = await t.call('POST', `/api/cases/${created.json.Id}/notes`, {
        Comment: 'c',
        Attachments: [{ FileName: 'a.txt', ContentBase64: '***not base64***' }],
      });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(/base64/);
    } finally {
      await t.close();
    }
  });

  it('a body over 25 MB (two 10 MB files, base64) is a 413 naming the limit', async () => {
    // Each file is under the 15 MB an attachment may have; together, encoded, they are over the body limit.
    const c = await create({ Subject: 'Two big scans' });
    const file = { FileName: 'scan.pdf', ContentBase64: Buffer.alloc(10 * 1024 * 1024).toString('base64') };
    const r = await t.call('POST', `/api/cases/${c.Id}/notes`, { Comment: 'scans', Attachments: [file, file] });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      message:
        'The request body is over the limit of 25 MB (attachments count base64-encoded, a third larger than the files)',
    });
    expect((await get(c.Id)).CommentCount).toBe(0);
  });
});
