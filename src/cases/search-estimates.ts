import { CompiledQuery } from 'kysely';
import type { DbOrTrx } from '../db/database.js';

/** How long a planner estimate of TotalHits is reused for the same filter (see plannerEstimate). */
export const ESTIMATE_CACHE_TTL_MS = 60_000;
/** Most filters whose estimate is kept per database handle; the oldest is dropped first. */
export const ESTIMATE_CACHE_SIZE = 1_000;

const estimateCaches = new WeakMap<object, Map<string, { rows: number; at: number }>>();

/**
 * The planner's row estimate of a filter. It comes from the table statistics, which change only when
 * PostgreSQL re-analyses the table (after about a tenth of it changed), so the same filter gets the same
 * estimate for minutes: it is reused for ESTIMATE_CACHE_TTL_MS, which saves a round trip and a planning per
 * page request of a queue view or a repeated search. Keyed by the filter's SQL and values, per database handle.
 */
export async function plannerEstimate(db: DbOrTrx, compiled: CompiledQuery): Promise<number> {
  let cache = estimateCaches.get(db);
  if (!cache) estimateCaches.set(db, (cache = new Map()));
  const key = `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < ESTIMATE_CACHE_TTL_MS) return hit.rows;
  const explained = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
    CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]),
  );
  const rows = Math.round(explained.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
  cache.delete(key);
  if (cache.size >= ESTIMATE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, { rows, at: now });
  return rows;
}

/**
 * A word whose planner estimate is below this many cases is rare: a text search that contains one reads its
 * hits through the GIN index first and sorts them (searchStatements' `hits-first` plan), instead of walking
 * the `created` index until a page is full. Walking is what PostgreSQL picks for any word it has no statistics
 * for (it assumes 0.5 % of the rows match), and for a word that matches nothing it reads the whole index:
 * 1.3 s at a million cases, against well under a millisecond through the GIN index. Words PostgreSQL knows
 * to be common keep the walk, which stops after a page (a GIN scan of a word in a fifth of the cases: 59 ms).
 */
export const RARE_WORD_ESTIMATE = 20_000;

const WORD_ESTIMATE_SQL = `select 1 as "one" from "cases" where search_vector @@ to_tsquery('english', $1)`;

/** The cache of word estimates: plannerEstimate's, under the key it would use for the word's own statement. */
function wordKey(word: string): string {
  return `${WORD_ESTIMATE_SQL}\u0000${JSON.stringify([word])}`;
}

/**
 * The planner's estimates of several words (tsquery terms), in their order. Cached ones are answered from
 * plannerEstimate's cache; all the others are planned by ONE `EXPLAIN` of their statements joined by UNION ALL,
 * whose Append node lists one estimate per branch: a search for a new number or address part asks once, not
 * once per form of each word (each of those took a pool connection and a round trip of its own).
 */
export async function wordEstimates(db: DbOrTrx, words: readonly string[]): Promise<number[]> {
  let cache = estimateCaches.get(db);
  if (!cache) estimateCaches.set(db, (cache = new Map()));
  const now = Date.now();
  const found = words.map((w) => {
    const hit = cache.get(wordKey(w));
    return hit && now - hit.at < ESTIMATE_CACHE_TTL_MS ? hit.rows : undefined;
  });
  const missing = [...new Set(words.filter((_, i) => found[i] === undefined))];
  if (missing.length > 0) {
    const text = missing.map((_, i) => WORD_ESTIMATE_SQL.replace('$1', `$${i + 1}`)).join(' UNION ALL ');
    const explained = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${text}`, missing));
    const top = explained.rows[0]?.['QUERY PLAN'][0]?.Plan;
    // One branch is planned alone; several are the Append node's children, in the order written.
    const branches = missing.length === 1 ? [top] : (top?.Plans ?? []);
    missing.forEach((w, i) => {
      const rows = Math.round(branches[i]?.['Plan Rows'] ?? 0);
      const key = wordKey(w);
      cache.delete(key);
      if (cache.size >= ESTIMATE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, { rows, at: now });
    });
  }
  return words.map((w, i) => found[i] ?? cache.get(wordKey(w))!.rows);
}

interface PlanNode {
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/**
 * The rare terms (RARE_WORD_ESTIMATE) of a tsquery of `&`-joined terms (interpretSearchText), in their order.
 * Planner estimates only, cached like TotalHits' (ESTIMATE_CACHE_TTL_MS), so a repeated search asks nothing.
 * A prefix term (`word:*`) matches at least what the whole word does, but PostgreSQL's prefix estimate can be far
 * lower than its estimate of the word itself (seen: 2 % for a word in every row), so the larger of the two counts.
 */
export async function rareTerms(db: DbOrTrx, tsquery: string): Promise<string[]> {
  const terms = tsquery.split(' & ');
  const forms = terms.map((term) => (term.endsWith(':*') ? [term, term.slice(0, -2)] : [term]));
  const estimates = await wordEstimates(db, forms.flat());
  let next = 0;
  return terms.filter((_, i) => Math.max(...forms[i]!.map(() => estimates[next++]!)) < RARE_WORD_ESTIMATE);
}
