import type { Compilable, CompiledQuery } from 'kysely';
import { compilerDb, prepareSqlText, type Db, type DbOrTrx } from '../db/database.js';

/** Stands for the `i`-th value of a precompiled statement while it is built. */
export type Slot = <T = never>(i: number) => T;

/**
 * A hot statement of the inbound path, built and compiled by kysely ONCE, then sent with new values as a
 * named prepared statement (database.ts prepareSqlText). Per message, building and compiling queries was
 * about a sixth of the worker's CPU, and PostgreSQL parses and plans every unnamed statement again
 * (~0.1 ms for the message's locking statement). `build` gets the compile-only Kysely and `slot(i)`, which
 * stands for `values[i]`: each slot must reach the compiled query as a parameter of its own (not spread,
 * not inside a larger value), so the SQL text must not depend on the values (use `= ANY(array)`, not `IN`).
 * Never with `SELECT *` / `RETURNING *`: a prepared statement must not change its result columns under it.
 */
export function precompiled<R>(build: (db: Db, slot: Slot) => Compilable<R>): (db: DbOrTrx, values: readonly unknown[]) => Promise<R[]> {
  const tag = `\u0000slot:${Math.random()}:`;
  let compiled: CompiledQuery<R> | undefined;
  let slots: number[] = [];
  return async (db, values) => {
    if (!compiled) {
      compiled = build(compilerDb, ((i: number) => `${tag}${i}`) as Slot).compile();
      slots = compiled.parameters.map((v) => (typeof v === 'string' && v.startsWith(tag) ? Number(v.slice(tag.length)) : -1));
      if (slots.some((s, k) => s < 0 && typeof compiled!.parameters[k] === 'string' && (compiled!.parameters[k] as string).includes(tag))) {
        throw new Error('precompiled: a slot was used inside a larger value');
      }
      prepareSqlText(compiled.sql);
    }
    const parameters = compiled.parameters.map((v, k) => (slots[k]! >= 0 ? values[slots[k]!] : v));
    return (await db.executeQuery<R>({ ...compiled, parameters })).rows;
  };
}
