import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a secret without leaking, through timing, how much of it matched. Both sides are hashed
 * first so they have equal length (timingSafeEqual needs that) and the length is not leaked either.
 */
export function secureEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Parses `Authorization: Basic base64(user:password)`; null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** True when the Basic credentials match; user and password are both always compared. */
export function basicAuthMatches(header: string | undefined, user: string, password: string): boolean {
  const given = parseBasicAuth(header);
  if (!given) return false;
  const userOk = secureEqual(given.user, user);
  const passwordOk = secureEqual(given.password, password);
  return userOk && passwordOk;
}

/** True when the header is `Bearer <token>` with the expected token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return !!match && secureEqual(match[1]!, token);
}
