import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseTextArray, parseTimestamptz } from './type-parsers.js';

const pgTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (v: string) => unknown;
const pgTextArray = pg.types.getTypeParser(1009 as typeof pg.types.builtins.TIMESTAMPTZ, 'text') as (
  v: string,
) => unknown;

/** PostgreSQL's ISO output of an instant at a fixed offset, with `digits` of fraction (its own rule: trailing zeros dropped). */
function pgOutput(ms: number, micros: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = ((local.getUTCMilliseconds() * 1000 + micros) / 1e6)
    .toFixed(6)
    .slice(1)
    .replace(/0+$/, '')
    .replace(/\.$/, '');
  const off = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(off / 60))}${off % 60 ? `:${pad(off % 60)}` : ''}`;
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}${zone}`;
}

describe('parseTimestamptz', () => {
  it('reads PostgreSQL ISO output at any offset as the same instant as pg, milliseconds truncated', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor(-30e12 + random() * 250e12); // 1019 to 9891
      const micros = Math.floor(random() * 1000);
      const offset = [0, 60, -300, 330, 345, -570, 840][i % 7]!;
      const text = pgOutput(ms, micros, offset);
      const parsed = parseTimestamptz(text) as Date;
      expect(parsed.getTime(), text).toBe(ms);
      expect(parsed.getTime(), text).toBe((pgTimestamptz(text) as Date).getTime());
    }
  });

  it('reads offsets with seconds and fractions of one to six digits', () => {
    expect((parseTimestamptz('2026-12-01 09:38:59+00') as Date).toISOString()).toBe('2026-12-01T09:38:59.000Z');
    expect((parseTimestamptz('2026-12-01 09:38:59.1+00') as Date).toISOString()).toBe('2026-12-01T09:38:59.100Z');
    expect((parseTimestamptz('2026-12-01 09:38:59.129999+00') as Date).toISOString()).toBe('2026-12-01T09:38:59.129Z');
    expect((parseTimestamptz('1900-01-01 00:00:00+00:19:32') as Date).toISOString()).toBe('1899-12-31T23:40:28.000Z');
  });

  it('hands every other shape to pg: BC, years below 1000 or above 9999, infinity', () => {
    for (const text of [
      '0044-03-15 12:00:00+00 BC',
      '0099-01-01 00:00:00+00',
      '12026-01-01 00:00:00+00',
      'infinity',
      '-infinity',
      '2026-12-01 09:38:59.5+00 BC',
    ]) {
      expect(parseTimestamptz(text), text).toEqual(pgTimestamptz(text));
    }
  });
});

describe('parseTextArray', () => {
  it('gives what pg gives for every shape PostgreSQL prints', () => {
    const cases = [
      '{}',
      '{a}',
      '{a,b,c}',
      '{ORD-100001,ORD-2}',
      '{"a b",c}',
      '{"",x}',
      '{NULL}',
      '{a,NULL,b}',
      '{"NULL"}',
      '{"with \\"quote\\"","back\\\\slash"}',
      '{{a,b},{c,d}}',
      '[0:1]={a,b}',
      '{"a,b",c}',
      '{"{x}"}',
      '{å,日本,😀}',
      '{null}',
    ];
    for (const text of cases) expect(parseTextArray(text), text).toEqual(pgTextArray(text));
  });
});
