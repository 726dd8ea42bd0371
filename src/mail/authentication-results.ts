/**
 * `Authentication-Results` (RFC 8601): what the receiving server found when it checked SPF, DKIM and DMARC.
 * Anyone can write such a header into a mail, so intake believes only the ones its own MX added: those whose
 * authserv-id is in TRUSTED_AUTHSERV_IDS, and only the topmost ones (a server adds its header above the ones the
 * mail already carried). Pure: header values in, results out.
 */

/** One `method=result` of a header, e.g. `dmarc=fail (p=REJECT) header.from=example.com`. */
export interface AuthMethodResult {
  /** Lower-cased, without a `/version`: `spf`, `dkim`, `dmarc`, `compauth`... */
  method: string;
  /** Lower-cased: `pass`, `fail`, `none`, `softfail`, `temperror`... */
  result: string;
  /** `reason=` when present. */
  reason: string | null;
  /** `ptype.property` (lower-cased) -> value, e.g. `header.from` -> `example.com`. */
  properties: Record<string, string>;
}

export interface AuthenticationResults {
  /**
   * The server that wrote it, lower-cased; null when the header has none (Microsoft 365 writes
   * `Authentication-Results: spf=pass (sender IP is ...) ...` without one).
   */
  authservId: string | null;
  version: number | null;
  results: AuthMethodResult[];
}

/**
 * The entry of TRUSTED_AUTHSERV_IDS that stands for a header without an authserv-id (Microsoft 365's). Parentheses
 * make a comment in the header's grammar, so no real authserv-id can be written this way.
 */
export const NO_AUTHSERV_ID = '(none)';

type Token = { kind: 'text' | 'quoted'; text: string } | { kind: ';' | '=' };

/**
 * Words, quoted strings and the `;` and `=` separators; comments (nested, with `\` escapes) and white space
 * dropped. `.`, `/` and `@` stay inside words: `header.from`, `dkim/1`, `smtp.mailfrom=ann@example.com`.
 */
function tokenize(value: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch === '(') {
      let depth = 0;
      for (; i < value.length; i++) {
        const c = value[i];
        if (c === '\\') i++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      i++;
    } else if (ch === '"') {
      let text = '';
      for (i++; i < value.length && value[i] !== '"'; i++) text += value[i] === '\\' ? (value[++i] ?? '') : value[i];
      out.push({ kind: 'quoted', text });
      i++;
    } else if (ch === ';' || ch === '=') {
      out.push({ kind: ch });
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else {
      const start = i;
      while (i < value.length && !/[\s;="()]/.test(value[i]!)) i++;
      out.push({ kind: 'text', text: value.slice(start, i) });
    }
  }
  return out;
}

const textOf = (t: Token | undefined): string | null =>
  t && (t.kind === 'text' || t.kind === 'quoted') ? t.text : null;

/** One `method=result [reason=...] [ptype.prop=value ...]` statement; null when it is not one. */
function methodResult(tokens: readonly Token[]): AuthMethodResult | null {
  const method = textOf(tokens[0]);
  const result = textOf(tokens[2]);
  if (!method || tokens[1]?.kind !== '=' || !result) return null;
  const found: AuthMethodResult = {
    method: method.split('/')[0]!.toLowerCase(),
    result: result.toLowerCase(),
    reason: null,
    properties: {},
  };
  for (let i = 3; i < tokens.length;) {
    const key = textOf(tokens[i]);
    const value = textOf(tokens[i + 2]);
    if (key === null || tokens[i + 1]?.kind !== '=' || value === null) {
      i++;
      continue;
    }
    if (key.toLowerCase() === 'reason') found.reason = value;
    else if (key.includes('.')) found.properties[key.toLowerCase()] = value;
    i += 3;
  }
  return found;
}

/**
 * Parses one header value (without the `Authentication-Results:` name). Statements it cannot read are skipped,
 * never guessed; null when not even the first part is readable.
 */
export function parseAuthenticationResults(value: string): AuthenticationResults | null {
  const statements: Token[][] = [[]];
  for (const t of tokenize(value)) {
    if (t.kind === ';') statements.push([]);
    else statements.at(-1)!.push(t);
  }
  const head = statements[0]!;
  if (head.length === 0) return null;
  let authservId: string | null = null;
  let version: number | null = null;
  let rest = statements.slice(1);
  if (head.some((t) => t.kind === '=')) {
    // No authserv-id: the first part is already a result (Microsoft 365).
    rest = statements;
  } else {
    authservId = textOf(head[0])?.toLowerCase() ?? null;
    if (!authservId) return null;
    const v = textOf(head[1]);
    if (v && /^\d+$/.test(v)) version = Number(v);
  }
  const results: AuthMethodResult[] = [];
  for (const s of rest) {
    const r = methodResult(s);
    if (r) results.push(r);
  }
  return { authservId, version, results };
}

/** The authserv-id as TRUSTED_AUTHSERV_IDS names it. */
const idOf = (r: AuthenticationResults) => r.authservId ?? NO_AUTHSERV_ID;

/**
 * The headers intake believes, from the message's Authentication-Results values in header order (topmost first):
 * those at the top whose authserv-id is trusted, up to the first one that is not (or cannot be read). Below that
 * one, any header may have come with the mail, whatever id it names.
 */
export function trustedAuthenticationResults(
  values: readonly string[],
  trustedIds: readonly string[],
): AuthenticationResults[] {
  const trusted = new Set(trustedIds.map((id) => id.toLowerCase()));
  const out: AuthenticationResults[] = [];
  for (const value of values) {
    const parsed = parseAuthenticationResults(value);
    if (!parsed || !trusted.has(idOf(parsed))) break;
    out.push(parsed);
  }
  return out;
}

/** What the trusted headers say about DMARC: `fail` when any says fail, else `pass` when any says pass, else null. */
export function dmarcResult(trusted: readonly AuthenticationResults[]): 'pass' | 'fail' | null {
  const dmarc = trusted.flatMap((h) => h.results.filter((r) => r.method === 'dmarc'));
  if (dmarc.some((r) => r.result === 'fail')) return 'fail';
  return dmarc.some((r) => r.result === 'pass') ? 'pass' : null;
}
