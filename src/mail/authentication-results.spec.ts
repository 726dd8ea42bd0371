import { describe, expect, it } from 'vitest';
import {
  dmarcResult,
  NO_AUTHSERV_ID,
  parseAuthenticationResults,
  trustedAuthenticationResults,
} from './authentication-results.js';

describe('parseAuthenticationResults: RFC 8601 Appendix B', () => {
  it('B.2: nothing checked', () => {
    expect(parseAuthenticationResults('example.org 1; none')).toEqual({
      authservId: 'example.org',
      version: 1,
      results: [],
    });
  });

  it('B.3: SPF with a property', () => {
    expect(parseAuthenticationResults('example.com; spf=pass smtp.mailfrom=example.net')).toEqual({
      authservId: 'example.com',
      version: null,
      results: [{ method: 'spf', result: 'pass', reason: null, properties: { 'smtp.mailfrom': 'example.net' } }],
    });
  });

  it('B.4: several methods over folded lines, with a comment between result and property', () => {
    const r = parseAuthenticationResults(
      'example.com;\r\n                  auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n                  spf=pass smtp.mailfrom=example.net',
    );
    expect(r?.results).toEqual([
      { method: 'auth', result: 'pass', reason: null, properties: { 'smtp.auth': 'sender@example.net' } },
      { method: 'spf', result: 'pass', reason: null, properties: { 'smtp.mailfrom': 'example.net' } },
    ]);
  });

  it('B.6: quoted reasons and @-values', () => {
    const r = parseAuthenticationResults(
      'example.com;\r\n dkim=pass reason="good signature"\r\n header.i=@mail-router.example.net;\r\n dkim=fail reason="bad signature"\r\n header.i=@newyork.example.com',
    );
    expect(r?.results).toEqual([
      {
        method: 'dkim',
        result: 'pass',
        reason: 'good signature',
        properties: { 'header.i': '@mail-router.example.net' },
      },
      { method: 'dkim', result: 'fail', reason: 'bad signature', properties: { 'header.i': '@newyork.example.com' } },
    ]);
  });

  it('a comment before the authserv-id, nested comments and escapes are skipped; a quoted authserv-id is read', () => {
    const r = parseAuthenticationResults(
      '(our MX) "mx.example.com" (v\\) (nested)); dmarc=fail (p=reject; "quoted; ;") header.from=example.com',
    );
    expect(r).toEqual({
      authservId: 'mx.example.com',
      version: null,
      results: [{ method: 'dmarc', result: 'fail', reason: null, properties: { 'header.from': 'example.com' } }],
    });
  });

  it('a method version is dropped and results are lower-cased; unreadable statements are skipped', () => {
    const r = parseAuthenticationResults('MX.Example.COM; DKIM/1=PASS header.d=example.com; garbage; =; dmarc=');
    expect(r?.authservId).toBe('mx.example.com');
    expect(r?.results).toEqual([
      { method: 'dkim', result: 'pass', reason: null, properties: { 'header.d': 'example.com' } },
    ]);
    expect(parseAuthenticationResults('')).toBeNull();
    expect(parseAuthenticationResults('(only a comment)')).toBeNull();
  });
});

describe('parseAuthenticationResults: what providers write', () => {
  it('Gmail (mx.google.com)', () => {
    const r = parseAuthenticationResults(
      'mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b=AbCdEf12;\r\n' +
        '       spf=pass (google.com: domain of ann@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=ann@example.com;\r\n' +
        '       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com',
    );
    expect(r?.authservId).toBe('mx.google.com');
    expect(r?.results.map((x) => `${x.method}=${x.result}`)).toEqual(['dkim=pass', 'spf=pass', 'dmarc=pass']);
    expect(r?.results[1]!.properties).toEqual({ 'smtp.mailfrom': 'ann@example.com' });
    expect(r?.results[2]!.properties).toEqual({ 'header.from': 'example.com' });
  });

  it('Microsoft 365 (no authserv-id, no space after some semicolons)', () => {
    const r = parseAuthenticationResults(
      'spf=pass (sender IP is 40.107.22.91)\r\n smtp.mailfrom=contoso.com; dkim=pass (signature was verified)\r\n' +
        ' header.d=contoso.com;dmarc=pass action=none\r\n header.from=contoso.com;compauth=pass reason=100',
    );
    expect(r?.authservId).toBeNull();
    expect(r?.results).toEqual([
      { method: 'spf', result: 'pass', reason: null, properties: { 'smtp.mailfrom': 'contoso.com' } },
      { method: 'dkim', result: 'pass', reason: null, properties: { 'header.d': 'contoso.com' } },
      { method: 'dmarc', result: 'pass', reason: null, properties: { 'header.from': 'contoso.com' } },
      { method: 'compauth', result: 'pass', reason: '100', properties: {} },
    ]);
  });
});

describe('trustedAuthenticationResults and dmarcResult', () => {
  const ours = 'mx.shop.example; dmarc=fail (p=REJECT) header.from=bank.example';
  const forged = 'mx.shop.example; dmarc=pass header.from=bank.example';

  it('only the topmost headers of a trusted authserv-id count', () => {
    const trusted = trustedAuthenticationResults([ours, forged], ['mx.shop.example']);
    expect(trusted).toHaveLength(2);
    expect(dmarcResult(trusted)).toBe('fail');
  });

  it('a header of an untrusted server ends the trusted block: a copy below it that names our id is ignored', () => {
    const mail = ['elsewhere.example; dmarc=pass', 'mx.shop.example; dmarc=fail header.from=x.example'];
    expect(trustedAuthenticationResults(mail, ['mx.shop.example'])).toEqual([]);
    expect(dmarcResult(trustedAuthenticationResults([forged], []))).toBeNull();
  });

  it('a Microsoft 365 header counts only when TRUSTED_AUTHSERV_IDS lists (none)', () => {
    const ms =
      'spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=bank.example; dmarc=fail action=oreject header.from=bank.example';
    expect(trustedAuthenticationResults([ms], ['mx.google.com'])).toEqual([]);
    expect(dmarcResult(trustedAuthenticationResults([ms], [NO_AUTHSERV_ID]))).toBe('fail');
  });

  it('dmarc pass, and no DMARC result at all', () => {
    expect(dmarcResult(trustedAuthenticationResults(['mx.google.com; dmarc=pass'], ['mx.google.com']))).toBe('pass');
    expect(dmarcResult(trustedAuthenticationResults(['mx.google.com; spf=fail'], ['mx.google.com']))).toBeNull();
  });
});
