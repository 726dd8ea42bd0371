import type { Scope } from './api-keys.js';

/**
 * What a caller may do. `cases:read`: read cases, customers, settings and search; `cases`: work cases (create,
 * update, notes, assignment, status); `admin`: everything else (settings, staff users, mailboxes, failed mail,
 * API keys). Every route declares the one it needs (`config.needs`, src/http/auth.ts).
 */
export type Claim = 'cases:read' | 'cases' | 'admin';
export const CLAIMS: readonly Claim[] = Object.freeze(['cases:read', 'cases', 'admin']);

/** A staff user's role: `agent` reads and works cases, `admin` may also change settings, users and mailboxes. */
export type Role = 'agent' | 'admin';
export const ROLES: readonly Role[] = Object.freeze(['agent', 'admin']);

const AGENT: readonly Claim[] = Object.freeze(['cases:read', 'cases']);
const READ: readonly Claim[] = Object.freeze(['cases:read']);

/** The claims of a staff user's role. */
export function claimsOfRole(role: Role): readonly Claim[] {
  return role === 'admin' ? CLAIMS : AGENT;
}

/** The claims of an API key's scope: `read` reads, `agent` works cases like an agent, `admin` may do anything. */
export function claimsOfScope(scope: Scope): readonly Claim[] {
  if (scope === 'admin') return CLAIMS;
  return scope === 'agent' ? AGENT : READ;
}

/** Whether `claims` allow what a route `needs`. */
export function hasClaim(claims: readonly Claim[], needs: Claim): boolean {
  return claims.includes(needs);
}

/** Who is calling: a signed-in staff user or an API key. The HTTP layer sets it on every authenticated request. */
export interface Actor {
  kind: 'user' | 'apiKey';
  /** The staff user's or the API key's id. */
  id: string;
  /** What is recorded as the author of a change (status log, notes, assignment). */
  name: string;
  email?: string;
  role?: Role;
  claims: readonly Claim[];
}
