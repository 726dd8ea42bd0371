import { describe, expect, it } from 'vitest';
import { keyPrefixFor, parseRedisUrl } from './redis-target.js';

describe('parseRedisUrl', () => {
  it('keeps a redis:// or rediss:// URL as one server', () => {
    expect(parseRedisUrl('redis://:secret@cache:6380/2')).toEqual({
      mode: 'single',
      url: 'redis://:secret@cache:6380/2',
    });
    expect(parseRedisUrl('rediss://cache')).toEqual({ mode: 'single', url: 'rediss://cache' });
  });

  it('reads the sentinels, the master name, the database and both passwords of a redis-sentinel:// URL', () => {
    expect(
      parseRedisUrl('redis-sentinel://:s%40cret@s1:26380,s2,[::1]:26381/mymaster/3?sentinelPassword=watch&tls=1'),
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      username: undefined,
      password: 's@cret',
      sentinelPassword: 'watch',
      db: 3,
      tls: true,
    });
  });

  it('reads the seed nodes and the credentials of a redis-cluster:// URL', () => {
    expect(parseRedisUrl('redis-cluster://app:pw@n1:7000,n2:7001')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      username: 'app',
      password: 'pw',
      tls: false,
    });
  });

  it('refuses what it cannot connect to, with one line that says what is expected', () => {
    expect(() => parseRedisUrl('http://cache:6379')).toThrow(/must start with redis:\/\//);
    expect(() => parseRedisUrl('redis-sentinel://s1:26379')).toThrow(/name the Sentinel master/);
    expect(() => parseRedisUrl('redis-sentinel://s1:26379/mymaster/x')).toThrow(/database number/);
    expect(() => parseRedisUrl('redis-cluster://n1:7000/0')).toThrow(/no database/);
    expect(() => parseRedisUrl('redis-cluster://n1:99999')).toThrow(/not host:port/);
    expect(() => parseRedisUrl('redis://[bad')).toThrow(/not a valid URL/);
  });
});

describe('keyPrefixFor', () => {
  it('hash-tags the prefix on a Cluster only, and keeps a prefix that holds a hash tag', () => {
    const cluster = parseRedisUrl('redis-cluster://n1:7000');
    expect(keyPrefixFor(cluster, 'intake')).toBe('{intake}');
    expect(keyPrefixFor(cluster, 'acme:{intake}')).toBe('acme:{intake}');
    expect(keyPrefixFor(parseRedisUrl('redis://cache'), 'intake')).toBe('intake');
    expect(keyPrefixFor(parseRedisUrl('redis-sentinel://s1/mymaster'), 'intake')).toBe('intake');
  });
});
