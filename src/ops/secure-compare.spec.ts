import { describe, expect, it } from 'vitest';
import { basicAuthMatches, bearerMatches, parseBasicAuth, secureEqual } from './secure-compare.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('secure-compare', () => {
  it('compares secrets of any length', () => {
    expect(secureEqual('a', 'a')).toBe(true);
    expect(secureEqual('a', 'ab')).toBe(false);
    expect(secureEqual('', '')).toBe(true);
  });

  it('parses basic credentials, keeping colons inside the password', () => {
    expect(parseBasicAuth(basic('ops:pa:ss'))).toEqual({ user: 'ops', password: 'pa:ss' });
    expect(parseBasicAuth(basic('no-colon'))).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth(undefined)).toBeNull();
  });

  it('accepts basic auth only when user and password both match', () => {
    expect(basicAuthMatches(basic('ops:secret'), 'ops', 'secret')).toBe(true);
    expect(basicAuthMatches(basic('ops:wrong'), 'ops', 'secret')).toBe(false);
    expect(basicAuthMatches(basic('other:secret'), 'ops', 'secret')).toBe(false);
  });

  it('accepts only the exact bearer token', () => {
    expect(bearerMatches('Bearer tok', 'tok')).toBe(true);
    expect(bearerMatches('bearer tok', 'tok')).toBe(true);
    expect(bearerMatches('Bearer tok2', 'tok')).toBe(false);
    expect(bearerMatches(undefined, 'tok')).toBe(false);
  });
});
