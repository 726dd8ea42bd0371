import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaleCaseSettingsError } from '../src/errors.js';
import type { CaseJson, NoteJson } from '../src/cases/case.types.js';
import {
  applyNewCase,
  applyNewCases,
  type Applied,
  type EmailHookContext,
  type InboundHooks,
} from '../src/inbound/apply-decision.js';
import { parseOptionsFor } from '../src/inbound/process-message.js';
import { storeRawMessage } from '../src/inbound/store.js';
import type { ThreadingResult } from '../src/inbound/threading.js';
import type { ParsedMessage } from '../src/mail/message.types.js';
import { parseMessage } from '../src/mail/parse.js';
import {
  peekNextCaseNumber,
  readCaseSettings,
  type VersionedCaseSettings,
} from '../src/settings/settings.repository.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { caseSearchOutOfStep } from './helpers/database.js';
import { fixture, mail, SUPPORT } from './helpers/inbound.js';

/**
 * The set-based new-case path (applyNewCases -> createCasesWithFirstNote, used by inbound batches) against the
 * one-by-one path (applyNewCase): the same mail must give the same case, as GET /api/cases/{id} shows it.
 */

const NEW_CASE: ThreadingResult = {
  action: 'new-case',
  caseId: null,
  caseNumber: null,
  reason: 'no thread matched',
  rule: null,
  matched: null,
  internal: false,
  previousCase: null,
  possiblyRelated: null,
  addsParticipants: true,
};
const FIXTURES = [
  'cc-participants.eml',
  'new-order-ref.eml',
  'with-attachment.eml',
  'iso-8859-1.eml',
  'new-html-only.eml',
];

let t: TestApp;
let copies = 0;

interface Mail {
  raw: Buffer;
  parsed: ParsedMessage;
}

async function parse(raw: Buffer | string): Promise<Mail> {
  const bytes = Buffer.from(raw);
  const { settings } = await readCaseSettings(t.ctx.db);
  return { raw: bytes, parsed: await parseMessage(bytes, parseOptionsFor(t.ctx.config, settings)) };
}

/** A messages row for a note to reference. Each copy gets a different number of trailing CRLFs: the store de-duplicates identical bytes. */
async function store(raw: Buffer): Promise<string> {
  const bytes = Buffer.concat([raw, Buffer.from('\r\n'.repeat(++copies))]);
  return (await storeRawMessage(t.ctx.db, { mailbox: 'test', raw: bytes })).id;
}

/** applyNewCase, each message in its own transaction, against the settings as the worker holds them (confirmed). */
async function oneByOne(mails: Mail[], hooks: InboundHooks = {}): Promise<Applied[]> {
  const out: Applied[] = [];
  for (const { raw, parsed } of mails) {
    const messageRowId = await store(raw);
    out.push(
      await t.ctx.db
        .transaction()
        .execute(async (trx) =>
          applyNewCase(
            trx,
            t.ctx.config,
            { ...(await readCaseSettings(trx)), confirm: true },
            parsed,
            NEW_CASE,
            messageRowId,
            hooks,
          ),
        ),
    );
  }
  return out;
}

/** applyNewCases: all messages in ONE transaction (freshly stored rows, the same parsed messages). */
async function together(mails: Mail[], hooks: InboundHooks = {}, known?: VersionedCaseSettings): Promise<Applied[]> {
  const messages: Parameters<typeof applyNewCases>[3][number][] = [];
  for (const { raw, parsed } of mails) messages.push({ parsed, decision: NEW_CASE, messageRowId: await store(raw) });
  return t.ctx.db
    .transaction()
    .execute(async (trx) => applyNewCases(trx, t.ctx.config, known ?? (await readCaseSettings(trx)), messages, hooks));
}

async function caseJson(applied: Applied): Promise<CaseJson> {
  const res = await t.call('GET', `/api/cases/${applied.caseRow!.id}`);
  expect(res.status).toBe(200);
  return res.json as CaseJson;
}

/** The case without what must differ between two cases made at different times: ids, numbers, timestamps, URLs. */
function comparable(c: CaseJson) {
  const { Id: _id, CaseNumber: _number, Created: _created, Changed: _changed, LastCommentDate: _last, ...rest } = c;
  const note = ({ Id: _noteId, Created: _noteCreated, Attachments, ...n }: NoteJson) => ({
    ...n,
    Attachments: Attachments.map(({ Id: _fileId, Url: _url, ...a }) => a),
  });
  return {
    ...rest,
    CaseNotes: c.CaseNotes.map(note),
    InternalNotes: c.InternalNotes.map(note),
    CaseStatusLog: c.CaseStatusLog.map(({ Timestamp: _at, ...l }) => l),
  };
}

/** Both paths over the same parsed mail; the case JSON of each, in input order. */
async function bothPaths(mails: Mail[]): Promise<{ single: CaseJson[]; bulk: CaseJson[] }> {
  const single = await Promise.all((await oneByOne(mails)).map(caseJson));
  const bulk = await Promise.all((await together(mails)).map(caseJson));
  return { single, bulk };
}

async function count(table: 'cases' | 'case_notes' | 'attachments'): Promise<number> {
  const r = await t.ctx.db.selectFrom(table).select(t.ctx.db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

beforeAll(async () => {
  t = await createTestApp('bulkcreate', {
    MAIL_FROM: SUPPORT,
    REPLY_ADDRESS: SUPPORT,
    OWN_ADDRESSES: 'help@example.com',
  });
});
afterAll(async () => {
  await t?.close();
});

describe('applyNewCases against applyNewCase', () => {
  it('creates, for real fixtures, cases whose API JSON equals the one-by-one cases but for ids, numbers and timestamps', async () => {
    const mails = await Promise.all(FIXTURES.map((name) => parse(fixture(name))));
    const { single, bulk } = await bothPaths(mails);
    for (const [i, name] of FIXTURES.entries()) {
      const [a, b] = [single[i]!, bulk[i]!];
      expect(comparable(b), name).toEqual(comparable(a));
      // What the comparison rests on, spelled out: a new email case with its one public note.
      expect([b.Status, b.Source, b.CommentCount, b.CaseNotes.length, b.InternalNotes.length], name).toEqual([
        'New',
        'Email',
        1,
        1,
        0,
      ]);
      expect(
        b.CaseStatusLog.map((l) => [l.Status, l.DurationSincePreviousMs]),
        name,
      ).toEqual([['New', null]]);
      expect(b.LastCommenterName, name).toBe(b.CaseNotes[0]!.CreatedBy);
      expect(b.CaseNumber).not.toBe(a.CaseNumber);
    }
    // The fixtures really carry what is compared (else equality would prove little).
    const byName = (name: string) => bulk[FIXTURES.indexOf(name)]!;
    expect(byName('cc-participants.eml').Participants.length).toBeGreaterThan(0);
    expect(byName('new-order-ref.eml').RelatedOrders).toEqual(['12345', '98765']);
    expect(byName('with-attachment.eml').CaseNotes[0]!.Attachments.map((a) => a.Size)).toEqual(
      single[FIXTURES.indexOf('with-attachment.eml')]!.CaseNotes[0]!.Attachments.map((a) => a.Size),
    );
    expect(byName('with-attachment.eml').CaseNotes[0]!.Attachments.length).toBeGreaterThan(0);
    expect(byName('new-html-only.eml').CaseNotes[0]!.Html).toBeTruthy();
    expect(byName('iso-8859-1.eml').CustomerName).toBe('Jürgen Müller');
    // The batch's one INSERT fills the narrow search table too (its statement trigger), as one-by-one inserts do.
    expect(await caseSearchOutOfStep(t.ctx.db)).toBe(0);
  });

  it('numbers the cases of one call uniquely, consecutively and in input order', async () => {
    const mails = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => parse(mail({ from: `n${i}@numbers.example`, subject: `Numbered ${i}` }))),
    );
    const cases = await Promise.all((await together(mails)).map(caseJson));
    expect(cases.map((c) => c.Subject)).toEqual(mails.map((_, i) => `Numbered ${i}`));
    const { settings } = await readCaseSettings(t.ctx.db);
    const numbers = cases.map((c) => Number(c.CaseNumber.slice(settings.NumberPrefix.length)));
    expect(cases.every((c) => c.CaseNumber.startsWith(settings.NumberPrefix))).toBe(true);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
  });

  it('links a sender to the known customer of its email (any letter case) and fills an empty CustomerName from it, in both paths', async () => {
    const res = await t.call('POST', '/api/customers', { Name: 'Dana Known', Email: 'Dana.Known@Customer.Example' });
    expect(res.status).toBe(201);
    const customerId = res.json.Id as string;
    const mails = await Promise.all([
      parse(mail({ from: 'dana.known@customer.example', subject: 'No display name' })),
      parse(mail({ from: 'Dana K. <DANA.KNOWN@customer.example>', subject: 'With display name' })),
    ]);
    const { single, bulk } = await bothPaths(mails);
    for (const cases of [single, bulk]) {
      expect(cases.map((c) => [c.CustomerId, c.CustomerName])).toEqual([
        [customerId, 'Dana Known'],
        [customerId, 'Dana K.'],
      ]);
    }
    expect(bulk.map(comparable)).toEqual(single.map(comparable));
  });

  it('throws StaleCaseSettingsError on a stale settings version and writes nothing', async () => {
    const mails = await Promise.all([parse(fixture('with-attachment.eml')), parse(mail({ subject: 'Never created' }))]);
    const { settings, version } = await readCaseSettings(t.ctx.db);
    expect(version).not.toBeNull();
    const before = await Promise.all([count('cases'), count('case_notes'), count('attachments')]);
    let hookCalls = 0;
    const hooks: InboundHooks = {
      onNewCasesFromEmail: async () => void hookCalls++,
      onNewCaseFromEmail: async () => void hookCalls++,
    };
    await expect(together(mails, hooks, { settings, version: '2000-01-01 00:00:00+00' })).rejects.toBeInstanceOf(
      StaleCaseSettingsError,
    );
    expect(await Promise.all([count('cases'), count('case_notes'), count('attachments')])).toEqual(before);
    expect(hookCalls).toBe(0);
  });

  describe('settings changed after the worker read them', () => {
    let known: VersionedCaseSettings;
    let mails: Mail[];
    beforeAll(async () => {
      mails = [await parse(mail({ from: 'late@settings.example', subject: 'Read before the change' }))];
      known = await readCaseSettings(t.ctx.db);
      const settings = (await t.call('GET', '/api/cases/settings')).json;
      const put = await t.call('PUT', '/api/cases/settings', { ...settings, Tags: [...settings.Tags, 'added-later'] });
      expect(put.status).toBe(200);
      expect((await readCaseSettings(t.ctx.db)).version).not.toBe(known.version);
    });
    const written = () =>
      Promise.all([count('cases'), count('case_notes'), count('attachments'), peekNextCaseNumber(t.ctx.db)]);

    it('a batch writes nothing, takes no case number, and reports StaleCaseSettingsError; with fresh settings it goes through', async () => {
      const before = await written();
      const err = await together(mails, {}, known).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaleCaseSettingsError);
      expect((err as StaleCaseSettingsError).code).toBe('CASE_SETTINGS_STALE');
      expect(await written()).toEqual(before);
      const [applied] = await together(mails, {}, await readCaseSettings(t.ctx.db));
      const created = await caseJson(applied!);
      expect([created.Subject, created.CaseNumber]).toEqual([
        'Read before the change',
        `${known.settings.NumberPrefix}${before[3]}`,
      ]);
    });

    it("a single new case in the worker's transaction does the same", async () => {
      const before = await written();
      const messageRowId = await store(mails[0]!.raw);
      const run = t.ctx.db
        .transaction()
        .execute((trx) =>
          applyNewCase(trx, t.ctx.config, { ...known, confirm: true }, mails[0]!.parsed, NEW_CASE, messageRowId, {}),
        );
      await expect(run).rejects.toBeInstanceOf(StaleCaseSettingsError);
      expect(await written()).toEqual(before);
    });
  });

  describe('hooks', () => {
    let mails: Mail[];
    beforeAll(async () => {
      mails = await Promise.all([
        parse(mail({ from: 'h1@hooks.example', subject: 'Hook one' })),
        parse(fixture('auto-reply-ooo.eml')),
        parse(mail({ from: 'h2@hooks.example', subject: 'Hook two' })),
      ]);
      expect(mails.map((m) => m.parsed.classification === 'normal')).toEqual([true, false, true]);
    });
    const ids = (ctxs: EmailHookContext[]) => ctxs.map((c) => c.caseRow.id);

    it('calls onNewCasesFromEmail once with every normal-mail case (and not onNewCaseFromEmail)', async () => {
      const batches: EmailHookContext[][] = [];
      const single: EmailHookContext[] = [];
      const applied = await together(mails, {
        onNewCasesFromEmail: async (_trx, ctxs) => void batches.push(ctxs),
        onNewCaseFromEmail: async (_trx, ctx) => void single.push(ctx),
      });
      expect(batches).toHaveLength(1);
      expect(single).toHaveLength(0);
      expect(ids(batches[0]!)).toEqual([applied[0]!.caseRow!.id, applied[2]!.caseRow!.id]);
      // The context names the case's first note as the API shows it.
      const first = await caseJson(applied[0]!);
      expect([batches[0]![0]!.note.id, batches[0]![0]!.caseRow.case_number]).toEqual([
        first.CaseNotes[0]!.Id,
        first.CaseNumber,
      ]);
    });

    it('calls onNewCaseFromEmail once per normal-mail case when it is the only hook', async () => {
      const single: EmailHookContext[] = [];
      const applied = await together(mails, { onNewCaseFromEmail: async (_trx, ctx) => void single.push(ctx) });
      expect(ids(single)).toEqual([applied[0]!.caseRow!.id, applied[2]!.caseRow!.id]);
    });

    it('still creates a case from automatic mail, which reaches no hook in either path', async () => {
      const calls: string[] = [];
      const hooks: InboundHooks = {
        onNewCaseFromEmail: async (_trx, ctx) => void calls.push(ctx.caseRow.id),
        onNewCasesFromEmail: async (_trx, ctxs) => void calls.push(...ids(ctxs)),
      };
      const [bulk] = await together([mails[1]!], hooks);
      const [single] = await oneByOne([mails[1]!], hooks);
      expect(calls).toEqual([]);
      const [b, s] = await Promise.all([caseJson(bulk!), caseJson(single!)]);
      expect(b.Status).toBe('New');
      expect(comparable(b)).toEqual(comparable(s));
    });
  });
});
