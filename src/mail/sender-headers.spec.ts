import { describe, expect, it } from 'vitest';
import { readSenderHeaders, senderVerdict } from './sender-headers.js';

const raw = (lines: string[]) => Buffer.from([...lines, '', 'body', ''].join('\r\n'));

describe('readSenderHeaders', () => {
  it('counts every address of every From field, groups expanded, quoted commas not splitting', () => {
    expect(readSenderHeaders(raw(['From: "Doe, Ann" <ann@x.example>', 'Subject: s'])).fromAddresses).toBe(1);
    expect(readSenderHeaders(raw(['From: ann@x.example, eve@y.example'])).fromAddresses).toBe(2);
    expect(readSenderHeaders(raw(['From: Team: ann@x.example, bob@x.example;'])).fromAddresses).toBe(2);
    expect(readSenderHeaders(raw(['From: ann@x.example', 'From: eve@y.example'])).fromAddresses).toBe(2);
    expect(readSenderHeaders(raw(['From: =?utf-8?Q?Ann_D=C3=B6e?= <ann@x.example>'])).fromAddresses).toBe(1);
    expect(readSenderHeaders(raw(['Subject: no from'])).fromAddresses).toBe(0);
  });

  it('keeps Authentication-Results in header order, unfolded; the body is not read', () => {
    const h = readSenderHeaders(
      Buffer.from(
        '\r\nFrom ann@x.example Mon Nov 23 10:00:00 2026\r\n' +
          'Authentication-Results: mx.shop.example;\r\n\tdmarc=fail\r\n' +
          'Received: from a by b\r\nAuthentication-Results: other.example; none\r\nFrom: ann@x.example\r\n\r\n' +
          'Authentication-Results: body.example; dmarc=pass\r\n',
      ),
    );
    expect(h).toEqual({
      fromAddresses: 1,
      authenticationResults: ['mx.shop.example; dmarc=fail', 'other.example; none'],
    });
  });
});

describe('senderVerdict', () => {
  it('names the trusted servers that report DMARC failing', () => {
    const v = senderVerdict(
      {
        from: { email: 'Ann@X.example' },
        senderHeaders: { fromAddresses: 1, authenticationResults: ['mx.shop.example; dmarc=fail'] },
      },
      ['mx.shop.example'],
    );
    expect(v).toEqual({
      address: 'ann@x.example',
      dmarc: 'fail',
      distrust: 'DMARC fails according to mx.shop.example',
    });
  });
});
