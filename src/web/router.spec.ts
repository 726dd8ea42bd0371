import { describe, expect, it } from 'vitest';
import { parseRoute } from './router.js';

describe('routes in the URL fragment', () => {
  it('reads the list, a case, a new case and the admin pages', () => {
    expect(parseRoute('')).toEqual({ name: 'list' });
    expect(parseRoute('#/')).toEqual({ name: 'list' });
    expect(parseRoute('#/cases/CS-1001')).toEqual({ name: 'case', id: 'CS-1001' });
    expect(parseRoute('#/cases/a%2Fb')).toEqual({ name: 'case', id: 'a/b' });
    expect(parseRoute('#/new')).toEqual({ name: 'new' });
    expect(parseRoute('#/admin/failed')).toEqual({ name: 'admin', page: 'failed' });
  });

  it('anything unknown is the list', () => {
    expect(parseRoute('#/admin/secrets')).toEqual({ name: 'list' });
    expect(parseRoute('#/cases/')).toEqual({ name: 'list' });
    expect(parseRoute('#javascript:alert(1)')).toEqual({ name: 'list' });
  });
});
