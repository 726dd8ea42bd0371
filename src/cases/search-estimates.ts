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
  const key = `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`;
  const [rows] = await cachedPerKey(
    db,
    [key],
    (k) => k,
    async () => {
      const explained = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
        CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]),
      );
      return [Math.round(explained.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0)];
    },
  );
  return rows!;
}

/**
 * Per-key numbers kept in the estimate cache of `db` (ESTIMATE_CACHE_TTL_MS): the cached ones are answered at once,
 * and `fetch` is called ONCE with all the others (each key once), returning their numbers in its order.
 */
async function cachedPerKey(
  db: DbOrTrx,
  items: readonly string[],
  keyOf: (item: string) => string,
  fetch: (missing: string[]) => Promise<number[]>,
): Promise<number[]> {
  let cache = estimateCaches.get(db);
  if (!cache) estimateCaches.set(db, (cache = new Map()));
  const now = Date.now();
  const found = items.map((item) => {
    const hit = cache.get(keyOf(item));
    return hit && now - hit.at < ESTIMATE_CACHE_TTL_MS ? hit.rows : undefined;
  });
  const missing = [...new Set(items.filter((_, i) => found[i] === undefined))];
  if (missing.length > 0) {
    const fetched = await fetch(missing);
    missing.forEach((item, i) => {
      const key = keyOf(item);
      cache.delete(key);
      if (cache.size >= ESTIMATE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, { rows: fetched[i]!, at: now });
    });
  }
  return items.map((item, i) => found[i] ?? cache.get(keyOf(item))!.rows);
}

/**
 * How a text search decides between walking the date index and asking the GIN index first (searchStatements'
 * `ordered` and `hits-first` plans). The walk tests cases newest first until the page is full: cheap when the words
 * are common among the newest cases, but for a word that matches few cases it reads the whole index (1.3 s at a
 * million cases). The GIN index costs more with every case that matches anywhere, most for a prefix (`cust:*` is
 * every address that starts so, collected into a bitmap first: 990,000 matches took 7-14 s, 110,000 1.2 s, while
 * a walk fills a page of them in a millisecond). PostgreSQL's own estimate cannot tell the two apart: for a word
 * outside its most common elements it assumes 0.5 % of the cases, the same for `zebra:*` (no match) and `cust:*`.
 *
 * So the planner's estimate decides (RARE_WORD_ESTIMATE), with one exception that is always safe: for a
 * page sorted newest first the server also tests each word on the newest RARE_PROBE_CASES live cases (one small
 * statement for all the words, cached, run beside the estimates), and a word found there at least as often as the
 * page needs hits (offset + take) walks, since the walk is sure to stop within those cases. The same probe tells
 * the stop words (`the`), which PostgreSQL drops from a longer text and which must never be asked of the index.
 * The newest cases are read from the narrow `case_search` table (search-plans.ts, the `walk` plan).
 */
export const RARE_PROBE_CASES = 500;

const probeKey = (term: string): string => `\u0000newest-probe\u0000${term}`;

/**
 * For each tsquery term (`word` or `word:*`), how many of the newest RARE_PROBE_CASES live cases it matches, from
 * ONE statement for all the terms; -1 for a term that is only a stop word (`the`: an empty tsquery, which
 * PostgreSQL drops from a longer text). Cached per term like the planner's estimates (ESTIMATE_CACHE_TTL_MS).
 */
export async function newestMatches(db: DbOrTrx, terms: readonly string[]): Promise<number[]> {
  return cachedPerKey(db, terms, probeKey, async (missing) => {
    const columns = missing.flatMap((_, i) => [
      `count(*) FILTER (WHERE search_vector @@ to_tsquery('english', $${i + 1})) AS "h${i}"`,
      `numnode(to_tsquery('english', $${i + 1})) = 0 AS "e${i}"`,
    ]);
    const text = `SELECT ${columns.join(', ')} FROM (SELECT search_vector FROM case_search WHERE deleted_at IS NULL ORDER BY created DESC, id DESC LIMIT $${missing.length + 1}) AS newest`;
    const { rows } = await db.executeQuery<Record<string, string | boolean>>(
      CompiledQuery.raw(text, [...missing, RARE_PROBE_CASES]),
    );
    return missing.map((_, i) => (rows[0]![`e${i}`] ? -1 : Number(rows[0]![`h${i}`])));
  });
}

/**
 * The rare terms of a tsquery of `&`-joined terms (interpretSearchText), in their order, for a page that needs the
 * first `wanted` hits (offset + take), decided as RARE_PROBE_CASES explains. Stop words are never rare.
 */
export async function rareTerms(
  db: DbOrTrx,
  tsquery: string,
  options: { wanted: number; newestFirst: boolean },
): Promise<string[]> {
  const terms = tsquery.split(' & ');
  // The whole text too, in the same probe, for the capped walk's choice (search-plans.ts choosePlan), which then finds it cached.
  const probed = terms.length > 1 ? [...terms, tsquery] : terms;
  const [matches, estimates] = await Promise.all([newestMatches(db, probed), termEstimates(db, terms)]);
  return terms.filter((_, i) => {
    const k = matches[i]!;
    if (k === -1) return false; // a stop word
    if (options.newestFirst && k >= options.wanted) return false; // the walk stops within the newest cases
    return estimates[i]! < RARE_WORD_ESTIMATE;
  });
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
  return cachedPerKey(db, words, wordKey, async (missing) => {
    const text = missing.map((_, i) => WORD_ESTIMATE_SQL.replace('$1', `$${i + 1}`)).join(' UNION ALL ');
    const explained = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${text}`, missing),
    );
    const top = explained.rows[0]?.['QUERY PLAN'][0]?.Plan;
    // One branch is planned alone; several are the Append node's children, in the order written.
    const branches = missing.length === 1 ? [top] : (top?.Plans ?? []);
    return missing.map((_, i) => Math.round(branches[i]?.['Plan Rows'] ?? 0));
  });
}

interface PlanNode {
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/**
 * Each term's planner estimate, cached like TotalHits' (ESTIMATE_CACHE_TTL_MS). A prefix term (`word:*`) matches
 * at least what the whole word does, but PostgreSQL's prefix estimate can be far lower than its estimate of the word
 * itself (seen: 2 % for a word in every row), so the larger of the two counts.
 */
async function termEstimates(db: DbOrTrx, terms: readonly string[]): Promise<number[]> {
  const forms = terms.map((term) => (term.endsWith(':*') ? [term, term.slice(0, -2)] : [term]));
  const estimates = await wordEstimates(db, forms.flat());
  let next = 0;
  return forms.map((f) => Math.max(...f.map(() => estimates[next++]!)));
}

const ALL_CASES = CompiledQuery.raw(`select 1 as "one" from "cases"`);

/**
 * The planner's view of a tsquery of `&`-joined terms: how many cases it expects to match them all (the words taken
 * as independent, as PostgreSQL does, each with termEstimates' estimate) out of how many cases. PostgreSQL's own
 * estimate of the whole text is no use for this: it takes a prefix term for 2 % of the cases even when every case
 * has the word. From the cached word estimates: no statement once rareTerms has seen the words.
 */
export async function textEstimate(db: DbOrTrx, tsquery: string): Promise<{ hits: number; cases: number }> {
  const [estimates, cases] = await Promise.all([
    termEstimates(db, tsquery.split(' & ')),
    plannerEstimate(db, ALL_CASES),
  ]);
  const share = estimates.reduce((p, e) => p * Math.min(1, e / Math.max(cases, 1)), 1);
  return { hits: Math.round(cases * share), cases };
}
