import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compilerDb, executePrepared, isDatabaseUnavailable, PreparedStatements } from './database.js';

/** The text executePrepared sends for `sql` (compilerDb runs nothing, so the text is read off its executor). */
async function sentText(sql: string): Promise<string> {
  let sent = '';
  const db = compilerDb.withPlugin({
    transformQuery: (args) => args.node,
    transformResult: async (args) => args.result,
  });
  const executor = db.getExecutor();
  const original = executor.executeQuery.bind(executor);
  executor.executeQuery = async (compiled) => {
    sent = compiled.sql;
    return original(compiled);
  };
  await executePrepared(db, CompiledQuery.raw(sql, []));
  return sent;
}

describe('PreparedStatements', () => {
  it('names the texts executePrepared sends, one name per text, and nothing else', async () => {
    const statements = new PreparedStatements();
    const text = await sentText('SELECT 1');
    expect(text).toContain('SELECT 1');
    const name = statements.nameOf(text);
    expect(name).toMatch(/^intake_\d+$/);
    expect(statements.nameOf(text)).toBe(name);
    expect(statements.nameOf(await sentText('SELECT 2'))).not.toBe(name);
    expect(statements.nameOf('SELECT 1')).toBeUndefined();
  });

  it('sends texts past its limit unnamed, and each instance (each database handle) keeps its own names', async () => {
    const small = new PreparedStatements(2);
    const texts = await Promise.all(['SELECT 1', 'SELECT 2', 'SELECT 3'].map(sentText));
    expect(texts.map((t) => small.nameOf(t) !== undefined)).toEqual([true, true, false]);
    expect(new PreparedStatements().nameOf(texts[2]!)).toBe('intake_1');
  });
});

describe('isDatabaseUnavailable', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('is true for a server that is down, restarting or gone mid-session', () => {
    expect(isDatabaseUnavailable(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('08006'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Client has encountered a connection error and is not queryable'))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new AggregateError([pgError('ECONNREFUSED')], 'all addresses refused'))).toBe(true);
  });

  it('is false for a statement the database refused', () => {
    expect(isDatabaseUnavailable(pgError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('57014', 'canceling statement due to statement timeout'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('cannot parse message'))).toBe(false);
  });
});
