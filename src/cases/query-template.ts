import type { Compilable, CompiledQuery } from 'kysely';

const SLOT_PREFIX = '\u0000slot:';

/**
 * A stand-in for a value of a query built once as a template (see queryTemplate). It is a string, so callers
 * that build with a Date, a number or an array in its place cast it: kysely passes any value through as a parameter.
 */
export const slot = (name: string): string => `${SLOT_PREFIX}${name}`;

/** A compiled query whose slots are bound to each call's values; every other parameter stays as compiled. */
export type QueryTemplate<R> = (values: Readonly<Record<string, unknown>>) => CompiledQuery<R>;

/**
 * Compiles `query` once. Building and compiling a kysely query costs tens of microseconds and a lot of garbage
 * (its nodes are frozen copies); a query whose SQL text depends only on its shape can be built once per shape
 * with slot() values and bound per request instead. A slot without a value is an error, never a NULL.
 */
export function queryTemplate<R>(query: Compilable<R>): QueryTemplate<R> {
  const compiled = query.compile();
  const names = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(SLOT_PREFIX) ? p.slice(SLOT_PREFIX.length) : undefined));
  if (!names.some((n) => n !== undefined)) return () => compiled;
  return (values) => ({
    ...compiled,
    parameters: compiled.parameters.map((p, i) => {
      const name = names[i];
      if (name === undefined) return p;
      const value = values[name];
      if (value === undefined) throw new Error(`queryTemplate: no value for slot "${name}"`);
      return value;
    }),
  });
}
