import type { SampleRequest } from './loadgen.js';
import { BENCH_TAGS } from './seed.js';

/** One kind of request the API benchmark sends, and the p99 it must stay under. */
export interface Scenario {
  name: string;
  /** p99 target in ms: the rate reported is the highest whose p99 stays under it. */
  targetP99: number;
  /** First rate of the ladder, requests per second. */
  startRate: number;
  /** The next request, drawn with `random` (a seeded generator). */
  request: (random: () => number) => SampleRequest;
}

const TEXTS = [
  'refund',
  'parcel',
  'damaged laptop',
  'invoic',
  'broken camera',
  'courier deliver',
  'password locked',
  'warranty claim',
];
const RARE_WORDS = ['zebra', 'kumquat', 'xylophone', 'quarantine refund'];
const STATUSES = ['New', 'In Progress', 'Resolved'];
const PRIORITIES = ['High', 'Critical'];
const SORTS = ['ChangedDescending', 'CreatedAscending', 'CreatedDescending'];

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const below = (random: () => number, n: number): number => Math.floor(random() * n);
const search = (body: unknown): SampleRequest => ({
  method: 'POST',
  path: '/api/cases/search',
  body: JSON.stringify(body),
});

/** The scenarios over a database of `cases` seeded cases, `ids` being some of their ids. */
export function apiScenarios(cases: number, ids: readonly string[]): Scenario[] {
  return [
    {
      name: 'GET /api/cases/{id}',
      targetP99: 10,
      startRate: 250,
      request: (r) => ({ method: 'GET', path: `/api/cases/${pick(r, ids)}` }),
    },
    {
      name: 'search: text',
      targetP99: 50,
      startRate: 100,
      request: (r) => search({ SearchText: pick(r, TEXTS) }),
    },
    {
      // What agents also type: a word no case has, a case number without its prefix, a customer's address part.
      name: 'search: rare text',
      targetP99: 50,
      startRate: 100,
      request: (r) => {
        const kind = below(r, 3);
        const text =
          kind === 0
            ? pick(r, RARE_WORDS)
            : kind === 1
              ? String(1001 + below(r, cases))
              : `customer${below(r, 100_000) + 1}`;
        return search({ SearchText: text });
      },
    },
    {
      name: 'search: filtered+sorted',
      targetP99: 50,
      startRate: 100,
      request: (r) =>
        search({
          Status: pick(r, STATUSES),
          Priority: pick(r, PRIORITIES),
          Tags: [pick(r, BENCH_TAGS)],
          SortOrder: pick(r, SORTS),
          Page: below(r, 3),
        }),
    },
    {
      name: 'POST /api/cases',
      targetP99: 100,
      startRate: 100,
      request: (r) => ({
        method: 'POST',
        path: '/api/cases',
        body: JSON.stringify({
          Subject: `Bench ${pick(r, TEXTS)} ${below(r, 36 ** 6).toString(36)}`,
          Description: 'Created by the API benchmark.',
          CustomerEmail: `customer${below(r, 100_000) + 1}@example${below(r, 50)}.com`,
        }),
      }),
    },
  ];
}
