import { describe, expect, it } from 'vitest';
import { claimsOfRole, claimsOfScope, hasClaim } from './claims.js';

describe('claims', () => {
  it('an agent reads and works cases; an admin may do everything', () => {
    expect(claimsOfRole('agent')).toEqual(['cases:read', 'cases']);
    expect(claimsOfRole('admin')).toEqual(['cases:read', 'cases', 'admin']);
    expect(hasClaim(claimsOfRole('agent'), 'admin')).toBe(false);
    expect(hasClaim(claimsOfRole('agent'), 'cases')).toBe(true);
  });

  it('API key scopes: read reads, agent works cases, admin may do everything', () => {
    expect(claimsOfScope('read')).toEqual(['cases:read']);
    expect(claimsOfScope('agent')).toEqual(claimsOfRole('agent'));
    expect(claimsOfScope('admin')).toEqual(claimsOfRole('admin'));
    expect(hasClaim(claimsOfScope('read'), 'cases')).toBe(false);
  });
});
