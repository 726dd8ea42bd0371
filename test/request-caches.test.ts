import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createApiKey, createApiKeyCache, revokeApiKey } from '../src/auth/api-keys.js';
import { createCase } from '../src/cases/case.service.js';
import { DEFAULT_CASE_SETTINGS } from '../src/settings/case-settings.js';
import { createCaseSettingsCache } from '../src/settings/settings-cache.js';
import { saveCaseSettings } from '../src/settings/settings.repository.js';
import { updateCaseSettings } from '../src/settings/settings.service.js';
import { createTestApp, type TestApp } from './helpers/app.js';

// The app context's caches of verified API keys and case settings (docs/cases-api.md, "Caching"), on a clock
// the tests move by hand.
const API_KEY_TTL_MS = 15_000;
const SETTINGS_TTL_MS = 10_000;
let t: TestApp;
let caseId: string;
let clock = 1_000_000;
const now = () => clock;
beforeAll(async () => {
  t = await createTestApp(
    'reqcache',
    {},
    {
      apiKeys: createApiKeyCache({ ttlMs: API_KEY_TTL_MS, now }),
      caseSettings: createCaseSettingsCache({ ttlMs: SETTINGS_TTL_MS, now }),
    },
  );
  caseId = (await t.call('POST', '/api/cases', { Subject: 'cache' })).json.Id;
});
afterAll(async () => {
  await t?.close();
});
afterEach(() => {
  // Each test starts from empty caches: a copy kept from the previous test would be read on its clock.
  t.ctx.apiKeys.clear();
  t.ctx.caseSettings.invalidate();
});

/** The settings as the app's requests see them (its cache). */
const cachedSettings = async () => (await t.ctx.caseSettings.get(t.ctx.db)).settings;

/** What another process (the CLI, a second web process) does: change the row without this process knowing. */
const revokeElsewhere = (id: string) => sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id}`.execute(t.ctx.db);

describe('API key cache', () => {
  it('a key revoked in this process is refused at once, even though it was cached', async () => {
    const k = await createApiKey(t.ctx.db, { name: 'cached-then-revoked', scope: 'admin' });
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(200);
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(200);
    await revokeApiKey(t.ctx.db, k.id, t.ctx.apiKeys);
    const r = await t.call('GET', `/api/cases/${caseId}`, undefined, k.key);
    expect(r.status).toBe(401);
    expect(r.json.message).toContain('revoked');
  });

  it('a key revoked by another process keeps working until the TTL ends, then is refused', async () => {
    const k = await createApiKey(t.ctx.db, { name: 'revoked-elsewhere', scope: 'read' });
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(200);
    await revokeElsewhere(k.id);
    clock += API_KEY_TTL_MS - 1_000;
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(200);
    clock += 1_001;
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(401);
  });

  it('with the cache off (TTL 0) a revocation elsewhere is seen on the next check', async () => {
    const uncached = createApiKeyCache({ ttlMs: 0 });
    const k = await createApiKey(t.ctx.db, { name: 'uncached', scope: 'read' });
    expect(await uncached.verify(t.ctx.db, k.key)).toMatchObject({ keyId: k.id, scope: 'read' });
    await revokeElsewhere(k.id);
    expect(await uncached.verify(t.ctx.db, k.key)).toBeUndefined();
  });

  it('each app context has its own cache: revoking through one does not clear another', async () => {
    const other = createApiKeyCache({ ttlMs: API_KEY_TTL_MS, now });
    const k = await createApiKey(t.ctx.db, { name: 'two-contexts', scope: 'read' });
    expect(await other.verify(t.ctx.db, k.key)).toBeDefined();
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(200);
    await revokeApiKey(t.ctx.db, k.id, t.ctx.apiKeys);
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, k.key)).status).toBe(401);
    // The other context is like another process: it trusts its copy until the TTL ends.
    expect(await other.verify(t.ctx.db, k.key)).toBeDefined();
    clock += API_KEY_TTL_MS;
    expect(await other.verify(t.ctx.db, k.key)).toBeUndefined();
  });

  it('a cached key keeps its scope: a read key is still refused on a write route', async () => {
    expect((await t.call('GET', `/api/cases/${caseId}`, undefined, t.readKey)).status).toBe(200);
    expect((await t.call('DELETE', `/api/cases/${caseId}`, undefined, t.readKey)).status).toBe(403);
  });
});

describe('create answers without reading the case back', () => {
  it('the 201 body is exactly what a GET of the new case returns, customer link included', async () => {
    const cust = await t.call('POST', '/api/customers', { Name: 'Dora Direct', Email: 'dora@example.com' });
    const created = await t.call('POST', '/api/cases', {
      Subject: ' Same JSON ',
      CustomerEmail: 'DORA@example.com',
      Tags: [],
    });
    expect(created.status).toBe(201);
    expect(created.json.CustomerId).toBe(cust.json.Id);
    expect(created.json.CustomerName).toBe('Dora Direct');
    const got = await t.call('GET', `/api/cases/${created.json.Id}`);
    expect(got.json).toEqual(created.json);
  });
});

describe('case settings cache', () => {
  it('a settings change through the API applies to the next request at once (same process)', async () => {
    const settings = (await t.call('GET', '/api/cases/settings')).json;
    await cachedSettings(); // warm the cache
    const put = await t.call('PUT', '/api/cases/settings', {
      ...settings,
      NumberPrefix: 'CA-',
      DefaultPriority: 'High',
    });
    expect(put.status).toBe(200);
    const created = await t.call('POST', '/api/cases', { Subject: 'after the change' });
    expect(created.status).toBe(201);
    expect(created.json.CaseNumber).toMatch(/^CA-\d+$/);
    expect(created.json.Priority).toBe('High');
  });

  it("updateCaseSettings with the context's cache drops the cached copy when it commits", async () => {
    await cachedSettings();
    const { NextNumber: _next, ...current } = (await t.call('GET', '/api/cases/settings')).json;
    await updateCaseSettings(t.ctx.db, { ...current, Tags: ['service-save'] }, t.ctx.caseSettings);
    expect((await cachedSettings()).Tags).toEqual(['service-save']);
    expect((await t.call('POST', '/api/cases', { Subject: 'tagged', Tags: ['service-save'] })).status).toBe(201);
  });

  it('settings changed by another process are read again after the TTL', async () => {
    await saveCaseSettings(t.ctx.db, { ...structuredClone(DEFAULT_CASE_SETTINGS), Tags: ['one'] });
    expect((await cachedSettings()).Tags).toEqual(['one']);
    await sql`UPDATE settings SET value = jsonb_set(value, '{Tags}', '["two"]'), changed = clock_timestamp() WHERE key = 'cases'`.execute(
      t.ctx.db,
    );
    clock += SETTINGS_TTL_MS - 1_000;
    expect((await cachedSettings()).Tags).toEqual(['one']);
    clock += 1_001;
    expect((await cachedSettings()).Tags).toEqual(['two']);
  });

  it('a case is never created with settings another process changed meanwhile: the stale copy is detected and re-read', async () => {
    await saveCaseSettings(t.ctx.db, { ...structuredClone(DEFAULT_CASE_SETTINGS), NumberPrefix: 'OLD-' });
    await cachedSettings(); // this app now holds the OLD- settings until the (hand-moved) clock passes the TTL
    // Another process renames Status New and the prefix (bypassing this process's cache).
    const changed = {
      ...structuredClone(DEFAULT_CASE_SETTINGS),
      NumberPrefix: 'NEW-',
      Statuses: DEFAULT_CASE_SETTINGS.Statuses.map((s) => (s.Name === 'New' ? { ...s, Name: 'Open' } : s)),
      StatusNew: 'Open',
    };
    await sql`UPDATE settings SET value = ${JSON.stringify(changed)}::jsonb, changed = clock_timestamp() WHERE key = 'cases'`.execute(
      t.ctx.db,
    );
    const row = await createCase(
      t.ctx.db,
      { Subject: 'created during the change' },
      { settingsCache: t.ctx.caseSettings },
    );
    expect(row.case_number).toMatch(/^NEW-\d+$/);
    expect(row.status).toBe('Open');
    const json = (await t.call('GET', `/api/cases/${row.id}`)).json;
    expect(json.CaseStatusLog.map((l: { Status: string }) => l.Status)).toEqual(['Open']);
  });

  it('a settings change racing case creation never leaves a live case in a removed status', async () => {
    for (let round = 0; round < 4; round++) {
      await sql`UPDATE cases SET deleted_at = now() WHERE deleted_at IS NULL`.execute(t.ctx.db);
      const before = (await t.call('GET', '/api/cases/settings')).json;
      const from = before.StatusNew as string;
      const to = `Open${round}`;
      const renamed = {
        ...before,
        Statuses: before.Statuses.map((s: { Name: string; Level: number }) =>
          s.Name === from ? { ...s, Name: to } : s,
        ),
        StatusNew: to,
      };
      delete renamed.NextNumber;
      await cachedSettings(); // creators start from a cached copy, as in production
      const creates = Array.from({ length: 20 }, (_, i) =>
        t.call('POST', '/api/cases', { Subject: `race ${round}-${i}` }),
      );
      const put = await t.call('PUT', '/api/cases/settings', renamed);
      const statuses = (await Promise.all(creates)).map((r) => r.status);
      expect(statuses.every((s) => s === 201)).toBe(true);
      expect([200, 409]).toContain(put.status);
      const current = (await t.call('GET', '/api/cases/settings')).json.Statuses.map((s: { Name: string }) => s.Name);
      const live = await sql<{ status: string }>`SELECT DISTINCT status FROM cases WHERE deleted_at IS NULL`.execute(
        t.ctx.db,
      );
      for (const { status } of live.rows) expect(current).toContain(status);
    }
  });

  it('a tag added by another process is accepted at once on create, even while this process caches older settings', async () => {
    await saveCaseSettings(t.ctx.db, { ...structuredClone(DEFAULT_CASE_SETTINGS), Tags: ['old'] });
    await cachedSettings();
    await sql`UPDATE settings SET value = jsonb_set(value, '{Tags}', '["old","fresh"]'), changed = clock_timestamp() WHERE key = 'cases'`.execute(
      t.ctx.db,
    );
    const created = await t.call('POST', '/api/cases', { Subject: 'fresh tag', Tags: ['fresh'] });
    expect(created.status).toBe(201);
    expect(created.json.Tags).toEqual(['fresh']);
    const refused = await t.call('POST', '/api/cases', { Subject: 'unknown tag', Tags: ['nope'] });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toContain('fresh');
  });

  it('cached settings are frozen, so no caller can change them for every other request', async () => {
    const settings = await cachedSettings();
    expect(() => (settings.Tags as string[]).push('x')).toThrow(TypeError);
  });
});
