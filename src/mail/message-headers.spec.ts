import { describe, expect, it } from 'vitest';
import { formatAddress, readAddressHeaders } from './message-headers.js';

describe('readAddressHeaders', () => {
  it('reads From, To, Cc and the decoded Subject from the header alone', async () => {
    const raw = Buffer.from(
      'From: "Ann Example" <Ann@Example.com>\r\nTo: support@shop.test, Bob <bob@shop.test>\r\nCc: c@x.test\r\n' +
        'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nFrom: not@header.test\r\n',
    );
    const h = await readAddressHeaders(raw);
    expect(h.from && formatAddress(h.from)).toBe('Ann Example <ann@example.com>');
    expect(h.to.map(formatAddress)).toEqual(['support@shop.test', 'Bob <bob@shop.test>']);
    expect(h.cc.map((a) => a.email)).toEqual(['c@x.test']);
    expect(h.subject).toBe('Grüße');
  });
});
