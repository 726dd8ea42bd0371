import { sql, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { DbOrTrx } from './database.js';
import { precompiled, queryTemplate, slot } from './query-template.js';
import { compilerDb } from './database.js';

/** Records what would be sent, without a database: the statement is compiled here, only executed by pg. */
function recorder() {
  const sent: CompiledQuery[] = [];
  const db = { executeQuery: async (q: CompiledQuery) => (sent.push(q), { rows: [] }) } as unknown as DbOrTrx;
  return { db, sent };
}

describe('precompiled statements', () => {
  it('compile once and put each value in its slot, keeping the constants', async () => {
    const statement = precompiled((db, slot) =>
      db
        .updateTable('messages')
        .set({ status: slot(1), error: null, attempts: sql`attempts + 1` })
        .where('id', '=', slot(0))
        .where('status', '<>', 'failed'),
    );
    const { db, sent } = recorder();
    await statement(db, ['7', 'processed']);
    await statement(db, ['8', 'ignored']);
    expect(sent[0]!.sql).toBe(sent[1]!.sql);
    expect(sent[0]!.parameters).toEqual(['processed', null, '7', 'failed']);
    expect(sent[1]!.parameters).toEqual(['ignored', null, '8', 'failed']);
  });

  it('refuse a slot buried inside a larger value', async () => {
    const statement = precompiled((db, slot) =>
      db
        .selectFrom('messages')
        .select('id')
        .where('message_id', '=', `<${slot<string>(0)}>`),
    );
    await expect(statement(recorder().db, ['x'])).rejects.toThrow(/inside a larger value/);
  });

  it('send an undefined value as NULL, as pg does', async () => {
    const statement = precompiled((db, slot) => db.selectFrom('messages').select('id').where('case_id', '=', slot(0)));
    const { db, sent } = recorder();
    await statement(db, [undefined]);
    expect(sent[0]!.parameters).toEqual([null]);
  });
});

describe('query templates', () => {
  const template = queryTemplate(
    compilerDb
      .selectFrom('cases')
      .select('id')
      .where('status', '=', slot('status'))
      .limit(slot('take') as unknown as number),
  );

  it('bind named slots per call and keep one SQL text', () => {
    const a = template({ status: 'New', take: 20 });
    const b = template({ status: 'Closed', take: 5 });
    expect(a.sql).toBe(b.sql);
    expect(a.parameters).toEqual(['New', 20]);
    expect(b.parameters).toEqual(['Closed', 5]);
  });

  it('refuse a call that leaves a slot without a value (never a silent NULL)', () => {
    expect(() => template({ status: 'New' })).toThrow(/no value for slot "take"/);
  });
});
