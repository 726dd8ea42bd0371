import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('casesettings');
});
afterAll(async () => {
  await t?.close();
});

const settings = async () => (await t.call('GET', '/api/cases/settings')).json;
/** PUT the current document with `change` applied (GET-modify-PUT). */
/** The settings document as a test edits it, sometimes into something the API must refuse. */
type Named = { Name: string; Level?: unknown; Severity?: unknown };
type SettingsDoc = Record<string, unknown> & { Statuses: Named[]; Priorities?: Named[] };
const putWith = async (change: (s: SettingsDoc) => void) => {
  const s = await settings();
  delete s.NextNumber;
  change(s);
  return t.call('PUT', '/api/cases/settings', s);
};
const create = async (body: Record<string, unknown> = {}) => {
  const r = await t.call('POST', '/api/cases', { Subject: 'settings test', ...body });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
};

describe('GET /api/cases/settings', () => {
  it('returns the defaults, readable with a read key', async () => {
    const r = await t.call('GET', '/api/cases/settings', undefined, t.readKey);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      Enabled: true,
      Statuses: [
        { Name: 'New', Level: 1 },
        { Name: 'In Progress', Level: 2 },
        { Name: 'Reopened', Level: 2 },
        { Name: 'Resolved', Level: 3 },
        { Name: 'Closed', Level: 4 },
      ],
      StatusNew: 'New',
      StatusClosed: 'Closed',
      StatusReopen: 'Reopened',
      StatusResolved: 'Resolved',
      Priorities: [
        { Name: 'Low', Severity: 1 },
        { Name: 'Medium', Severity: 2 },
        { Name: 'High', Severity: 3 },
        { Name: 'Critical', Severity: 4 },
      ],
      DefaultPriority: 'Medium',
      Tags: [],
      Sources: ['Email', 'Phone', 'Web'],
      NumberPrefix: 'CS-',
      NextNumber: 1001,
    });
    expect(r.json.Acknowledgement.Enabled).toBe(true);
    expect(r.json.Acknowledgement.Subject).toContain('{{Subject}}');
  });

  it('a read key cannot change the settings', async () => {
    const s = await settings();
    delete s.NextNumber;
    expect((await t.call('PUT', '/api/cases/settings', s, t.readKey)).status).toBe(403);
  });
});

describe('PUT /api/cases/settings', () => {
  it('saves tags, priorities, statuses and acknowledgement, and cases then use them', async () => {
    const r = await putWith((s) => {
      s.Tags = ['vip', 'refund'];
      s.Priorities!.push({ Name: 'Blocker', Severity: 9 });
      s.DefaultPriority = 'Low';
      s.Statuses.push({ Name: 'Waiting', Level: 3 });
      s.Acknowledgement = { Enabled: false, Subject: 'Got it: {{CaseNumber}}', Body: 'Thanks' };
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.Tags).toEqual(['vip', 'refund']);
    expect(r.json.Acknowledgement).toEqual({ Enabled: false, Subject: 'Got it: {{CaseNumber}}', Body: 'Thanks' });
    expect((await settings()).DefaultPriority).toBe('Low');

    const c = await create({ Tags: ['vip'] });
    expect(c.Tags).toEqual(['vip']);
    expect(c.Priority).toBe('Low');
    const blocker = await t.call('PATCH', '/api/cases', { Id: c.Id, Priority: 'Blocker', Status: 'Waiting' });
    expect(blocker.json.Priority).toBe('Blocker');
    expect(blocker.json.NextSuggestedStatus).toBe('Closed');
    const bad = await t.call('PATCH', '/api/cases', { Id: c.Id, Tags: ['gold'] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('Unknown tag "gold"; allowed: vip, refund');
    const many = await t.call('PATCH', '/api/cases', {
      Id: c.Id,
      Tags: Array.from({ length: 30 }, (_, i) => `t${i % 25}`),
    });
    expect(many.status).toBe(400);
    const ten = Array.from({ length: 10 }, (_, i) => `"t${i}"`).join(', ');
    expect(many.json.message).toBe(`Unknown tags ${ten} and 15 more; allowed: vip, refund`);
  });

  it('refuses to remove a status, priority or tag still used by a live case, naming the count', async () => {
    const a = await create({ Tags: ['refund'], Priority: 'Blocker' });
    const b = await create({ Tags: ['refund'] });
    await t.call('POST', `/api/cases/${a.Id}/changestatus?status=Waiting`);
    await t.call('POST', `/api/cases/${b.Id}/changestatus?status=Waiting`);

    const status = await putWith((s) => (s.Statuses = s.Statuses.filter((x) => x.Name !== 'Waiting')));
    expect(status.status).toBe(409);
    // The earlier test left one more case in Waiting.
    expect(status.json.message).toContain('status "Waiting" is still used by 3 cases');
    const priority = await putWith((s) => (s.Priorities = s.Priorities!.filter((x) => x.Name !== 'Blocker')));
    expect(priority.status).toBe(409);
    expect(priority.json.message).toContain('priority "Blocker" is still used by 2 cases');
    const tag = await putWith((s) => (s.Tags = ['vip']));
    expect(tag.status).toBe(409);
    expect(tag.json.message).toContain('tag "refund" is still used by 2 cases');
    expect((await settings()).Tags).toEqual(['vip', 'refund']);

    // Soft-deleted cases do not hold a value: once the users are gone or moved, the change goes through.
    await t.call('DELETE', `/api/cases/${a.Id}`);
    await t.call('PATCH', '/api/cases', { Id: b.Id, Tags: [] });
    const ok = await putWith((s) => (s.Tags = ['vip']));
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json.Tags).toEqual(['vip']);
  });

  it('refuses an inconsistent document with a 400 saying why', async () => {
    const missingDesignation = await putWith((s) => (s.StatusClosed = 'Done'));
    expect(missingDesignation.status).toBe(400);
    expect(missingDesignation.json.message).toContain('StatusClosed "Done" is not one of the Statuses');
    const dup = await putWith((s) => s.Statuses.push({ Name: 'new', Level: 7 }));
    expect(dup.status).toBe(400);
    expect(dup.json.message).toContain('listed twice');
    const prefix = await putWith((s) => (s.NumberPrefix = 'no prefix'));
    expect(prefix.status).toBe(400);
    expect(prefix.json.message).toContain('NumberPrefix');
    const defaultPriority = await putWith((s) => (s.DefaultPriority = 'Whatever'));
    expect(defaultPriority.status).toBe(400);
    const unknownField = await putWith((s) => (s.Colour = 'red'));
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.message).toContain('Colour');
    const wrongType = await putWith((s) => (s.Statuses[0].Level = 'one'));
    expect(wrongType.status).toBe(400);
    const missing = await putWith((s) => delete s.Priorities);
    expect(missing.status).toBe(400);
    expect((await t.call('PUT', '/api/cases/settings', '{"Enabled":')).status).toBe(400);
  });
});

describe('case numbers', () => {
  it('NextNumber moves forward only: numbers are never reused', async () => {
    const before = (await settings()).NextNumber;
    const forward = await putWith((s) => (s.NextNumber = before + 1000));
    expect(forward.status).toBe(200);
    expect(forward.json.NextNumber).toBe(before + 1000);
    expect((await create()).CaseNumber).toBe(`CS-${before + 1000}`);

    const back = await putWith((s) => (s.NextNumber = before));
    expect(back.status).toBe(409);
    expect(back.json.message).toBe(
      `NextNumber ${before} is below the next case number ${before + 1001}: case numbers are never reused`,
    );
    const same = await putWith((s) => (s.NextNumber = before + 1001));
    expect(same.status).toBe(200);
    expect((await create()).CaseNumber).toBe(`CS-${before + 1001}`);
  });

  it('a prefix change applies to new cases only', async () => {
    const old = await create();
    const r = await putWith((s) => (s.NumberPrefix = 'HD-'));
    expect(r.status).toBe(200);
    const next = await create();
    expect(next.CaseNumber).toBe(`HD-${r.json.NextNumber}`);
    expect((await t.call('GET', `/api/cases/${old.Id}`)).json.CaseNumber).toBe(old.CaseNumber);
    await putWith((s) => (s.NumberPrefix = 'CS-'));
  });

  it('moving NextNumber while cases are being created never hands out a number twice', async () => {
    const start = (await settings()).NextNumber;
    const creations = Array.from({ length: 30 }, (_, i) => t.call('POST', '/api/cases', { Subject: `race ${i}` }));
    const move = putWith((s) => (s.NextNumber = start + 10));
    const results = await Promise.all(creations);
    const moved = await move;
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(201));
    const numbers = results.map((r) => r.json.CaseNumber);
    expect(new Set(numbers).size).toBe(30);
    // Either the move came first, or it was refused because creations had already passed start + 10.
    expect([200, 409]).toContain(moved.status);
  });

  it('disabled cases cannot be created', async () => {
    await putWith((s) => (s.Enabled = false));
    const r = await t.call('POST', '/api/cases', { Subject: 'x' });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('disabled');
    await putWith((s) => (s.Enabled = true));
    await create();
  });
});

describe('case updates and settings changes do not interleave', () => {
  it('a PATCH that writes a tag being removed waits for the settings change and is then refused', async () => {
    const app = await createTestApp('settingsrace');
    let releaseChange: () => void = () => undefined;
    try {
      const settings = (await app.call('GET', '/api/cases/settings')).json;
      const { NextNumber: _next, ...withVip } = { ...settings, Tags: ['vip', 'gift'] };
      expect((await app.call('PUT', '/api/cases/settings', withVip)).status).toBe(200);
      const created = await app.call('POST', '/api/cases', { Subject: 'Race' });

      // A settings change that removes "vip" is in progress: it holds the settings row.
      const changeHeld = new Promise<void>((resolve) => (releaseChange = resolve));
      let changeLocked!: () => void;
      const locked = new Promise<void>((resolve) => (changeLocked = resolve));
      const change = app.database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('settings').select('key').where('key', '=', 'cases').forUpdate().execute();
        changeLocked();
        await changeHeld;
        const without = { ...withVip, Tags: ['gift'] };
        delete (without as Record<string, unknown>).NextNumber;
        await trx
          .updateTable('settings')
          .set({ value: JSON.stringify(without) })
          .where('key', '=', 'cases')
          .execute();
      });
      await locked;

      let patchDone = false;
      const patch = app.call('PATCH', '/api/cases', { Id: created.json.Id, Tags: ['vip'] }).then((r) => {
        patchDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(patchDone).toBe(false); // it waits for the settings change instead of validating against old settings
      releaseChange();
      await change;
      const result = await patch;
      expect(result.status).toBe(400);
      expect(result.json.message).toMatch(/Unknown tag "vip"/);
      expect((await app.call('GET', `/api/cases/${created.json.Id}`)).json.Tags).toEqual([]);
    } finally {
      releaseChange(); // a failed assertion must not leave the settings row locked
      await app.close();
    }
  });
});
